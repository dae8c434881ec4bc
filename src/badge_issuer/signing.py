"""What signing this service's own documents needs: issued credentials and status lists alike.

``IssuanceTools`` is built once per application by the composition root and handed to the
issuance spine (credentials) and to revocation (status list credentials); neither spine borrows
it from the other.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from badge_issuer.clock import Clock
from badge_issuer.credential.schema import SchemaValidator
from badge_issuer.crypto.keys import Signer
from badge_issuer.crypto.suites import CanonOptions
from badge_issuer.db.tables import Issuer
from badge_issuer.urls import Urls


@dataclass(frozen=True)
class IssuanceTools:
    """What issuing needs besides the session; built once per application."""

    urls: Urls
    clock: Clock
    canon: CanonOptions
    schemas: SchemaValidator
    #: the issuer's current signing key, as a Signer naming its verification method
    signer_for: Callable[[Session, Issuer], Signer]
    recipient_pepper: bytes
    store_recipient_email: bool
    status_list_size: int
    rng: random.Random


def issuer_verification_method(issuer: Issuer, public_key_multibase: str) -> str:
    """The key URL proofs name: ``<did:web>#<multikey>`` or ``did:key:<mk>#<mk>``."""
    if issuer.did_method == "key":
        return f"did:key:{public_key_multibase}#{public_key_multibase}"
    return f"{issuer.did}#{public_key_multibase}"
