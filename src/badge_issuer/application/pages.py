"""What the public pages show: a badge with its live verdict, an issuer, an achievement, the landing page.

Everything a page shows of a badge comes from the credential exactly as signed, and its verdict from
the verification spine (``verifying.verify_presented``: our own DIDs and status lists are read
locally), so the page says what any verifier would find; a verdict is kept for a minute per
version of the badge's record (``verdict_cache``: a revocation shows at once). The recipient is
shown only by a display name the issuer put in the credential (an ``IdentityObject`` of type
``name``, not hashed); an email address, hashed or not, is never shown.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from badge_issuer.application import verifying
from badge_issuer.application.services import Services
from badge_issuer.application.step_progress import StepProgress, on_badge
from badge_issuer.application.verdict_cache import VerdictCache
from badge_issuer.application.verdicts import Verdict, verdict_of
from badge_issuer.db.achievements import AchievementRepository
from badge_issuer.db.credentials import CredentialRepository
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.tables import Issuer

#: longest text a page shows from a document (our inputs are bounded lower; others' may not be)
MAX_TEXT = 20_000
_EMAIL_LIKE = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")


@dataclass(frozen=True)
class Alignment:
    name: str
    url: str | None
    framework: str | None
    code: str | None
    description: str | None


@dataclass(frozen=True)
class AchievementCard:
    name: str
    description: str | None
    criteria: str | None
    criteria_url: str | None
    image: str | None
    achievement_type: str | None
    tags: tuple[str, ...]
    alignments: tuple[Alignment, ...]
    #: the achievement's page here (its id when it is one of ours)
    page: str | None


@dataclass(frozen=True)
class IssuerCard:
    name: str
    url: str | None
    image: str | None
    description: str | None
    #: the issuer's page here
    page: str | None
    linkedin_organization_id: str | None = None


@dataclass(frozen=True)
class BadgePage:
    credential_id: str
    url: str
    #: "Open Badge", or "Verifiable Credential" for a generic one (issued through the VC-API)
    kind: str
    achievement: AchievementCard
    issuer: IssuerCard
    recipient_name: str | None
    issued: str | None
    expires: str | None
    verdict: Verdict
    baked_png: str
    baked_svg: str
    #: the pathways this badge is a step of, with its recipient's progress (``step_progress``)
    pathways: tuple[StepProgress, ...] = ()


@dataclass(frozen=True)
class IssuerPage:
    issuer: IssuerCard
    achievements: tuple[AchievementCard, ...]


@dataclass(frozen=True)
class AchievementPage:
    achievement: AchievementCard
    issuer: IssuerCard
    version: int
    current_version: int
    #: how many credentials were awarded for this achievement (all versions): a number only
    awarded: int


@dataclass(frozen=True)
class LandingPage:
    base_url: str
    issuers: tuple[IssuerCard, ...]


def verdicts(services: Services) -> VerdictCache:
    """The application's recent badge page verdicts (``verdict_cache``)."""
    return services.page_verdicts


def badge_page(
    services: Services, credential_id: str, *, before_verifying: Callable[[], None] = lambda: None
) -> BadgePage:
    """The badge at ``credential_id`` as signed, with the spine's verdict: kept for a minute per
    version of its record (``verdict_cache``); ``before_verifying`` runs when it verifies anew."""
    with services.readers() as session:
        record = CredentialRepository(session).get(credential_id)
        text = record.credential_json
        version = (credential_id, record.status, record.updated_at.isoformat())
        ours = _issuer_card(services, IssuerRepository(session).by_id(record.issuer_id))
    report = verdicts(services).verdict(
        version,
        lambda: verifying.verify_presented(services, text.encode("utf-8"), content_type="application/json"),
        before_verifying=before_verifying,
    )
    credential = json.loads(text)
    subject = _mapping(credential.get("credentialSubject"))
    signed_issuer = _mapping(credential.get("issuer"))
    url = services.urls.credential(credential_id)
    summary = report.summary
    types = [item for item in _list(credential.get("type")) if isinstance(item, str)]
    badge = bool({"OpenBadgeCredential", "AchievementCredential"} & set(types))
    return BadgePage(
        credential_id=credential_id,
        url=url,
        kind="Open Badge" if badge else "Verifiable Credential",
        achievement=achievement_card(_mapping(subject.get("achievement")), services.urls.base, credential),
        # as the credential names its issuer (a generic VC may name only a DID: then as we do)
        issuer=IssuerCard(
            name=_text(signed_issuer.get("name")) or ours.name,
            url=_web_url(signed_issuer.get("url")) if signed_issuer else ours.url,
            image=_web_url(signed_issuer.get("image")) if signed_issuer else ours.image,
            description=_text(signed_issuer.get("description")) if signed_issuer else ours.description,
            page=ours.page,
            linkedin_organization_id=ours.linkedin_organization_id,
        ),
        recipient_name=display_name(subject),
        issued=_text(summary.get("issued")),
        expires=_text(summary.get("expires")),
        verdict=verdict_of(report),
        baked_png=f"{url}/baked.png",
        baked_svg=f"{url}/baked.svg",
        pathways=on_badge(services, credential_id),
    )


