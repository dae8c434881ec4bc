"""OAuth 2.0 for the Open Badges API: registered clients, codes, tokens, consents, learner sign-in

Revision ID: 0003
Revises: 0002

Wallets register themselves (RFC 7591), learners prove an email address with a one-time code and
approve scopes; codes, tokens, client secrets, sign-in codes and session cookies are stored as
hashes, and learners only as the keyed recipient hash that issuance records carry.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _when(name: str, *, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "oauth_clients",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("client_name", sa.String(length=200), nullable=False),
        sa.Column("metadata_json", sa.Text(), nullable=False),
        _when("issued_at"),
    )
    op.create_table(
        "oauth_codes",
        sa.Column("code_hash", sa.String(length=64), primary_key=True),
        sa.Column("client_id", sa.String(length=64), sa.ForeignKey("oauth_clients.id"), nullable=False),
        sa.Column("learner", sa.String(length=128), nullable=False),
        sa.Column("redirect_uri", sa.String(length=2000), nullable=False),
        sa.Column("scope", sa.String(length=1000), nullable=False),
        sa.Column("code_challenge", sa.String(length=128), nullable=False),
        sa.Column("code_challenge_method", sa.String(length=8), nullable=False),
        _when("expires_at"),
        _when("used_at", nullable=True),
    )
    op.create_index("ix_oauth_codes_client_id", "oauth_codes", ["client_id"])
    op.create_table(
        "oauth_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("client_id", sa.String(length=64), sa.ForeignKey("oauth_clients.id"), nullable=False),
        sa.Column("learner", sa.String(length=128), nullable=False),
        sa.Column("scope", sa.String(length=1000), nullable=False),
        sa.Column("access_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column("refresh_hash", sa.String(length=64), nullable=True, unique=True),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        _when("issued_at"),
        _when("access_expires_at"),
        _when("refresh_expires_at", nullable=True),
        _when("access_revoked_at", nullable=True),
        _when("refresh_revoked_at", nullable=True),
    )
    op.create_index("ix_oauth_tokens_client_id", "oauth_tokens", ["client_id"])
    op.create_index("ix_oauth_tokens_learner", "oauth_tokens", ["learner"])
    op.create_index("ix_oauth_tokens_code_hash", "oauth_tokens", ["code_hash"])
    op.create_table(
        "oauth_consents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("client_id", sa.String(length=64), sa.ForeignKey("oauth_clients.id"), nullable=False),
        sa.Column("learner", sa.String(length=128), nullable=False),
        sa.Column("scope", sa.String(length=1000), nullable=False),
        _when("granted_at"),
        sa.UniqueConstraint("client_id", "learner"),
    )
    op.create_index("ix_oauth_consents_client_id", "oauth_consents", ["client_id"])
    op.create_index("ix_oauth_consents_learner", "oauth_consents", ["learner"])
    op.create_table(
        "learner_sign_ins",
        sa.Column("id_hash", sa.String(length=64), primary_key=True),
        sa.Column("learner", sa.String(length=128), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("created_at"),
        _when("expires_at"),
        _when("used_at", nullable=True),
    )
    op.create_index("ix_learner_sign_ins_learner", "learner_sign_ins", ["learner"])
    op.create_table(
        "learner_sessions",
        sa.Column("token_hash", sa.String(length=64), primary_key=True),
        sa.Column("learner", sa.String(length=128), nullable=False),
        _when("created_at"),
        _when("expires_at"),
    )
    op.create_index("ix_learner_sessions_learner", "learner_sessions", ["learner"])


def downgrade() -> None:
    for table in (
        "learner_sessions",
        "learner_sign_ins",
        "oauth_consents",
        "oauth_tokens",
        "oauth_codes",
        "oauth_clients",
    ):
        op.drop_table(table)
