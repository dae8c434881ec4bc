"""What a learner's wallet reads and writes through the Open Badges API: credentials and profile.

``credentials`` lists the credentials issued here to the learner's address (active ones) and the
ones their wallets stored, oldest first. ``upsert_credential`` runs the verification spine first
and stores only what verifies; two credentials are the same when their ``issuer.id`` and ``id``
are (percent-decoded, trimmed: OB 3.0 §Credential Equality), and the newer ``validFrom`` wins.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import unquote

from sqlalchemy.exc import IntegrityError

from badge_issuer.application.services import Services
from badge_issuer.application.verifying import verify_presented
from badge_issuer.db.learner_records import LearnerRecords
from badge_issuer.db.tables import LearnerCredential, LearnerProfile
from badge_issuer.errors import Issue, NotFound, ParseError, ValidationFailed
from badge_issuer.formats.sniff import unwrap

PROFILE_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_profile_schema.json"
OB_TYPES = frozenset({"OpenBadgeCredential", "AchievementCredential"})
MAX_KEY = 512


@dataclass(frozen=True)
class CredentialPage:
    total: int
    credentials: list[dict[str, Any]]
    compact_jws: list[str]


@dataclass(frozen=True)
class Upserted:
    created: bool
    format: Literal["json", "jwt"]
    body: str
    #: the held copy is newer (a later validFrom): nothing was replaced
    unchanged: bool = False


def credentials(
    services: Services, learner: str, *, offset: int, limit: int, since: datetime | None
) -> CredentialPage:
    with services.readers() as session:
        total, page = LearnerRecords(session).page(learner, since, offset=offset, limit=limit)
    return CredentialPage(
        total=total,
        credentials=[_listed(json.loads(item.body)) for item in page if item.format == "json"],
        compact_jws=[item.body for item in page if item.format == "jwt"],
    )


def _listed(credential: dict[str, Any]) -> dict[str, Any]:
    """The credential as the OB API lists it: one ``proof`` becomes a list of one, as the OB
    OpenAPI file's AchievementCredential wants (the same JSON-LD graph: proofs still verify)."""
    if isinstance(credential.get("proof"), dict):
        credential["proof"] = [credential["proof"]]
    return credential


def _same_key(value: Any, pointer: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed("the credential needs it for equality", [Issue(pointer, "a non-empty string")])
    key = unquote(value).strip()
    if len(key) > MAX_KEY:
        raise ValidationFailed("too long", [Issue(pointer, f"at most {MAX_KEY} characters")])
    return key


def _issued_at(credential: dict[str, Any], now: datetime) -> datetime:
    value = credential.get("validFrom", credential.get("issuanceDate"))
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return now
        if parsed.tzinfo is not None:
            return parsed
    return now


def upsert_credential(services: Services, learner: str, data: bytes, content_type: str | None) -> Upserted:
    """Verify, then store (201) or replace (200) the learner's copy of a credential."""
    presented = unwrap(data, content_type)
    baked = presented.kind in ("png", "svg") and presented.baked in ("json", "jwt")
    if (presented.kind not in ("json", "jwt") and not baked) or len(presented.credentials) != 1:
        raise ParseError(
            "send one OpenBadgeCredential: JSON, a compact JWS as text/plain, or a baked PNG or SVG"
        )
    inner = presented.credentials[0]
    credential = dict(inner.document)
    types = credential.get("type")
    if not OB_TYPES & set(types if isinstance(types, list) else [types]):
        raise ValidationFailed("not an Open Badge", [Issue("/type", "needs OpenBadgeCredential")])
    issuer = credential.get("issuer")
    issuer_key = _same_key(issuer.get("id") if isinstance(issuer, dict) else issuer, "/issuer/id")
    credential_key = _same_key(credential.get("id"), "/id")
    report = verify_presented(services, data, content_type=content_type)
    if not report.verified:
        failed = [f"{check.id}: {check.message}" for check in report.checks if check.status != "passed"]
        raise ValidationFailed("the credential does not verify", [Issue("", item) for item in failed[:10]])
    fmt: Literal["json", "jwt"] = "jwt" if inner.jwt is not None else "json"
    if baked:  # the credential the image carries is what is kept (and listed, and echoed)
        body = inner.jwt.token if inner.jwt is not None else json.dumps(credential, ensure_ascii=False)
    else:
        body = data.decode("utf-8-sig").strip()
    now = services.clock()
    issued_at = _issued_at(credential, now)
    try:
        return _keep(services, learner, (issuer_key, credential_key), fmt, body, issued_at, now)
    except IntegrityError:  # a twin request stored the same credential first: replace that copy
        return _keep(services, learner, (issuer_key, credential_key), fmt, body, issued_at, now)


def _keep(
    services: Services,
    learner: str,
    key: tuple[str, str],
    fmt: Literal["json", "jwt"],
    body: str,
    issued_at: datetime,
    now: datetime,
) -> Upserted:
    """Store the learner's copy (created), replace the held one (or keep it when it is newer)."""
    issuer_key, credential_key = key
    with services.sessions() as session, session.begin():
        records = LearnerRecords(session)
        if _issued_here(services, records, learner, issuer_key, credential_key):
            return Upserted(False, fmt, body)  # the original is already listed: nothing to keep
        held = records.held(learner, issuer_key, credential_key)
        if held is None:
            records.add(
                LearnerCredential(
                    id=str(uuid.uuid4()),
                    learner=learner,
                    issuer_key=issuer_key,
                    credential_key=credential_key,
                    format=fmt,
                    body=body,
                    issued_at=issued_at,
                    created_at=now,
                    updated_at=now,
                )
            )
            return Upserted(True, fmt, body)
        if issued_at < held.issued_at:  # the held copy is the newer one: keep it
            return Upserted(False, fmt, body, unchanged=True)
        held.format, held.body, held.issued_at, held.updated_at = fmt, body, issued_at, now
        return Upserted(False, fmt, body)


def _issued_here(
    services: Services, records: LearnerRecords, learner: str, issuer_key: str, credential_key: str
) -> bool:
    """Whether the credential is one we issued to this learner (same issuer and id)."""
    prefix = services.urls.credential("")
    record_id = credential_key[len(prefix) :] if credential_key.startswith(prefix) else None
    record = records.issued_copy(learner, record_id, credential_key)
    if record is None:
        return False
    ours = json.loads(record.credential_json)
    issuer = ours.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    return isinstance(issuer_id, str) and unquote(issuer_id).strip() == issuer_key


def profile(services: Services, learner: str) -> dict[str, Any]:
    with services.readers() as session:
        row = LearnerRecords(session).profile(learner)
        if row is None:
            raise NotFound("no profile has been stored for this learner")
        document: dict[str, Any] = json.loads(row.profile_json)
        return document


def put_profile(services: Services, learner: str, document: Any) -> dict[str, Any]:
    """Replace the learner's Profile (held to the OB 3.0 Profile schema)."""
    services.schemas.validate(document, PROFILE_SCHEMA)
    assert isinstance(document, dict)  # the schema wants an object
    now = services.clock()
    text = json.dumps(document, ensure_ascii=False)
    with services.sessions() as session, session.begin():
        records = LearnerRecords(session)
        row = records.profile(learner)
        if row is None:
            records.add(LearnerProfile(learner=learner, profile_json=text, updated_at=now))
        else:
            row.profile_json, row.updated_at = text, now
    return document
