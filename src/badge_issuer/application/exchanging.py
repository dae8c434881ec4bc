"""VC-API exchanges for the Learner Credential Wallet (VCALM): DID Authentication, then the award.

A claim page opens an exchange (``open_exchange``, in the page's transaction). The wallet POSTs to
its URL: with no presentation it gets a ``VerifiablePresentationRequest`` (a ``DIDAuthentication``
query with the exchange's ``challenge`` and our ``domain``); with a presentation, it is verified by
the verification spine with the presentation rules (authentication proof, that challenge and
domain, the holder its key's controller), the exchange completes — once — for the authenticated
DID, and the answer is a presentation holding the award signed for that DID (a delivery, shared
with OpenID4VCI: the same DID gets the same credential).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from sqlalchemy.orm import Session

from badge_issuer.application import verifying
from badge_issuer.application.services import Services
from badge_issuer.application.wallet_issuing import deliver
from badge_issuer.checks import VerifyOptions
from badge_issuer.db.claims import ClaimRepository
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.tables import Claim, ClaimExchange
from badge_issuer.errors import InputError, NotFound, StateConflict
from badge_issuer.wallet import secrets
from badge_issuer.wallet.awards import bound_subject, refusal

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
ACCEPTED_METHODS = ("key", "jwk", "web")
ACCEPTED_CRYPTOSUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020")
LCW_REQUEST = "https://lcw.app/request.html?request="
MAX_PRESENTATION_BYTES = 65_536
#: exchanges one claim may have waiting at a time (each claim page visit opens one)
MAX_OPEN_EXCHANGES = 20


@dataclass(frozen=True)
class ExchangeLinks:
    #: the VC-API exchange (``protocols.vcapi``)
    url: str
    #: the Learner Credential Wallet's deep link to it
    lcw: str


def origin(services: Services) -> str:
    parts = urlsplit(services.urls.base)
    return f"{parts.scheme}://{parts.netloc}"


def open_exchange(
    session: Session, services: Services, claim: Claim, issuer_slug: str, now: datetime
) -> ExchangeLinks:
    exchanges = ClaimRepository(session)
    if exchanges.open_exchanges(claim.id, now) >= MAX_OPEN_EXCHANGES:
        raise StateConflict("too many open exchanges for this claim; wait a few minutes and reload the page")
    name = secrets.new_secret()
    exchanges.add_exchange(
        ClaimExchange(
            claim_id=claim.id,
            exchange_hash=secrets.digest(name),
            challenge=secrets.new_secret(),
            expires_at=now + timedelta(seconds=services.settings.wallet_offer_ttl_seconds),
            created_at=now,
        )
    )
    url = f"{services.urls.issuer_profile(issuer_slug)}/exchanges/{name}"
    request = {"credentialRequestOrigin": origin(services), "protocols": {"vcapi": url}}
    return ExchangeLinks(
        url=url, lcw=LCW_REQUEST + quote(json.dumps(request, separators=(",", ":")), safe="")
    )


def protocols(services: Services, issuer: str, name: str) -> dict[str, Any]:
    """The interaction URL's answer to ``GET`` (Accept: JSON): the protocols it offers."""
    _find(services, issuer, name)  # NotFound / StateConflict for an exchange no longer open
    return {"protocols": {"vcapi": f"{services.urls.issuer_profile(issuer)}/exchanges/{name}"}}


def participate(
    services: Services, issuer: str, name: str, body: Any, *, client: str | None
) -> dict[str, Any]:
    """One step of the exchange: the request for DID Authentication, or the award for the DID."""
    exchange, record_id, refused, named = _find(services, issuer, name)
    if refused is not None:
        raise StateConflict(refused)
    if not isinstance(body, dict):
        raise InputError('the exchange takes a JSON object: {} or {"verifiablePresentation": …}')
    presentation = body.get("verifiablePresentation")
    if presentation is None:
        return {"verifiablePresentationRequest": _request(services, exchange.challenge)}
    if not isinstance(presentation, dict):
        raise InputError("verifiablePresentation must be a JSON object", pointer="/verifiablePresentation")
    data = json.dumps(presentation).encode()
    if len(data) > MAX_PRESENTATION_BYTES:
        raise InputError(f"the presentation is larger than {MAX_PRESENTATION_BYTES} bytes")
    report = verifying.verify_presented(
        services,
        data,
        content_type="application/json",
        options=VerifyOptions(challenge=exchange.challenge, domain=origin(services)),
        client=client,
    )
    holder = _authenticated_holder(report.to_json())
    if named is not None and named != holder:  # decided before the exchange is used up
        raise StateConflict("this award names its subject by another id already: it cannot go to this DID")
    now = services.clock()
    with services.sessions() as session, session.begin():
        if not ClaimRepository(session).complete_exchange(exchange.id, holder_did=holder, now=now):
            raise StateConflict("this exchange has already completed or expired; reload the claim page")
    credential = deliver(services, record_id=record_id, holder_did=holder, channel="vc-api")
    return {
        "verifiablePresentation": {
            "@context": [VC_V2_CONTEXT],
            "type": ["VerifiablePresentation"],
            "verifiableCredential": [credential],
        }
    }


def _request(services: Services, challenge: str) -> dict[str, Any]:
    return {
        "query": [
            {
                "type": "DIDAuthentication",
                "acceptedMethods": [{"method": method} for method in ACCEPTED_METHODS],
                "acceptedCryptosuites": [{"cryptosuite": suite} for suite in ACCEPTED_CRYPTOSUITES],
            }
        ],
        "challenge": challenge,
        "domain": origin(services),
    }


def _authenticated_holder(report: dict[str, Any]) -> str:
    """The DID the presentation authenticated, or InputError saying why it did not."""
    checks = {check["id"]: check for check in report.get("checks", [])}
    proof, holder = checks.get("presentation_proof"), checks.get("holder")
    failing = [c for c in (proof, holder) if c is None or c["status"] != "passed"]
    if failing or not report.get("verified"):
        reason = "; ".join(f"{c['id']}: {c['message']}" for c in failing if c) or "not verified"
        raise InputError(
            f"the DID Authentication did not verify ({reason})", pointer="/verifiablePresentation"
        )
    assert holder is not None
    detail = holder.get("detail") or {}
    named = detail.get("holder")
    authenticated = detail.get("authenticated") or []
    did = named if isinstance(named, str) else (authenticated[0] if len(authenticated) == 1 else None)
    if not isinstance(did, str) or did.split(":")[:2] not in [["did", m] for m in ACCEPTED_METHODS]:
        raise InputError(
            "the presentation must authenticate one did:key, did:jwk or did:web holder",
            pointer="/verifiablePresentation/holder",
        )
    return did


def _find(services: Services, issuer: str, name: str) -> tuple[ClaimExchange, str, str | None, str | None]:
    now = services.clock()
    with services.readers() as session:
        found = ClaimRepository(session).exchange(secrets.digest(name)) if secrets.plausible(name) else None
        slug = IssuerRepository(session).by_id(found[2].issuer_id).slug if found else None
    if found is None or slug != issuer or found[0].expires_at <= now or found[1].expires_at <= now:
        raise NotFound("no such exchange, or it has expired; reload the claim page for a new one")
    exchange, _claim, record = found
    if exchange.completed_at is not None:
        raise StateConflict("this exchange has already completed; reload the claim page for a new one")
    return exchange, record.id, refusal(record), bound_subject(record)
