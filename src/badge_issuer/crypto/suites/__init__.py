"""The cryptosuites we sign and verify with, and how a proof selects one."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from badge_issuer.crypto.suites.base import CanonOptions, Cryptosuite
from badge_issuer.crypto.suites.ed25519_signature_2020 import Ed25519Signature2020
from badge_issuer.crypto.suites.eddsa_jcs_2022 import EddsaJcs2022
from badge_issuer.crypto.suites.eddsa_rdfc_2022 import EddsaRdfc2022, LegacyEddsa2022
from badge_issuer.errors import ProofError

#: names accepted where a caller chooses a suite to sign with
SIGNING_SUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020")

__all__ = [
    "SIGNING_SUITES",
    "CanonOptions",
    "Cryptosuite",
    "suite_by_name",
    "suite_for_proof",
]


@functools.cache
def _registry() -> Mapping[str, Cryptosuite]:
    """Every suite by name, made once: suites are stateless (their steps are methods, their names
    class attributes), and making four of them for every proof verified cost more than reading
    its fields (#11)."""
    suites: list[Cryptosuite] = [
        EddsaRdfc2022(),
        EddsaJcs2022(),
        Ed25519Signature2020(),
        LegacyEddsa2022(),
    ]
    return MappingProxyType({suite.name or suite.proof_type: suite for suite in suites})


def suite_by_name(name: str) -> Cryptosuite:
    """The suite to sign with, by cryptosuite name (or ``Ed25519Signature2020``)."""
    if name not in SIGNING_SUITES:
        raise ProofError(f"unsupported cryptosuite {name!r}; choose one of {', '.join(SIGNING_SUITES)}")
    return _registry()[name]


def suite_for_proof(proof: Mapping[str, Any]) -> Cryptosuite:
    """The suite a received proof names, by ``type`` and ``cryptosuite``."""
    proof_type = proof.get("type")
    registry = _registry()
    if proof_type == "DataIntegrityProof":
        name = proof.get("cryptosuite")
        if isinstance(name, str) and name in registry and registry[name].proof_type == proof_type:
            return registry[name]
        raise ProofError(f"unsupported DataIntegrityProof cryptosuite {name!r}")
    if proof_type == "Ed25519Signature2020":
        return registry["Ed25519Signature2020"]
    raise ProofError(f"unsupported proof type {proof_type!r}")
