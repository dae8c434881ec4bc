"""pathways: versioned requirement trees, their automatic awards, and submitted external badges

Revision ID: 0009
Revises: 0008

A pathway awards its target achievement once its requirements are met. Its definition is
versioned like an achievement's. The one automatic award per pathway and learner is claimed by a
row unique on (pathway, recipient hash) before it is issued, so concurrent completions issue it
once. External badges a learner submits are kept (exactly as presented) to be verified again
whenever they would count.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pathways",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["issuer_id"], ["issuers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issuer_id", "slug"),
    )
    op.create_index("ix_pathways_issuer_id", "pathways", ["issuer_id"], unique=False)
    op.create_table(
        "pathway_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pathway_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["pathway_id"], ["pathways.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pathway_id", "version"),
    )
    op.create_index("ix_pathway_versions_pathway_id", "pathway_versions", ["pathway_id"], unique=False)
    op.create_table(
        "pathway_awards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pathway_id", sa.Integer(), nullable=False),
        sa.Column("pathway_version", sa.Integer(), nullable=False),
        sa.Column("recipient_hash", sa.String(length=128), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("evidence_json", sa.Text(), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["pathway_id"], ["pathways.id"]),
        sa.ForeignKeyConstraint(["client_id"], ["api_clients.id"]),
        sa.ForeignKeyConstraint(["credential_id"], ["credentials.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pathway_id", "recipient_hash"),
    )
    op.create_index("ix_pathway_awards_pathway_id", "pathway_awards", ["pathway_id"], unique=False)
    op.create_table(
        "external_badges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer_id", sa.Integer(), nullable=False),
        sa.Column("recipient_hash", sa.String(length=128), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("credential_json", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["issuer_id"], ["issuers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issuer_id", "recipient_hash", "sha256"),
    )
    op.create_index("ix_external_badges_recipient_hash", "external_badges", ["recipient_hash"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_external_badges_recipient_hash", table_name="external_badges")
    op.drop_table("external_badges")
    op.drop_index("ix_pathway_awards_pathway_id", table_name="pathway_awards")
    op.drop_table("pathway_awards")
    op.drop_index("ix_pathway_versions_pathway_id", table_name="pathway_versions")
    op.drop_table("pathway_versions")
    op.drop_index("ix_pathways_issuer_id", table_name="pathways")
    op.drop_table("pathways")
