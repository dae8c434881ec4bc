"""OpenID4VCI authorization code grant, the authorization endpoint: a learner signed in by email
approves a wallet and it gets a code (``wallet_tokens`` redeems it for an access token bound to
that learner, and the credential endpoint delivers only that learner's awards).

The authorization endpoint reuses #13's learner sign-in (an emailed code, the session cookie);
learners are known by the keyed recipient hash, so "their" awards are the active ones of this
issuer whose ``recipient_hash`` is theirs. An ``issuer_state`` from a claim's offer narrows the
grant to that claim's award, and only if it was awarded to the learner who signed in. Wallets
are the clients registered through RFC 7591 (``/oauth/register``): the ``redirect_uri`` must be one
they registered, and the token request authenticates them (``client_secret_basic``). A wallet may
push its request first (RFC 9126, authenticated the same way) and send only ``client_id`` and the
one-time ``request_uri`` through the browser.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy.orm import Session

from badge_issuer.application.services import Services
from badge_issuer.application.wallet_tokens import authenticated_client
from badge_issuer.db.achievements import AchievementRepository
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.tables import Issuer, WalletAuthorization, WalletPushedRequest
from badge_issuer.db.wallet_authorizations import WalletAuthorizationRepository
from badge_issuer.errors import RateLimited, WalletAuthorizationRefused, WalletProtocolError
from badge_issuer.observability.logs import audit
from badge_issuer.wallet import metadata, secrets
from badge_issuer.wallet.authorization import AuthorizationAsk, parse_request
from badge_issuer.wallet.awards import refusal

CODE_LIFETIME = timedelta(seconds=600)
PUSHED_LIFETIME = timedelta(seconds=600)  # the learner may have to sign in by email first
REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
#: pushed requests one wallet may have waiting (wallets register themselves: bound what they store)
MAX_PUSHED_PER_CLIENT = 20
#: awards of one configuration one grant may carry
MAX_AWARDS_PER_CONFIGURATION = 20


@dataclass(frozen=True)
class Badge:
    configuration_id: str
    name: str


@dataclass(frozen=True)
class Prompt:
    """What the consent page shows: which wallet asks for which badges of which issuer."""

    issuer_name: str
    client_name: str
    client_uri: str
    redirect_origin: str
    badges: tuple[Badge, ...]


@dataclass(frozen=True)
class _Issuer:
    row: Issuer
    name: str
    #: configuration id (achievement slug) → (achievement id, badge name)
    achievements: dict[str, tuple[int, str]]


def _issuer(session: Session, slug: str) -> _Issuer:
    issuer = IssuerRepository(session).by_slug(slug)
    achievements = AchievementRepository(session)
    found: dict[str, tuple[int, str]] = {}
    for row in achievements.list(issuer.id):
        name = json.loads(achievements.version(row).document_json).get("name")
        found[row.slug] = (row.id, name if isinstance(name, str) else row.slug)
    stored_name = json.loads(issuer.profile_json).get("name")
    return _Issuer(issuer, stored_name if isinstance(stored_name, str) else slug, found)


def _ask(
    session: Session, services: Services, issuer: _Issuer, params: list[tuple[str, str]], now: datetime
) -> AuthorizationAsk:
    repository = WalletAuthorizationRepository(session)
    if "request_uri" in dict(params):
        params = _pushed(repository, issuer, params, now)

    def redirect_uris(client_id: str) -> list[str] | None:
        client = repository.client(client_id)
        if client is None:
            return None
        uris = json.loads(client.metadata_json).get("redirect_uris", [])
        return [uri for uri in uris if isinstance(uri, str)]

    return parse_request(
        params,
        issuer=metadata.issuer_identifier(services.urls, issuer.row.slug),
        configurations=issuer.achievements,
        redirect_uris=redirect_uris,
    )


def review(services: Services, slug: str, params: list[tuple[str, str]]) -> Prompt:
    """Check an authorization request. What the learner holds is not looked at before they answer:
    a refusal for it would go straight back to the wallet, which any registered client could use
    to learn, without consent, whether a signed-in learner holds a kind of badge (``decide`` checks)."""
    now = services.clock()
    with services.readers() as session:
        issuer = _issuer(session, slug)
        ask = _ask(session, services, issuer, params, now)
        client = WalletAuthorizationRepository(session).client(ask.client_id)
        assert client is not None
        client_uri = json.loads(client.metadata_json).get("client_uri", "")
    redirect = urlsplit(ask.redirect_uri)
    return Prompt(
        issuer_name=issuer.name,
        client_name=client.client_name,
        client_uri=client_uri if isinstance(client_uri, str) else "",
        redirect_origin=f"{redirect.scheme}://{redirect.netloc}",
        badges=tuple(
            Badge(requested.configuration_id, issuer.achievements[requested.configuration_id][1])
            for requested in ask.requested
        ),
    )


def decide(
    services: Services, slug: str, params: list[tuple[str, str]], learner: str, *, approve: bool
) -> str:
    """The learner's answer: the URL the browser goes back to the wallet with (a code, or an error)."""
    now = services.clock()
    code = secrets.new_secret()
    with services.sessions() as session, session.begin():
        issuer = _issuer(session, slug)
        ask = _ask(session, services, issuer, params, now)
        if not approve:
            raise _refused(ask, "access_denied", "the learner did not allow it")
        granted = _grant(session, issuer, ask, learner, now)
        repository = WalletAuthorizationRepository(session)
        request_uri = dict(params).get("request_uri")
        if request_uri is not None and not repository.spend_pushed(secrets.digest(request_uri), now):
            raise _refused(ask, "invalid_request", "request_uri was used already")
        if ask.issuer_state is not None and not repository.spend_issuer_state(
            secrets.digest(ask.issuer_state), now
        ):
            raise _refused(ask, "invalid_request", "issuer_state is unknown, used or expired")
        repository.add(
            WalletAuthorization(
                issuer_id=issuer.row.id,
                client_id=ask.client_id,
                learner=learner,
                redirect_uri=ask.redirect_uri,
                code_challenge=ask.code_challenge,
                code_hash=secrets.digest(code),
                granted_json=json.dumps(granted),
                code_expires_at=now + CODE_LIFETIME,
                created_at=now,
            ),
            now,
        )
    audit("wallet.authorized", issuer=slug, client=ask.client_id, learner=learner[:12])
    return redirect_to(
        ask.redirect_uri,
        {"code": code, "state": ask.state, "iss": metadata.issuer_identifier(services.urls, slug)},
    )


