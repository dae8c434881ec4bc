"""Preparing a credential the client wrote itself (the VC-API's ``POST /credentials/issue``).

``prepare_supplied`` is the supplied credential's counterpart of ``issuance.prepare_badge``: it
validates the credential, fills in its issuer and status entry (taking the position) and checks
that nothing would be lost under JSON-LD; the issuance spine signs and stores it like any award.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from badge_issuer.awards import (
    Prepared,
    SignCommand,
    recipient_hash,
    status_entry,
)
from badge_issuer.credential.supplied import check_supplied, complete, is_open_badge, prefixed, term_pointer
from badge_issuer.credential.text_policy import refuse_untransportable
from badge_issuer.crypto.suites import suite_by_name
from badge_issuer.db.credentials import CredentialRepository
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.status import StatusRepository
from badge_issuer.db.tables import Credential
from badge_issuer.documents import profile
from badge_issuer.errors import Issue as Finding
from badge_issuer.errors import JsonLdError, StateConflict, TooComplex, UndefinedTerms, ValidationFailed
from badge_issuer.jsonld.processor import expand
from badge_issuer.signing import IssuanceTools


def prepare_supplied(command: SignCommand, *, session: Session, tools: IssuanceTools) -> Prepared:
    """Validate a client's credential, fill in its issuer and status entry (taking the position)
    and check it under JSON-LD. The caller replays an earlier award under the same key first
    (``awards.earlier_award``)."""
    records = CredentialRepository(session)
    # 1. validate: what it is, whose it is, and text other verifiers would refuse
    issuer = IssuerRepository(session).by_slug(command.issuer_slug)
    supplied = command.credential
    version = check_supplied(supplied, issuer_did=issuer.did, pinned=tools.canon.loader.urls)
    uri = supplied.get("id") if isinstance(supplied.get("id"), str) else command.credential_uri
    if uri is not None and records.by_uri(issuer.id, uri) is not None:
        raise StateConflict(
            f"this issuer already signed a credential with the id {uri[:200]!r}",
            pointer="/credential/id" if "id" in supplied else "/options/credentialId",
        )
    try:
        refuse_untransportable(supplied, suites=[command.cryptosuite], what="the credential")
    except ValidationFailed as exc:
        raise prefixed(exc) from None
    # 2. fill in the issuer and the status entry
    now = tools.clock()
    record_id = tools.new_id()
    statuses = StatusRepository(session)
    position = None
    entry = None
    if command.status_purpose is not None:
        if command.status_purpose == "suspension" and not issuer.suspension_enabled:
            raise ValidationFailed(
                "this issuer has no suspension lists (suspension is enabled per issuer)",
                [Finding("/options/credentialStatus/statusPurpose", "suspension is not enabled")],
            )
        position = statuses.allocate(
            issuer.id, command.status_purpose, size=tools.status_list_size, now=now, rng=tools.rng
        )
        status_list, index = position
        entry = status_entry(
            tools.urls.status_list(issuer.slug, status_list.purpose, status_list.sequence),
            index,
            status_list.purpose,
        )
    suite = suite_by_name(command.cryptosuite)
    unsigned = complete(
        supplied,
        version=version,
        issuer=profile(issuer) if is_open_badge(supplied) else issuer.did,
        proof_type=suite.proof_type,
        status_entry=entry,
        now=now,
    )
    if is_open_badge(unsigned):  # an Open Badge is held to its schema; other credentials are not
        try:
            tools.schemas.validate_credential(unsigned)
        except ValidationFailed as exc:
            raise prefixed(exc) from None
    refuse_untransportable(unsigned, suites=[command.cryptosuite], what="the credential")
    # 3. nothing may be lost under JSON-LD, whatever the suite (eddsa-jcs-2022 never expands it)
    try:
        expand(unsigned, loader=tools.canon.loader, bounds=tools.canon.bounds)
    except (JsonLdError, TooComplex) as exc:  # the problem names where, as far as it can
        exc.pointer = (
            term_pointer(unsigned, exc.terms[0]) if isinstance(exc, UndefinedTerms) else "/credential"
        )
        raise
    # 4. the record to store once signed
    subject = supplied["credentialSubject"]
    subject_id = subject.get("id") if isinstance(subject, dict) else None
    record = Credential(
        id=record_id,
        issuer_id=issuer.id,
        client_id=command.client_id,
        credential_json="",
        recipient_hash=recipient_hash(subject_id, tools.recipient_pepper)
        if isinstance(subject_id, str)
        else None,
        idempotency_key=command.idempotency_key,
        request_hash=command.request_hash,
        credential_uri=uri,
        status="active",
        created_at=now,
        updated_at=now,
    )
    return Prepared(
        record=record,
        unsigned=unsigned,
        suites=(command.cryptosuite,),
        signer=tools.signer_for(session, issuer),
        positions=() if position is None else ((position[0].id, position[1]),),
    )
