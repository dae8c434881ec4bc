"""credentials and profiles that learners' wallets store through the Open Badges API

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learner_credentials",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("learner", sa.String(length=128), nullable=False),
        sa.Column("issuer_key", sa.String(length=512), nullable=False),
        sa.Column("credential_key", sa.String(length=512), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("learner", "issuer_key", "credential_key"),
    )
    op.create_index("ix_learner_credentials_learner", "learner_credentials", ["learner"])
    op.create_table(
        "learner_profiles",
        sa.Column("learner", sa.String(length=128), primary_key=True),
        sa.Column("profile_json", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("learner_profiles")
    op.drop_table("learner_credentials")
