"""A learner's Comprehensive Learner Record (1EdTech CLR 2.0): one signed ``ClrCredential``.

It carries every active badge this issuer awarded the learner (found by the keyed recipient
hash), and on request the external badges submitted for them that verify now, each exactly as
signed — its own proof and status entry intact — as ``credentialSubject.verifiableCredential``,
with ``association``s from the issuer's pathways (a pathway's target ``isParentOf`` each step the
learner holds, each step ``isPartOf`` the target) and the learner's identity (a DID, or a salted
hash of the email address). The CLR is signed through the issuing use case as any credential the
issuer signs (``issue_supplied``): held to the CLR 2.0 schema, given its own revocation status
entry, stored as a revocable record.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from badge_issuer.application.issuing import issue_supplied
from badge_issuer.application.pathway_holdings import Learner, learner, why_not_counting
from badge_issuer.application.services import Services
from badge_issuer.checks.clr import NESTED_TYPES
from badge_issuer.credential.identity import identity_object
from badge_issuer.credential.pathway import ordered_steps, own_requirements
from badge_issuer.credential.pathway_progress import held_from
from badge_issuer.credential.supplied import types_of
from badge_issuer.db.credentials import CredentialRepository
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.pathways import PathwayRepository
from badge_issuer.errors import ValidationFailed
from badge_issuer.issuance import IssuedBadge
from badge_issuer.jsonld.loader import OB_V3P0_CONTEXT, VC_V2

CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
#: what our verifier verifies in one CLR (checks.clr's bound)
MAX_NESTED = 100
MAX_ASSOCIATIONS = 1000


@dataclass(frozen=True)
class IssuedClr:
    issued: IssuedBadge
    credentials: int
    credits: float


@dataclass(frozen=True)
class LearnerRecord:
    """What one issuer holds for one learner: their active badges (as signed) and what links them."""

    nested: list[dict[str, Any]]
    credits: float
    associations: list[dict[str, Any]]
    issuer_name: str


def _associations(pathways: Sequence[dict[str, Any]], held: dict[str, set[str]]) -> list[dict[str, Any]]:
    """``held``: our achievement slug → the achievement ids (versions) the learner holds."""
    found: dict[tuple[str, str, str], None] = {}
    for document in pathways:
        targets = held.get(document["target"], set())
        for slug in sorted(own_requirements(document)):
            for target in sorted(targets):
                for step in sorted(held.get(slug, set())):
                    found[(target, "isParentOf", step)] = None
                    found[(step, "isPartOf", target)] = None
        for before, after in ordered_steps(document):
            for source in sorted(held.get(before, set())):
                for step in sorted(held.get(after, set())):
                    found[(source, "precedes", step)] = None
    return [
        {"type": "Association", "associationType": kind, "sourceId": source, "targetId": target}
        for source, kind, target in list(found)[:MAX_ASSOCIATIONS]
    ]


def record_of(
    services: Services, issuer: str, learner_hash: str
) -> tuple[LearnerRecord, list[dict[str, Any]]]:
    """The learner's own badges of ``issuer`` and what links them; and the external badges they
    submitted to it (not yet checked)."""
    with services.readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        repo = PathwayRepository(session)
        own = repo.active_awards(row.id, learner_hash)
        labels = CredentialRepository(session).achievement_labels(own)
        pathways = [json.loads(repo.version(item).document_json) for item in repo.all(row.id)]
        issuer_name = json.loads(row.profile_json)["name"]
        submitted = [json.loads(item.credential_json) for item in repo.external(row.id, learner_hash)]
    nested = [json.loads(item.credential_json) for item in own]
    held: dict[str, set[str]] = {}
    credits = 0.0
    for item, credential in zip(own, nested, strict=True):
        view = held_from(credential, source="own")
        credits += view.credits or 0.0
        if item.id in labels and view.achievement_id is not None:
            held.setdefault(labels[item.id][0], set()).add(view.achievement_id)
    return LearnerRecord(nested, credits, _associations(pathways, held), issuer_name), submitted


def unsigned_clr(record: LearnerRecord, subject: dict[str, Any], clr_id: str) -> dict[str, Any]:
    subject = {**subject, "verifiableCredential": record.nested}
    if record.associations:
        subject["association"] = record.associations
    return {
        "@context": [VC_V2, CLR_CONTEXT, OB_V3P0_CONTEXT],
        "id": clr_id,
        "type": ["VerifiableCredential", "ClrCredential"],
        "name": f"Comprehensive Learner Record from {record.issuer_name}"[:500],
        "description": f"{len(record.nested)} achievement(s); total credit {record.credits:g}.",
        "credentialSubject": subject,
    }


def check_count(own: int, total: int) -> None:
    """A CLR carries at least one of our badges and at most what a verifier checks."""
    if not own:
        raise ValidationFailed("this learner holds no active badge of this issuer", [], pointer="/recipient")
    if total > MAX_NESTED:
        raise ValidationFailed(
            f"this learner holds {total} badges; a CLR carries at most {MAX_NESTED}", [], pointer="/recipient"
        )


def _subject(services: Services, who: Learner) -> dict[str, Any]:
    subject: dict[str, Any] = {"type": ["ClrSubject"]}
    if who.email is None:
        subject["id"] = who.identifier
    else:
        subject["identifier"] = [identity_object(who.identifier, salt=services.new_salt())]
    return subject


def issue_clr(
    services: Services,
    *,
    issuer: str,
    recipient: str,
    client_id: int | None,
    idempotency_key: str | None,
    scope: str,
    include_external: bool = False,
) -> IssuedClr:
    """Sign the learner's CLR now (ValidationFailed when they hold none of our badges, or more
    than a verifier would check). ``include_external``: also the badges of other issuers submitted
    for them that verify now (Open Badges only)."""
    who = learner(services, recipient)
    record, submitted = record_of(services, issuer, who.hash)
    external = [
        credential
        for credential in (submitted if include_external else [])
        if NESTED_TYPES.intersection(types_of(credential))
        and why_not_counting(services, who, credential) is None
    ]
    check_count(len(record.nested), len(record.nested) + len(external))
    credits = record.credits + sum(
        held_from(credential, source="external").credits or 0.0 for credential in external
    )
    record = replace(record, nested=record.nested + external, credits=credits)
    clr = unsigned_clr(record, _subject(services, who), f"urn:uuid:{services.new_id()}")
    issued = issue_supplied(
        services,
        issuer=issuer,
        credential=clr,
        cryptosuite="eddsa-rdfc-2022",
        status_purpose="revocation",
        credential_uri=None,
        client_id=client_id,
        idempotency_key=idempotency_key,
        scope=scope,
        payload={"recipient": who.identifier, "includeExternal": include_external},
    )
    return IssuedClr(issued=issued, credentials=len(record.nested), credits=credits)
