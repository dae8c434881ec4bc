"""Readiness: can this instance serve? Database reachable, schema at head, signing keys loadable.

``/readyz`` answers 503 with the failing check's reason when not; the reasons are fit for the
public (no server paths, no database URLs); the details go to the operator log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.migrate import current_revision, head_revision
from badge_issuer.db.tables import Issuer
from badge_issuer.errors import BadgeIssuerError

log = logging.getLogger(__name__)

#: loads (and checks) the signer of one issuer; raises a ConfigurationError when it cannot
SignerCheck = Callable[[Session, Issuer], object]
#: at most this many failing keys are named in a readiness answer
MAX_NAMED_KEYS = 5


@dataclass(frozen=True)
class Readiness:
    """Each check's outcome: ``None`` passed, otherwise the reason it did not."""

    checks: dict[str, str | None]

    @property
    def ready(self) -> bool:
        return all(reason is None for reason in self.checks.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "status": "ready" if self.ready else "not ready",
            "checks": {name: reason or "ok" for name, reason in self.checks.items()},
        }


def check_readiness(engine: Engine, readers: sessionmaker[Session], signer_for: SignerCheck) -> Readiness:
    """Run the checks in order; a check that cannot run because an earlier one failed is not a pass."""
    checks: dict[str, str | None] = {"database": None, "schema": None, "signing_keys": None}
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.error("readiness: database unreachable: %s", exc)
        return Readiness(
            {**checks, "database": "unreachable", "schema": "not checked", "signing_keys": "not checked"}
        )
    try:
        current, head = current_revision(engine), head_revision()
    except SQLAlchemyError as exc:
        log.error("readiness: cannot read the schema revision: %s", exc)
        current, head = None, head_revision()
    if current != head:
        checks["schema"] = f"database at revision {current or 'none (empty)'}, code expects {head}"
        checks["signing_keys"] = "not checked"
        return Readiness(checks)
    checks["signing_keys"] = signing_keys_problem(readers, signer_for)
    return Readiness(checks)


def signing_keys_problem(readers: sessionmaker[Session], signer_for: SignerCheck) -> str | None:
    """None when every issuer's signing key loads and matches its recorded public key."""
    failing: list[str] = []
    count = 0
    try:
        with readers() as session:
            for issuer in IssuerRepository(session).all():
                try:
                    signer_for(session, issuer)
                except BadgeIssuerError as exc:
                    log.error("readiness: issuer %r cannot sign: %s", issuer.slug, exc.message)
                    count += 1
                    if len(failing) < MAX_NAMED_KEYS:
                        failing.append(issuer.slug)
    except SQLAlchemyError as exc:
        log.error("readiness: cannot list issuers: %s", exc)
        return "issuers could not be read"
    if not failing:
        return None
    more = f" and {count - len(failing)} more" if count > len(failing) else ""
    return f"signing key missing or not the recorded key for issuer(s) {', '.join(failing)}{more}"
