"""The legacy ``Ed25519Signature2020`` suite (VC-DI-EdDSA Appendix A), still asked for by some wallets.

Same hashing as eddsa-rdfc-2022; the proof is identified by ``type`` alone and its terms come from the
``https://w3id.org/security/suites/ed25519-2020/v1`` context, which the signed document must carry.
Unlike a Data Integrity proof, whose ``created`` is optional, this suite's proof must carry
``created`` (its test suite: a proof without it is malformed).
"""

from __future__ import annotations

from typing import Any

from badge_issuer.crypto.suites.base import (
    CanonOptions,
    Document,
    Ed25519Multibase,
    without_proof_value,
)
from badge_issuer.crypto.suites.eddsa_rdfc_2022 import rdfc_canonize
from badge_issuer.errors import ProofError

ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"


class Ed25519Signature2020(Ed25519Multibase):
    name: str | None = None
    proof_type = "Ed25519Signature2020"
    required_contexts: tuple[str, ...] = (ED25519_2020_CONTEXT,)

    def proof_config(self, options: Document, document: Document) -> dict[str, Any]:
        config = without_proof_value(options)
        if config.get("type") != self.proof_type:
            raise ProofError("proof is not an Ed25519Signature2020 proof")
        if not isinstance(config.get("created"), str):
            raise ProofError("an Ed25519Signature2020 proof must carry created (when it was made)")
        config["@context"] = document.get("@context")
        return config

    def canonize(self, value: Document, canon: CanonOptions) -> bytes:
        return rdfc_canonize(value, canon)
