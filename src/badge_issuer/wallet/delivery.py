"""An award signed afresh for the wallet that claimed it: ``credentialSubject.id`` = the wallet's DID.

The delivered credential is the award as signed — the same ``id``, achievement (and so achievement
version), recipient identifiers, dates, evidence and status entries, so revoking or suspending the
award revokes or suspends every delivery of it — with the holder's DID as the subject's ``id`` and
one new ``eddsa-rdfc-2022`` proof by the issuer's current key (the ``ldp_vc`` format OpenID4VCI
offers). It is held to the OB 3.0 schema before signing, like every badge we issue.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from badge_issuer.credential.schema import SchemaValidator
from badge_issuer.crypto.data_integrity import ProofOptions, add_proof
from badge_issuer.crypto.keys import Signer
from badge_issuer.crypto.suites import CanonOptions, suite_by_name
from badge_issuer.errors import Issue as Finding
from badge_issuer.errors import StateConflict, ValidationFailed

CRYPTOSUITE = "eddsa-rdfc-2022"
MAX_DID_CHARS = 2048


def bind_to_holder(
    award: Mapping[str, Any],
    holder_did: str,
    *,
    signer: Signer,
    canon: CanonOptions,
    schemas: SchemaValidator,
    now: datetime,
) -> dict[str, Any]:
    if not holder_did.startswith("did:") or len(holder_did) > MAX_DID_CHARS:
        raise ValidationFailed(
            "the holder must be a DID", [Finding("/credentialSubject/id", "not a DID of bounded length")]
        )
    unsigned = copy.deepcopy(dict(award))
    unsigned.pop("proof", None)
    subject = unsigned.get("credentialSubject")
    if not isinstance(subject, dict):
        raise ValidationFailed(
            "the award has no credentialSubject object", [Finding("/credentialSubject", "not an object")]
        )
    if subject.get("id") not in (None, holder_did):
        raise StateConflict(
            "this award names its subject by another id already: it cannot be bound to another DID"
        )
    subject["id"] = holder_did
    schemas.validate_credential(unsigned)
    return add_proof(
        unsigned,
        suite=suite_by_name(CRYPTOSUITE),
        signer=signer,
        canon=canon,
        options=ProofOptions(created=now),
    )