def push(services: Services, slug: str, form: dict[str, str], *, authorization: str | None) -> dict[str, Any]:
    """A pushed authorization request (RFC 9126): checked like any authorization request, from an
    authenticated wallet, and kept under a one-time ``request_uri`` for ``PUSHED_LIFETIME``; at
    most ``MAX_PUSHED_PER_CLIENT`` of a wallet wait at a time (``RateLimited``: RFC 9126 §2.3's 429)."""
    now = services.clock()
    request_uri = REQUEST_URI_PREFIX + secrets.new_secret()
    with services.sessions() as session, session.begin():
        issuer = _issuer(session, slug)
        client_id = authenticated_client(authorization, session)
        if form.get("client_id") != client_id:
            raise WalletProtocolError("invalid_request", "client_id must be the authenticated wallet's")
        if "request_uri" in form:
            raise WalletProtocolError("invalid_request", "a pushed request cannot carry request_uri")
        pairs = list(form.items())
        _ask(session, services, issuer, pairs, now)  # refused here as it would be at the endpoint
        repository = WalletAuthorizationRepository(session)
        if repository.live_pushed(client_id, now) >= MAX_PUSHED_PER_CLIENT:
            raise RateLimited(
                f"this wallet has {MAX_PUSHED_PER_CLIENT} pushed requests waiting; use or let them expire",
                retry_after=int(PUSHED_LIFETIME.total_seconds()),
            )
        repository.add_pushed(
            WalletPushedRequest(
                request_hash=secrets.digest(request_uri),
                issuer_id=issuer.row.id,
                client_id=client_id,
                params_json=json.dumps(pairs),
                expires_at=now + PUSHED_LIFETIME,
                created_at=now,
            )
        )
    return {"request_uri": request_uri, "expires_in": int(PUSHED_LIFETIME.total_seconds())}


