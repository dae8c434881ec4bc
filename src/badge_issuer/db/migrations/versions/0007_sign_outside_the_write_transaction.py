"""signing outside the write transaction: reserved status positions and Idempotency-Keys

Revision ID: 0007
Revises: 0006

An award is now written in two short transactions with the signature made between them (#11):
the first takes its status positions (a ``status_entries`` row without a credential yet) and
reserves its Idempotency-Key (``idempotency_reservations``); the second stores the record, points
the positions at it and drops the reservation. A position whose award never landed stays taken.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("status_entries", schema=None) as batch_op:
        batch_op.alter_column("credential_id", existing_type=sa.String(length=36), nullable=True)
    op.create_table(
        "idempotency_reservations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["api_clients.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "idempotency_key"),
    )


def downgrade() -> None:
    op.drop_table("idempotency_reservations")
    op.execute("DELETE FROM status_entries WHERE credential_id IS NULL")
    with op.batch_alter_table("status_entries", schema=None) as batch_op:
        batch_op.alter_column("credential_id", existing_type=sa.String(length=36), nullable=False)
