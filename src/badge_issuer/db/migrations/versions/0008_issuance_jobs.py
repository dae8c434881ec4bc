"""bulk issuance jobs: a job per submitted file, a row per award

Revision ID: 0008
Revises: 0007

``POST …/credentials:jobs`` stores the job and its rows and answers 202; a runner holding the
job's lease awards the pending rows one by one (each idempotent under its own key) and records
each row's outcome, so a runner that dies loses nothing and the next one resumes the job.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issuance_jobs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("issuer_id", sa.Integer(), nullable=False),
        sa.Column("achievement_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("scope", sa.String(length=512), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("runner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["achievement_id"], ["achievements.id"]),
        sa.ForeignKeyConstraint(["client_id"], ["api_clients.id"]),
        sa.ForeignKeyConstraint(["issuer_id"], ["issuers.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_issuance_jobs_issuer_id", "issuance_jobs", ["issuer_id"])
    op.create_index("ix_issuance_jobs_status_lease", "issuance_jobs", ["status", "lease_until"])
    op.create_table(
        "issuance_job_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("item_json", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=True),
        sa.Column("problem_json", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["issuance_jobs.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job_id", "row_number"),
    )
    op.create_index("ix_issuance_job_rows_job_state", "issuance_job_rows", ["job_id", "state", "row_number"])


def downgrade() -> None:
    op.drop_table("issuance_job_rows")
    op.drop_table("issuance_jobs")
