"""What a cryptosuite is: a small object of named steps that the Data Integrity engine drives.

Every suite here signs ``SHA-256(canonical proof config) ‖ SHA-256(canonical document)`` — proof hash
first — with Ed25519, and writes the signature as ``proofValue`` = ``z`` + base58btc.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from badge_issuer.crypto.keys import Signer, verify_ed25519
from badge_issuer.crypto.multibase import multibase_decode, multibase_encode
from badge_issuer.errors import ParseError, ProofError
from badge_issuer.jsonld.bounds import DEFAULT_BOUNDS, JsonLdBounds
from badge_issuer.jsonld.loader import DocumentLoader

Document = Mapping[str, Any]


@dataclass(frozen=True)
class CanonOptions:
    """How JSON-LD documents are processed: the pinned loader, the bounds on a document checked
    before JSON-LD processing, and the RDFC-1.0 work bound."""

    loader: DocumentLoader
    work_factor: int = 4
    bounds: JsonLdBounds = DEFAULT_BOUNDS


class Cryptosuite(Protocol):
    """The named steps of a suite. ``verify`` raises on a bad signature; it never returns False."""

    #: the value of ``proof.cryptosuite`` (``None`` for legacy suites identified by ``proof.type`` alone)
    name: str | None
    #: the value of ``proof.type``
    proof_type: str
    #: contexts a signed document must carry for this suite's terms (beyond the VC v2 context)
    required_contexts: tuple[str, ...]
    #: whether verify data is worth keeping across verifications (``crypto.proof_memo``): true
    #: when canonicalizing costs far more than serializing the document for the memo key
    canon_memo: bool

    def prepare_unsecured(self, unsecured: Document, proof: Document) -> Document:
        """The unsecured document as this suite verifies it."""
        ...

    def prepare_proof(self, proof: Document, document: Document) -> dict[str, Any]:
        """The proof options as this suite writes them when signing (before proofValue)."""
        ...

    def proof_config(self, options: Document, document: Document) -> dict[str, Any]:
        """The proof configuration that is hashed: the options minus proofValue, per the suite."""
        ...

    def canonize(self, value: Document, canon: CanonOptions) -> bytes:
        """The canonical bytes of a document or proof configuration."""
        ...

    def create_verify_data(self, document: Document, proof_config: Document, canon: CanonOptions) -> bytes:
        """``hash(canonical proof config) ‖ hash(canonical document)``."""
        ...

    def hash_canonical(self, value: Document, canon: CanonOptions) -> bytes:
        """``hash(canonical value)``: one half of the verify data."""
        ...

    def sign(self, verify_data: bytes, signer: Signer) -> str:
        """The ``proofValue`` for ``verify_data``."""
        ...

    def verify(self, verify_data: bytes, proof_value: str, public_key: bytes) -> None:
        """Raise SignatureInvalid unless ``proof_value`` signs ``verify_data`` under ``public_key``."""
        ...


class Ed25519Multibase(ABC):
    """Shared sign/verify/hash steps: SHA-256 hashes and a ``z``-base58btc Ed25519 proofValue."""

    canon_memo: bool = True

    def prepare_unsecured(self, unsecured: Document, proof: Document) -> Document:
        """The unsecured document as this suite verifies it (identity, except where a suite says)."""
        return unsecured

    def prepare_proof(self, proof: Document, document: Document) -> dict[str, Any]:
        """The proof options as written when signing (identity, except where a suite says)."""
        return dict(proof)

    def create_verify_data(self, document: Document, proof_config: Document, canon: CanonOptions) -> bytes:
        return self.hash_canonical(proof_config, canon) + self.hash_canonical(document, canon)

    def hash_canonical(self, value: Document, canon: CanonOptions) -> bytes:
        return hashlib.sha256(self.canonize(value, canon)).digest()

    @abstractmethod
    def canonize(self, value: Document, canon: CanonOptions) -> bytes:
        """Each suite defines its canonicalization."""

    def sign(self, verify_data: bytes, signer: Signer) -> str:
        return multibase_encode(signer.sign(verify_data), "base58btc")

    def verify(self, verify_data: bytes, proof_value: str, public_key: bytes) -> None:
        if not isinstance(proof_value, str) or not proof_value.startswith("z"):
            raise ProofError("proofValue must be a base58btc multibase string starting with 'z'")
        try:
            signature = multibase_decode(proof_value)
        except ParseError as exc:
            raise ProofError(f"proofValue is not valid base58btc: {exc.message}") from exc
        if len(signature) != 64:
            raise ProofError(f"proofValue decodes to {len(signature)} bytes, not a 64-byte Ed25519 signature")
        verify_ed25519(public_key, signature, verify_data)


def without_proof_value(options: Document) -> dict[str, Any]:
    """A copy of proof options with ``proofValue`` removed."""
    return {key: value for key, value in options.items() if key != "proofValue"}
