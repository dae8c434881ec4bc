"""VC-API exchanges of a claim (the Learner Credential Wallet's protocol)

Revision ID: 0006
Revises: 0005

A claim page opens one exchange per visit: its URL names a random id (stored as SHA-256), the
DIDAuthentication challenge it asks for, when it expires, and — once a wallet has authenticated —
when it completed and for which DID (an exchange completes once).
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claim_exchanges",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("claim_id", sa.Integer(), sa.ForeignKey("claims.id"), nullable=False, index=True),
        sa.Column("exchange_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("challenge", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("holder_did", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("claim_exchanges")
