"""The ``eddsa-jcs-2022`` cryptosuite: RFC 8785 JCS, SHA-256, Ed25519 (VC-DI-EdDSA §3.3)."""

from __future__ import annotations

from typing import Any

from badge_issuer.crypto import jcs
from badge_issuer.crypto.suites.base import (
    CanonOptions,
    Document,
    Ed25519Multibase,
    without_proof_value,
)
from badge_issuer.errors import ProofError


class EddsaJcs2022(Ed25519Multibase):
    name: str | None = "eddsa-jcs-2022"
    proof_type = "DataIntegrityProof"
    required_contexts: tuple[str, ...] = ()
    #: JCS costs about what serializing the document for a memo key would
    canon_memo: bool = False

    def proof_config(self, options: Document, document: Document) -> dict[str, Any]:
        config = without_proof_value(options)
        if config.get("type") != self.proof_type or config.get("cryptosuite") != self.name:
            raise ProofError(f"proof is not a {self.proof_type} with cryptosuite {self.name}")
        if "@context" not in config and "@context" in document:
            config["@context"] = document["@context"]
        return config

    def prepare_proof(self, proof: Document, document: Document) -> dict[str, Any]:
        """§3.3.1: the proof carries the document's @context, so verifiers check it is a prefix."""
        prepared = dict(proof)
        if "@context" in document:
            prepared["@context"] = document["@context"]
        return prepared

    def prepare_unsecured(self, unsecured: Document, proof: Document) -> Document:
        """§3.3.2: when the proof carries @context, the document is verified with exactly that."""
        if "@context" not in proof:
            return unsecured
        proof_ctx = _as_list(proof["@context"])
        if _as_list(unsecured.get("@context"))[: len(proof_ctx)] != proof_ctx:
            raise ProofError("the document's @context does not start with the proof's @context")
        return {**unsecured, "@context": proof["@context"]}

    def canonize(self, value: Document, canon: CanonOptions) -> bytes:
        return jcs.canonicalize(value)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]
