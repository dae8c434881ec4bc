"""Claim links: every award can be taken into the learner's wallet with a secret link that expires.

``open_claim`` runs inside the award's own issuing transaction (``issuing.run_issue``), so an award
and its claim land together. The link's secret is derived from the award (``wallet.secrets``), so
a replayed issue request answers with the same link. ``claim_page`` resolves a link and makes a
fresh OpenID4VCI offer for the page to show.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session

from badge_issuer.application.claim_mail import claim_url as claim_url
from badge_issuer.application.claim_mail import email_tx_code
from badge_issuer.application.exchanging import ExchangeLinks, open_exchange
from badge_issuer.application.learners import learner_key
from badge_issuer.application.pages import AchievementCard, achievement_card, display_name
from badge_issuer.application.services import Services
from badge_issuer.db.claims import ClaimRepository
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.tables import Claim, ClaimOffer, Credential, WalletIssuerState
from badge_issuer.db.wallet_authorizations import WalletAuthorizationRepository
from badge_issuer.errors import InputError, NotFound, RateLimited, StateConflict, ValidationFailed
from badge_issuer.wallet import metadata, secrets
from badge_issuer.wallet.awards import achievement_slug, refusal

#: open (unredeemed, unexpired) offers one claim may have at a time: a page reload makes another
MAX_OPEN_OFFERS = 20
TX_CODE_ON_PAGE = "The 6-digit code shown on your claim page"
TX_CODE_BY_EMAIL = "The 6-digit code we emailed to the address this badge was awarded to"
#: requests to email a claim's tx_code (right address or wrong) per hour
MAX_CODE_MAILS_PER_HOUR = 5
MAX_EMAIL_CHARS = 320


@dataclass(frozen=True)
class Offer:
    """One OpenID4VCI credential offer of a claim, by value and by reference."""

    by_value: dict[str, Any]
    by_value_uri: str
    by_reference_uri: str
    tx_code: str | None


@dataclass(frozen=True)
class ClaimPage:
    claim_url: str
    credential_url: str
    achievement: AchievementCard
    issuer_name: str
    recipient_name: str | None
    expires: str  # RFC 3339
    baked_png: str
    offer: Offer | None
    #: the VC-API exchange for the Learner Credential Wallet (and its deep link)
    exchange: ExchangeLinks | None
    #: why the award cannot be taken into a wallet (revoked, suspended), or None
    refused: str | None
    #: the tx_code goes by email: the page asks for the address before it makes an offer
    tx_code_by_email: bool = False
    #: this page's offer's tx_code was just emailed
    tx_code_emailed: bool = False


def open_claim(session: Session, services: Services, record: Credential, now: datetime) -> None:
    """Give a newly made award its claim (in the award's transaction, which stored the award: no
    claim of it can exist yet, and ``claims.credential_id`` is unique should one)."""
    token = secrets.claim_token(services.issuance.recipient_pepper, record.id)
    ClaimRepository(session).add(
        Claim(
            credential_id=record.id,
            token_hash=secrets.digest(token),
            expires_at=now + timedelta(days=services.settings.claim_ttl_days),
            created_at=now,
        )
    )


def find_claim(session: Session, token: str, now: datetime) -> tuple[Claim, Credential]:
    """The claim of a link's secret: NotFound for an unknown or expired one (they look the same)."""
    found = (
        ClaimRepository(session).by_token_hash(secrets.digest(token)) if secrets.plausible(token) else None
    )
    if found is None or found[0].expires_at <= now:
        raise NotFound("no such claim link, or it has expired; ask the issuer for a new one")
    return found


def claim_page(services: Services, token: str) -> ClaimPage:
    """What the claim page shows, with a fresh offer when the award may still be delivered (when
    its tx_code goes by email, the offer waits until the learner gives their address, and the
    Learner Credential Wallet's link is never on the page: it goes in the same email)."""
    return _page(services, token, address=None)


def email_offer(services: Services, token: str, address: str) -> ClaimPage:
    """The claim page with a fresh offer whose tx_code is emailed to ``address`` — which must be
    the address the badge was awarded to (its keyed hash); at most ``MAX_CODE_MAILS_PER_HOUR``
    requests per claim, right or wrong. The email also carries the deep link to a fresh VC-API
    exchange for the Learner Credential Wallet (which has no tx_code): the exchange needs no code,
    so its link must reach the awarded address only, like the code."""
    if not (services.settings.wallet_tx_code and services.settings.wallet_tx_code_channel == "email"):
        raise InputError("this service shows transaction codes on the claim page; it emails none")
    return _page(services, token, address=address)