def issuer_page(services: Services, issuer: str) -> IssuerPage:
    with services.readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        repo = AchievementRepository(session)
        documents = [json.loads(repo.version(item).document_json) for item in repo.list(row.id)]
        card = _issuer_card(services, row)
    achievements = tuple(achievement_card(document, services.urls.base) for document in documents)
    return IssuerPage(card, achievements)


def achievement_page(
    services: Services, issuer: str, achievement: str, version: int | None = None
) -> AchievementPage:
    with services.readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        repo = AchievementRepository(session)
        item = repo.get(row.id, achievement)
        published = repo.version(item, version)
        awarded = CredentialRepository(session).count_for_achievement(item.id)
        card = _issuer_card(services, row)
        document = json.loads(published.document_json)
        current = item.current_version
    return AchievementPage(
        achievement=achievement_card(document, services.urls.base),
        issuer=card,
        version=published.version,
        current_version=current,
        awarded=awarded,
    )


def landing_page(services: Services) -> LandingPage:
    with services.readers() as session:
        issuers = tuple(_issuer_card(services, row) for row in IssuerRepository(session).all())
    return LandingPage(services.base_url, issuers)


def display_name(subject: Mapping[str, Any]) -> str | None:
    """The recipient's name as the issuer wrote it in the credential: an identifier of type ``name``
    that is not hashed (what our issue requests' ``name`` becomes), else the subject's ``name`` (a
    generic VC's); never an identifier of another type, never anything like an email address."""
    identifiers = subject.get("identifier")
    names = [
        identity.get("identityHash")
        for identity in (_mapping(item) for item in _list(identifiers)[:20])
        if identity.get("identityType") == "name" and identity.get("hashed") is False
    ]
    for value in [*names, subject.get("name")]:
        name = _text(value)
        if name and len(name) <= 500 and _EMAIL_LIKE.search(name) is None:
            return name
    return None


def achievement_card(
    document: Mapping[str, Any], base_url: str, credential: Mapping[str, Any] | None = None
) -> AchievementCard:
    """The parts of an Achievement a page shows (from a credential: its name if the achievement has none)."""
    criteria = _mapping(document.get("criteria"))
    alignments = document.get("alignment")
    tags = document.get("tag")
    own = document.get("id")
    name = _text(document.get("name")) or _title_of(credential or {})
    return AchievementCard(
        name=name,
        description=_text(document.get("description")),
        criteria=_text(criteria.get("narrative")),
        criteria_url=_web_url(criteria.get("id")),
        image=_web_url(document.get("image")),
        achievement_type=_text(document.get("achievementType")),
        tags=tuple(tag for tag in (_text(t) for t in _list(tags)[:50]) if tag),
        alignments=tuple(
            Alignment(
                name=_text(item.get("targetName")) or "(unnamed)",
                url=_web_url(item.get("targetUrl")),
                framework=_text(item.get("targetFramework")),
                code=_text(item.get("targetCode")),
                description=_text(item.get("targetDescription")),
            )
            for item in (_mapping(entry) for entry in _list(alignments)[:100])
        ),
        page=own if isinstance(own, str) and own.startswith(f"{base_url}/issuers/") else None,
    )


def _title_of(credential: Mapping[str, Any]) -> str:
    """A credential's own name, else its most specific type (``ExampleAlumniCredential``)."""
    types = [item for item in _list(credential.get("type")) if isinstance(item, str)]
    specific = [item for item in types if item != "VerifiableCredential"]
    return _text(credential.get("name")) or (specific[-1][:200] if specific else "(an unnamed badge)")


def _issuer_card(services: Services, row: Issuer) -> IssuerCard:
    stored = json.loads(row.profile_json)
    return IssuerCard(
        name=_text(stored.get("name")) or row.slug,
        url=_web_url(stored.get("url")),
        image=_web_url(stored.get("image")),
        description=_text(stored.get("description")),
        page=services.urls.issuer_profile(row.slug),
        linkedin_organization_id=_linkedin_id(row),
    )


def _linkedin_id(row: Issuer) -> str | None:
    value = json.loads(row.profile_json).get("linkedin_organization_id")
    return value if isinstance(value, str) and value.isdigit() else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value if len(value) <= MAX_TEXT else value[: MAX_TEXT - 1] + "…"


def _web_url(value: Any) -> str | None:
    """An http(s) URL (an Image object's id), or None: pages never link ``javascript:`` or ``data:``."""
    if isinstance(value, Mapping):
        value = value.get("id")
    if isinstance(value, str) and re.fullmatch(r"https?://[^\s\"'<>]{1,2000}", value):
        return value
    return None
