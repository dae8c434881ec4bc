"""OpenID4VCI authorization code grant, emailed tx_codes, notifications

Revision ID: 0010
Revises: 0009

A claim's offer also carries an ``issuer_state`` (stored as SHA-256) naming the claim an
authorization request comes back for. A wallet authorization is a signed-in learner's approval for
a registered wallet: its single-use code (hashed, with the PKCE S256 challenge and redirect URI),
what it granted (award ids per credential configuration), and the access token it became. Each
transaction code emailed for a claim is counted (when), to bound how many a claim is sent. A
credential response's ``notification_id`` (hashed) names its delivery and the access token it was
given to, and keeps the last event the wallet notified. A pushed authorization request (RFC 9126)
keeps its parameters under the hash of its ``request_uri``.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wallet_issuer_states",
        sa.Column("state_hash", sa.String(64), primary_key=True),
        sa.Column("claim_id", sa.Integer(), sa.ForeignKey("claims.id"), nullable=False, index=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "wallet_authorizations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("issuer_id", sa.Integer(), sa.ForeignKey("issuers.id"), nullable=False),
        sa.Column("client_id", sa.String(64), sa.ForeignKey("oauth_clients.id"), nullable=False, index=True),
        sa.Column("learner", sa.String(128), nullable=False),
        sa.Column("redirect_uri", sa.String(2000), nullable=False),
        sa.Column("code_challenge", sa.String(128), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("granted_json", sa.Text(), nullable=False),
        sa.Column("code_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("access_token_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )

    op.create_table(
        "claim_code_mails",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("claim_id", sa.Integer(), sa.ForeignKey("claims.id"), nullable=False, index=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    )

    op.create_table(
        "wallet_notifications",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("delivery_id", sa.Integer(), sa.ForeignKey("deliveries.id"), nullable=False, index=True),
        sa.Column("access_token_hash", sa.String(64), nullable=False),
        sa.Column("event", sa.String(32), nullable=True),
        sa.Column("event_description", sa.Text(), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )

    op.create_table(
        "wallet_pushed_requests",
        sa.Column("request_hash", sa.String(64), primary_key=True),
        sa.Column("issuer_id", sa.Integer(), sa.ForeignKey("issuers.id"), nullable=False),
        sa.Column("client_id", sa.String(64), sa.ForeignKey("oauth_clients.id"), nullable=False, index=True),
        sa.Column("params_json", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("wallet_pushed_requests")
    op.drop_table("wallet_notifications")
    op.drop_table("claim_code_mails")
    op.drop_table("wallet_authorizations")
    op.drop_table("wallet_issuer_states")
