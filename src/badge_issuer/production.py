"""Production safety: what ``BADGE_ENVIRONMENT=production`` refuses to start with, and the check
that the issuers' stored ``did:web`` DIDs belong to the base URL being served.

An issuer's did:web is fixed when it is created, from the base URL the creating process saw; a
server on another base URL publishes DID documents nobody resolves, so every badge fails. In
production each finding refuses the start; elsewhere the DID finding is logged loudly.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.orm import Session, sessionmaker

from badge_issuer.config import Settings
from badge_issuer.crypto.keystore import KeyStore
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.errors import ConfigurationError
from badge_issuer.urls import Urls

log = logging.getLogger(__name__)

PRODUCTION = "production"
#: the key ``badge-issuer init`` creates for development
DEVELOPMENT_KEY = "dev"
#: at most this many issuers are named in one finding
MAX_NAMED = 5


@dataclass(frozen=True)
class StoredIssuer:
    slug: str
    did: str
    did_method: str


def is_production(settings: Settings) -> bool:
    return settings.environment == PRODUCTION


def settings_findings(settings: Settings, keystore: KeyStore, *, deployment_key: str) -> list[str]:
    """What production refuses in the settings and key files (empty: nothing).

    The development recipient pepper and private fetches are refused earlier, by ``Settings``
    itself, in every environment but ``dev``.
    """
    findings: list[str] = []
    if urlsplit(settings.base_url).scheme != "https":
        findings.append(f"BADGE_BASE_URL must be an https URL, not {settings.base_url!r}")
    if deployment_key == DEVELOPMENT_KEY:
        findings.append(
            f"the deployment key is the development key {DEVELOPMENT_KEY!r}: "
            "set BADGE_DEPLOYMENT_KEY to a key created for this deployment"
        )
    if settings.key_passphrase is None:
        findings.append("key files are not encrypted: set BADGE_KEY_PASSPHRASE")
    plain = [name for name in keystore.list() if not keystore.is_encrypted(name)]
    if plain:
        findings.append(f"unencrypted key files: {_named(plain)}")
    return findings


def stored_issuers(readers: sessionmaker[Session]) -> list[StoredIssuer]:
    with readers() as session:
        return [
            StoredIssuer(issuer.slug, issuer.did, issuer.did_method)
            for issuer in IssuerRepository(session).all()
        ]


def did_findings(base_url: str, issuers: Iterable[StoredIssuer]) -> list[str]:
    """Issuers whose did:web is not the one ``base_url`` serves (did:key issuers are anywhere)."""
    urls = Urls.of(base_url)
    wrong = [i for i in issuers if i.did_method == "web" and i.did != urls.issuer_did_web(i.slug)]
    if not wrong:
        return []
    example = wrong[0]
    return [
        f"{len(wrong)} issuer(s) have a did:web that BADGE_BASE_URL {base_url!r} does not serve "
        f"({_named([i.slug for i in wrong])}; e.g. {example.did!r}, expected "
        f"{urls.issuer_did_web(example.slug)!r}): their badges will not verify"
    ]


def refuse_or_warn(settings: Settings, findings: Sequence[str], *, what: str = "start") -> None:
    """In production, raise ConfigurationError naming every finding; elsewhere log each loudly."""
    if not findings:
        return
    if is_production(settings):
        raise ConfigurationError(f"refusing to {what} in production: " + "; ".join(findings))
    for finding in findings:
        log.warning("CONFIGURATION WARNING: %s", finding)


def check_startup(
    settings: Settings, keystore: KeyStore, readers: sessionmaker[Session], *, deployment_key: str
) -> None:
    """Everything checked when the service starts (after migrations ran)."""
    findings = (
        settings_findings(settings, keystore, deployment_key=deployment_key)
        if is_production(settings)
        else []
    )
    findings += did_findings(settings.base_url, stored_issuers(readers))
    refuse_or_warn(settings, findings)


def _named(names: Sequence[str]) -> str:
    shown = ", ".join(names[:MAX_NAMED])
    return shown + (f" and {len(names) - MAX_NAMED} more" if len(names) > MAX_NAMED else "")
