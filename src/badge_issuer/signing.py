"""What signing this service's own documents needs: issued credentials and status lists alike.

``IssuanceTools`` is built once per application by the composition root and handed to the
issuance spine (credentials) and to revocation (status list credentials); neither spine borrows
it from the other.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from badge_issuer.clock import Clock
from badge_issuer.credential.identity import new_salt
from badge_issuer.credential.schema import SchemaValidator
from badge_issuer.crypto.keys import Signer
from badge_issuer.crypto.suites import CanonOptions
from badge_issuer.db.issuers import SigningKey
from badge_issuer.db.tables import Issuer
from badge_issuer.urls import Urls


def random_credential_id() -> str:
    """A fresh credential id: a random (version 4) UUID."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class IssuanceTools:
    """What issuing needs besides the session; built once per application."""

    urls: Urls
    clock: Clock
    canon: CanonOptions
    schemas: SchemaValidator
    #: the issuer's current signing key, as a Signer naming its verification method
    signer_for: Callable[[Session, Issuer], Signer]
    #: the same for a signing key already read (with the award's badge class: one statement fewer)
    signer_of: Callable[[Issuer, SigningKey], Signer]
    recipient_pepper: bytes
    store_recipient_email: bool
    status_list_size: int
    #: picks status list positions (a CSPRNG, so positions do not reveal issuance order)
    rng: random.Random
    #: credential ids; injected like the clock so a test can pin the bytes of a credential
    new_id: Callable[[], str] = field(default=random_credential_id)
    #: salts of recipients' identity hashes (CSPRNG by default)
    new_salt: Callable[[], str] = field(default=new_salt)
    #: told each time a status list credential is signed (again): the metrics' re-sign counter
    on_status_list_signed: Callable[[], None] = lambda: None


def issuer_verification_method(issuer: Issuer, public_key_multibase: str) -> str:
    """The key URL proofs name: ``<did:web>#<multikey>`` or ``did:key:<mk>#<mk>``."""
    if issuer.did_method == "key":
        return f"did:key:{public_key_multibase}#{public_key_multibase}"
    return f"{issuer.did}#{public_key_multibase}"
