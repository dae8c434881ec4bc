"""Badges that reach a wallet advance pathways as issuing does (``stacking``).

- A badge claimed into a wallet (OpenID4VCI) or taken through a VC-API exchange is delivered
  signed afresh for the wallet's DID: that DID now holds the step, so the pathways requiring it are
  evaluated for the DID (counting every award delivered to it) and awarded to it when complete.
- A credential a learner's wallet stores through the Open Badges API (upsert) may be an external
  step: every issuer here that awarded the learner evaluates its pathways with an external
  requirement that badge could meet, for them (each of their wallet badges verified once per
  upsert). Whether another issuer's badge is the learner's is checked against their address,
  which learners here are not known by (only its keyed hash): it is read from their awards when
  the deployment stores addresses (``BADGE_STORE_RECIPIENT_EMAIL``); otherwise the upsert is
  counted at the next issuance, submission or ``POST …/awards`` for them.

Each wraps the use case it follows and never fails it: an evaluation that cannot run now is logged
(as ``stacking.advance`` does), and the award stays exactly once (``pathway_awards``).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from badge_issuer.application import exchanging, learner_records, stacking, wallet_issuing
from badge_issuer.application.pathway_awards import award_if_complete
from badge_issuer.application.pathway_holdings import Learner, Verdicts, holdings, learner, wallet_credential
from badge_issuer.application.services import Services
from badge_issuer.credential.pathway import stored_leaves
from badge_issuer.credential.pathway_progress import Held, external_leaf_matches, held_from
from badge_issuer.db.credentials import CredentialRepository
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.pathways import PathwayRepository
from badge_issuer.errors import BadgeIssuerError

log = logging.getLogger(__name__)
#: issuers whose pathways one upsert evaluates at most
MAX_ISSUERS = 20


def participate(
    services: Services, issuer: str, name: str, body: Any, *, client: str | None
) -> dict[str, Any]:
    """``exchanging.participate``, then the pathways the delivered badge advances for the DID."""
    answer = exchanging.participate(services, issuer, name, body, client=client)
    presentation = answer.get("verifiablePresentation")
    if isinstance(presentation, dict):
        for credential in presentation.get("verifiableCredential", []):
            delivered(services, credential)
    return answer


def issue_to_wallet(services: Services, slug: str, *, access_token: str | None, body: Any) -> dict[str, Any]:
    """``wallet_issuing.issue_to_wallet``, then the pathways the delivered badge advances."""
    answer = wallet_issuing.issue_to_wallet(services, slug, access_token=access_token, body=body)
    for item in answer.get("credentials", []):
        delivered(services, item.get("credential"))
    return answer


def delivered(services: Services, credential: Any) -> None:
    """Advance the pathways of the award ``credential`` is a delivery of, for its holder's DID."""
    prefix = services.urls.credential("")
    subject = credential.get("credentialSubject") if isinstance(credential, dict) else None
    holder = subject.get("id") if isinstance(subject, dict) else None
    reference = credential.get("id") if isinstance(credential, dict) else None
    if not isinstance(holder, str) or not isinstance(reference, str) or not reference.startswith(prefix):
        return
    try:
        with services.readers() as session:
            records = CredentialRepository(session)
            record = records.get(reference.removeprefix(prefix))
            labels = records.achievement_labels([record])
            issuer = IssuerRepository(session).by_id(record.issuer_id).slug
        if record.id in labels:
            stacking.advance(
                services, issuer, labels[record.id][0], learner(services, holder), client_id=None
            )
    except BadgeIssuerError as exc:
        log.warning("pathways of a delivered badge could not be checked now: %s", exc.message)


def upsert_credential(
    services: Services, learner_hash: str, data: bytes, content_type: str | None
) -> learner_records.Upserted:
    """``learner_records.upsert_credential``, then the pathways of each issuer that awarded the
    learner and knows their address that have an external requirement the upserted badge could
    meet (no other pathway can be completed by it). The learner's other external badges are
    verified again for them, once each however many issuers evaluate."""
    stored = learner_records.upsert_credential(services, learner_hash, data, content_type)
    credential = wallet_credential(stored.format, stored.body)
    if not stored.unchanged and credential is not None:
        upserted = held_from(credential, source="external")
        verdicts: Verdicts = {}  # each of the learner's wallet badges is verified once here
        try:
            for issuer, who, pathways in _counting_external(services, learner_hash, upserted):
                held = holdings(services, issuer, who, verdicts=verdicts)
                for pathway in pathways:
                    award_if_complete(services, issuer, pathway, who, client_id=None, held=held)
        except BadgeIssuerError as exc:
            log.warning("pathways of an upserted badge could not be checked now: %s", exc.message)
    return stored


def _counting_external(
    services: Services, learner_hash: str, upserted: Held
) -> list[tuple[str, Learner, list[str]]]:
    """``(issuer, learner, pathways)`` for each issuer that awarded the learner, knows their address
    and has pathways with an external requirement ``upserted`` matches."""
    found = []
    with services.readers() as session:
        repo = PathwayRepository(session)
        _, issuers = repo.issuers_awarding(learner_hash, offset=0, limit=MAX_ISSUERS)
        for slug in issuers:
            row = IssuerRepository(session).by_slug(slug)
            pathways = [
                item.slug
                for item in repo.all(row.id)
                if any(
                    external_leaf_matches(leaf, upserted)
                    for leaf in stored_leaves(json.loads(repo.version(item).document_json))
                )
            ]
            address = repo.address_of(row.id, learner_hash) if pathways else None
            if address is None:
                continue
            who = learner(services, address)
            if who.hash == learner_hash:  # the address this learner signed in with
                found.append((slug, who, pathways))
    return found