def _pushed(
    repository: WalletAuthorizationRepository, issuer: _Issuer, params: list[tuple[str, str]], now: datetime
) -> list[tuple[str, str]]:
    """The parameters a ``request_uri`` names (only those: RFC 9126 §4), for the wallet that pushed them."""
    values = dict(params)
    request_uri = values["request_uri"]
    row = repository.pushed(secrets.digest(request_uri)) if len(request_uri) <= 128 else None
    if (
        row is None
        or row.issuer_id != issuer.row.id
        or row.used_at is not None
        or row.expires_at <= now
        or values.get("client_id") != row.client_id
    ):
        raise WalletProtocolError("invalid_request", "request_uri is unknown, used or expired")
    return [(str(name), str(value)) for name, value in json.loads(row.params_json)]


def redirect_to(redirect_uri: str, params: dict[str, str | None]) -> str:
    query = urlencode({name: value for name, value in params.items() if value is not None})
    return redirect_uri + ("&" if urlsplit(redirect_uri).query else "?") + query


def refusal_redirect(services: Services, slug: str, refused: WalletAuthorizationRefused) -> str:
    return redirect_to(
        refused.redirect_uri,
        {
            "error": refused.error,
            "error_description": refused.message,
            "state": refused.state,
            "iss": metadata.issuer_identifier(services.urls, slug),
        },
    )


def _refused(ask: AuthorizationAsk, error: str, message: str) -> WalletAuthorizationRefused:
    return WalletAuthorizationRefused(error, message, redirect_uri=ask.redirect_uri, state=ask.state)


def _grant(
    session: Session, issuer: _Issuer, ask: AuthorizationAsk, learner: str, now: datetime
) -> list[dict[str, Any]]:
    """Award ids per requested configuration: the learner's own active awards (or the offer's)."""
    repository = WalletAuthorizationRepository(session)
    offered: tuple[str, str] | None = None  # (configuration, award id) of the issuer_state's claim
    if ask.issuer_state is not None:
        found = repository.issuer_state(secrets.digest(ask.issuer_state))
        if (
            found is None
            or found[2].issuer_id != issuer.row.id
            or found[0].used_at is not None
            or found[0].expires_at <= now
            or found[1].expires_at <= now
        ):
            raise _refused(ask, "invalid_request", "issuer_state is unknown, used or expired")
        record = found[2]
        if record.recipient_hash != learner:
            raise _refused(ask, "access_denied", "the badge of this offer was awarded to someone else")
        if refusal(record) is not None:
            raise _refused(ask, "access_denied", refusal(record) or "")
        configuration = next(
            (
                slug
                for slug, (achievement_id, _) in issuer.achievements.items()
                if achievement_id == record.achievement_id
            ),
            None,
        )
        if configuration not in {requested.configuration_id for requested in ask.requested}:
            raise _refused(ask, "invalid_request", "issuer_state is for a credential that was not requested")
        offered = (str(configuration), record.id)
    granted: list[dict[str, Any]] = []
    for requested in ask.requested:
        if offered is not None and requested.configuration_id == offered[0]:
            ids = [offered[1]]
        else:
            achievement_id = issuer.achievements[requested.configuration_id][0]
            awards = repository.awards_of(issuer.row.id, learner, [achievement_id])
            ids = [award.id for award in awards[:MAX_AWARDS_PER_CONFIGURATION]]
        if ids:
            granted.append(
                {"configuration": requested.configuration_id, "credentials": ids, "by": requested.by}
            )
    if not granted:
        raise _refused(ask, "access_denied", "no badge of the kind asked for was awarded to you here")
    return granted