def _page(services: Services, token: str, *, address: str | None) -> ClaimPage:
    now = services.clock()
    by_email = services.settings.wallet_tx_code and services.settings.wallet_tx_code_channel == "email"
    if address is not None:
        _check_address(services, token, address, now)
    with services.sessions() as session, session.begin():
        claim, record = find_claim(session, token, now)
        issuer = IssuerRepository(session).by_id(record.issuer_id)
        refused = refusal(record)
        offer = exchange = None
        if refused is None and (not by_email or address is not None):
            offer = _new_offer(session, services, claim, issuer.slug, record, now)
            exchange = open_exchange(session, services, claim, issuer.slug, now)
        credential = json.loads(record.credential_json)
    subject = credential.get("credentialSubject") if isinstance(credential, dict) else None
    subject = subject if isinstance(subject, dict) else {}
    raw_achievement = subject.get("achievement")
    card = achievement_card(
        raw_achievement if isinstance(raw_achievement, dict) else {}, services.urls.base, credential
    )
    if address is not None and offer is not None and offer.tx_code is not None:
        minutes = max(1, services.settings.wallet_offer_ttl_seconds // 60)
        email_tx_code(
            services,
            address.strip(),
            badge=card.name,
            code=offer.tx_code,
            minutes=minutes,
            lcw=exchange.lcw if exchange is not None else None,
        )
        offer = replace(offer, tx_code=None)  # it went by email: never on the page
    if by_email:
        exchange = None  # its link went by email with the code: a leaked claim link redeems nothing
    signed_issuer = credential.get("issuer")
    issuer_name = signed_issuer.get("name") if isinstance(signed_issuer, dict) else None
    url = services.urls.credential(record.id)
    return ClaimPage(
        claim_url=claim_url(services, record.id),
        credential_url=url,
        achievement=card,
        issuer_name=issuer_name if isinstance(issuer_name, str) else issuer.slug,
        recipient_name=display_name(subject),
        expires=claim.expires_at.isoformat(),
        baked_png=f"{url}/baked.png",
        offer=offer,
        exchange=exchange,
        refused=refused,
        tx_code_by_email=bool(by_email),
        tx_code_emailed=offer is not None and address is not None,
    )


def _check_address(services: Services, token: str, address: str, now: datetime) -> None:
    """Count the request, then check ``address`` is the award's (its keyed recipient hash)."""
    if not 0 < len(address) <= MAX_EMAIL_CHARS or "@" not in address:
        raise ValidationFailed("give the email address this badge was awarded to", pointer="email")
    with services.sessions() as session, session.begin():
        claim, record = find_claim(session, token, now)
        tries = WalletAuthorizationRepository(session)
        if tries.code_mails_since(claim.id, now - timedelta(hours=1)) >= MAX_CODE_MAILS_PER_HOUR:
            raise RateLimited(
                "too many codes were asked for this badge; try again in an hour", retry_after=3600
            )
        tries.add_code_mail(claim.id, now)
        expected = record.recipient_hash or ""
    if not hmac.compare_digest(learner_key(services, address.strip()), expected):
        raise ValidationFailed("that is not the email address this badge was awarded to", pointer="email")


def offer_by_reference(services: Services, issuer: str, reference: str) -> dict[str, Any]:
    """The credential offer behind a ``credential_offer_uri`` (until its code is redeemed or expires)."""
    now = services.clock()
    found = None
    with services.readers() as session:
        if secrets.plausible(reference):
            found = ClaimRepository(session).offer_by_reference(secrets.digest(reference))
        if found is not None:
            offer, _claim, record = found
            slug = IssuerRepository(session).by_id(record.issuer_id).slug
            configuration_id = achievement_slug(session, record)
    if found is None or slug != issuer or offer.redeemed_at is not None or offer.expires_at <= now:
        raise NotFound("no such credential offer, or it was used or has expired")
    pepper = services.issuance.recipient_pepper
    return metadata.credential_offer(
        services.urls,
        slug,
        configuration_id=configuration_id,
        code=secrets.offer_code(pepper, reference),
        tx_code_description=_tx_code_description(services) if offer.tx_code_hash is not None else None,
        issuer_state=secrets.issuer_state(pepper, reference),
    )


def _new_offer(
    session: Session, services: Services, claim: Claim, issuer_slug: str, record: Credential, now: datetime
) -> Offer:
    claims = ClaimRepository(session)
    claims.forget_expired_offers(claim.id, now)
    if claims.open_offers(claim.id, now) >= MAX_OPEN_OFFERS:
        raise StateConflict("too many open offers for this claim; wait a few minutes and reload the page")
    reference = secrets.new_secret()
    pepper = services.issuance.recipient_pepper
    code = secrets.offer_code(pepper, reference)
    issuer_state = secrets.issuer_state(pepper, reference)
    tx_code = secrets.new_tx_code() if services.settings.wallet_tx_code else None
    achievement = achievement_slug(session, record)
    document = metadata.credential_offer(
        services.urls,
        issuer_slug,
        configuration_id=achievement,
        code=code,
        tx_code_description=_tx_code_description(services) if tx_code is not None else None,
        issuer_state=issuer_state,
    )
    expires_at = now + timedelta(seconds=services.settings.wallet_offer_ttl_seconds)
    states = WalletAuthorizationRepository(session)
    states.forget_issuer_states(claim.id, now)
    states.add_issuer_state(
        WalletIssuerState(
            state_hash=secrets.digest(issuer_state), claim_id=claim.id, expires_at=expires_at, created_at=now
        )
    )
    claims.add_offer(
        ClaimOffer(
            claim_id=claim.id,
            code_hash=secrets.digest(code),
            reference_hash=secrets.digest(reference),
            tx_code_hash=None
            if tx_code is None
            else secrets.keyed_digest(services.issuance.recipient_pepper, tx_code),
            failed_attempts=0,
            expires_at=expires_at,
            created_at=now,
        )
    )
    by_reference = metadata.endpoint(services.urls, issuer_slug, f"offers/{reference}")
    return Offer(
        by_value=document,
        by_value_uri="openid-credential-offer://?credential_offer="
        + quote(json.dumps(document, separators=(",", ":")), safe=""),
        by_reference_uri="openid-credential-offer://?credential_offer_uri=" + quote(by_reference, safe=""),
        tx_code=tx_code,
    )


def _tx_code_description(services: Services) -> str:
    return TX_CODE_BY_EMAIL if services.settings.wallet_tx_code_channel == "email" else TX_CODE_ON_PAGE
