"""Test helpers for generic (non-Open-Badges) Verifiable Credentials and the VC-API routes: VCDM 2.0 /
1.1 credentials signed by our own Data Integrity code, proofs crafted to be *validly signed* yet
wrong in one way, and one real uvicorn server shared by a test module."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from badge_issuer.cli import main
from badge_issuer.clock import isoformat_z, system_clock
from badge_issuer.config import Settings
from badge_issuer.crypto.data_integrity import ProofOptions, add_proof
from badge_issuer.crypto.suites import suite_by_name
from badge_issuer.crypto.suites.ed25519_signature_2020 import ED25519_2020_CONTEXT
from badge_issuer.jsonld.loader import VC_V1, VC_V2
from tests.badges import CANON, SIGNED_AT, Issuer
from tests.conftest import LiveServer, free_port

EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
SUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020")


def generic(issuer: Issuer, version: str = "2.0", *, examples: bool = True) -> dict[str, Any]:
    """An unsigned generic credential of VCDM ``version`` by ``issuer``. Without ``examples`` its
    only contexts are the VC ones: for 1.1 that defines no term outside the data model (no @vocab)."""
    credential: dict[str, Any] = {
        "@context": [VC_V2 if version == "2.0" else VC_V1, *([EXAMPLES_V2] if examples else [])],
        "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
        "type": ["VerifiableCredential", *(["ExampleAlumniCredential"] if examples else [])],
        "issuer": issuer.did,
        "credentialSubject": {"id": "did:example:ebfeb1f712ebc6f1c276e12ec21"},
    }
    if examples:
        credential["credentialSubject"]["alumniOf"] = {"name": "Example University"}
    credential["validFrom" if version == "2.0" else "issuanceDate"] = "2026-01-01T00:00:00Z"
    return credential


def sign(issuer: Issuer, document: dict[str, Any], suite: str, **options: Any) -> dict[str, Any]:
    """``document`` signed by ``issuer`` with our add_proof (``options``: ProofOptions fields)."""
    document = with_suite_context(document, suite)
    options.setdefault("created", SIGNED_AT)
    return add_proof(
        document,
        suite=suite_by_name(suite),
        signer=issuer.signer,
        canon=CANON,
        options=ProofOptions(**options),
    )


def with_suite_context(document: dict[str, Any], suite: str) -> dict[str, Any]:
    """A copy of ``document`` with the context its proof's terms need: the Ed25519Signature2020 one,
    or for a VC 1.1 credential (whose context predates DataIntegrityProof) the Data Integrity one."""
    document = copy.deepcopy(document)
    needed = ED25519_2020_CONTEXT if suite == "Ed25519Signature2020" else None
    if needed is None and document["@context"][0] == VC_V1:
        needed = DATA_INTEGRITY_V2
    if needed is not None and needed not in document["@context"]:
        document["@context"].append(needed)
    return document


def crafted(issuer: Issuer, document: dict[str, Any], proof: dict[str, Any], *, like: str) -> dict[str, Any]:
    """``document`` with ``proof`` (no proofValue), signed with the hashing and canonicalization of
    suite ``like`` whatever the proof says: a valid signature over a proof that is wrong otherwise."""
    document = with_suite_context(document, like)
    suite = suite_by_name(like)
    proof = {**proof, "verificationMethod": issuer.signer.verification_method}
    config = {**proof, "@context": document["@context"]}
    proof["proofValue"] = suite.sign(suite.create_verify_data(document, config, CANON), issuer.signer)
    return {**document, "proof": proof}


def proof_fields(suite: str) -> dict[str, Any]:
    """A proof's options for ``suite`` (without verificationMethod and proofValue)."""
    fields: dict[str, Any] = {"type": "Ed25519Signature2020"}
    if suite != "Ed25519Signature2020":
        fields = {"type": "DataIntegrityProof", "cryptosuite": suite}
    return {**fields, "created": isoformat_z(SIGNED_AT), "proofPurpose": "assertionMethod"}


@contextmanager
def module_server(folder: Path, **overrides: Any) -> Iterator[LiveServer]:
    """One real server (uvicorn, SQLite in ``folder``) for a whole test module, rate limit off."""
    port = free_port()
    fields: dict[str, Any] = {
        "database_url": f"sqlite:///{folder / 'badges.sqlite3'}",
        "keys_dir": folder / "keys",
        "base_url": f"http://127.0.0.1:{port}",
        "verify_rate_limit": "off",
    }
    settings = Settings(**{**fields, **overrides})
    assert main(["init"], settings) == 0
    server = LiveServer(settings, port, system_clock)
    server.start()
    try:
        yield server
    finally:
        server.stop()
