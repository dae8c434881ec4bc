"""The ``eddsa-rdfc-2022`` cryptosuite: RDFC-1.0 canonical N-Quads, SHA-256, Ed25519 (VC-DI-EdDSA §3.2)."""

from __future__ import annotations

from typing import Any

from badge_issuer.crypto.suites.base import (
    CanonOptions,
    Document,
    Ed25519Multibase,
    without_proof_value,
)
from badge_issuer.errors import ProofError
from badge_issuer.jsonld.processor import canonical_nquads


def rdfc_canonize(value: Document, canon: CanonOptions) -> bytes:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document, in safe mode, as UTF-8 bytes."""
    return canonical_nquads(
        value, loader=canon.loader, bounds=canon.bounds, work_factor=canon.work_factor
    ).encode("utf-8")


class EddsaRdfc2022(Ed25519Multibase):
    name: str | None = "eddsa-rdfc-2022"
    proof_type = "DataIntegrityProof"
    required_contexts: tuple[str, ...] = ()

    def proof_config(self, options: Document, document: Document) -> dict[str, Any]:
        config = without_proof_value(options)
        if config.get("type") != self.proof_type or config.get("cryptosuite") != self.name:
            raise ProofError(f"proof is not a {self.proof_type} with cryptosuite {self.name}")
        config["@context"] = document.get("@context")
        return config

    def canonize(self, value: Document, canon: CanonOptions) -> bytes:
        return rdfc_canonize(value, canon)


class LegacyEddsa2022(EddsaRdfc2022):
    """``eddsa-2022``, the pre-REC name of the same algorithm; verified for old wallets, never issued."""

    name: str | None = "eddsa-2022"
