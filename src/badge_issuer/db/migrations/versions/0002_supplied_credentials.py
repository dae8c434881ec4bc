"""credentials signed through the VC-API: no achievement, maybe no recipient, the caller's id

Revision ID: 0002
Revises: 0001

A credential a client sends to ``POST /credentials/issue`` is not made from one of our badge
classes (so it has no achievement), may have no subject id to hash, and may carry its own ``id``
(or an ``options.credentialId``), by which ``POST /credentials/status`` finds it again; an issuer
never has two credentials under one such id.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.alter_column("achievement_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("achievement_version_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("recipient_hash", existing_type=sa.String(length=128), nullable=True)
        batch_op.add_column(sa.Column("credential_uri", sa.String(length=512), nullable=True))
        batch_op.create_unique_constraint(
            "uq_credentials_issuer_credential_uri", ["issuer_id", "credential_uri"]
        )


def downgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_constraint("uq_credentials_issuer_credential_uri", type_="unique")
        batch_op.drop_column("credential_uri")
        batch_op.alter_column("recipient_hash", existing_type=sa.String(length=128), nullable=False)
        batch_op.alter_column("achievement_version_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("achievement_id", existing_type=sa.Integer(), nullable=False)
