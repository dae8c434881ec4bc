"""claim links and what a learner's wallet takes with them

Revision ID: 0005
Revises: 0004

Every award gets one claim: a secret link (stored only as its SHA-256) that expires. A claim page
makes OpenID4VCI pre-authorized offers (``claim_offers``: the code, the optional transaction code
and the access token, each stored hashed, single use); ``wallet_nonces`` are the credential
endpoint's single-use ``c_nonce`` values; ``deliveries`` keep each credential issued to a wallet's
DID (one per award and DID, so claiming twice with the same wallet gives the same credential).
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "credential_id", sa.String(36), sa.ForeignKey("credentials.id"), nullable=False, unique=True
        ),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "claim_offers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("claim_id", sa.Integer(), sa.ForeignKey("claims.id"), nullable=False, index=True),
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("reference_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("tx_code_hash", sa.String(64), nullable=True),
        sa.Column("failed_attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("access_token_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "wallet_nonces",
        sa.Column("nonce_hash", sa.String(64), primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("credential_id", sa.String(36), sa.ForeignKey("credentials.id"), nullable=False),
        sa.Column("holder_hash", sa.String(64), nullable=False),
        sa.Column("holder_did", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("credential_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("credential_id", "holder_hash", name="uq_deliveries_credential_holder"),
    )


def downgrade() -> None:
    op.drop_table("deliveries")
    op.drop_table("wallet_nonces")
    op.drop_table("claim_offers")
    op.drop_table("claims")
