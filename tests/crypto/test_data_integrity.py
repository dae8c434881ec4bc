"""Data Integrity vectors, both ways: reproduce the published bytes, and verify the published documents."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from badge_issuer.crypto.data_integrity import (
    ProofOptions,
    add_proof,
    proofs_of,
    verify_proof,
    verify_proof_set,
)
from badge_issuer.crypto.keys import Ed25519Signer, private_key_from_multibase
from badge_issuer.crypto.resolver import DidKeyResolver, StaticResolver
from badge_issuer.crypto.suites import CanonOptions, suite_by_name
from badge_issuer.errors import BadgeIssuerError, ContextNotAllowed, ProofError, SignatureInvalid
from badge_issuer.jsonld import canon as rdfc
from badge_issuer.jsonld.loader import DocumentLoader

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "di"
W3C = VECTORS / "w3c-vc-di-eddsa"
AUTH = "authentication"


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def canon() -> CanonOptions:
    return CanonOptions(loader=DocumentLoader.pinned())


def _w3c_signer(pair: dict[str, str]) -> Ed25519Signer:
    public = pair["publicKeyMultibase"]
    return Ed25519Signer(
        private_key_from_multibase(pair["privateKeyMultibase"]), f"did:key:{public}#{public}"
    )


def _created(proof_config: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(proof_config["created"].replace("Z", "+00:00"))


# (suite, folder, file suffix, unsigned document)
W3C_CASES = [
    ("eddsa-rdfc-2022", "eddsa-rdfc-2022", "DataInt", "unsigned.json"),
    ("eddsa-jcs-2022", "eddsa-jcs-2022", "JCS", "unsigned.json"),
    ("Ed25519Signature2020", "Ed25519Signature2020", "EdSig", "unsigned.json"),
]


@pytest.mark.parametrize(("suite_name", "folder", "suffix", "unsigned_name"), W3C_CASES)
def test_w3c_vector_is_reproduced_step_by_step(
    canon: CanonOptions, suite_name: str, folder: str, suffix: str, unsigned_name: str
) -> None:
    suite = suite_by_name(suite_name)
    here = W3C / folder
    signed = _json(here / f"signed{suffix}.json")
    proof_config = _json(here / f"proofConfig{suffix}.json")
    unsigned = {key: value for key, value in signed.items() if key != "proof"}
    if unsigned_name == "unsigned.json" and suite_name != "Ed25519Signature2020":
        assert unsigned == _json(W3C / unsigned_name)

    config = suite.proof_config({**signed["proof"]}, unsigned)
    assert config == proof_config
    proof_canon = suite.canonize(config, canon)
    doc_canon = suite.canonize(unsigned, canon)
    assert proof_canon.decode() == _text(here / f"proofCanon{suffix}.txt")
    assert doc_canon.decode() == _text(here / f"canonDoc{suffix}.txt")
    assert hashlib.sha256(proof_canon).hexdigest() == _text(here / f"proofHash{suffix}.txt").strip()
    assert hashlib.sha256(doc_canon).hexdigest() == _text(here / f"docHash{suffix}.txt").strip()
    verify_data = suite.create_verify_data(unsigned, config, canon)
    assert verify_data.hex() == _text(here / f"combinedHash{suffix}.txt").strip()

    pair = _json(W3C / "keyPair.json")
    secured = add_proof(
        unsigned,
        suite=suite,
        signer=_w3c_signer(pair),
        canon=canon,
        options=ProofOptions(created=_created(proof_config)),
    )
    assert secured == signed
    assert secured["proof"]["proofValue"] == _text(here / f"sigBTC58{suffix}.txt").strip()


def test_w3c_employment_vector_from_its_canonical_forms(canon: CanonOptions) -> None:
    """The "employ" vector uses https://w3id.org/citizenship/v4rc1, a context we do not pin.

    We never fetch contexts, so its JSON cannot be expanded here (and must be refused, not
    fetched); its published canonical N-Quads are reproduced by our RDFC-1.0 and its signature
    is reproduced and verified over them.
    """
    here = W3C / "eddsa-rdfc-2022" / "employ"
    signed = _json(here / "signedDataInt.json")
    suite = suite_by_name("eddsa-rdfc-2022")
    with pytest.raises(ContextNotAllowed, match="citizenship"):
        verify_proof(signed, signed["proof"], canon=canon, resolver=DidKeyResolver())

    proof_canon = _text(here / "proofCanonDataInt.txt")
    doc_canon = _text(here / "canonDocDataInt.txt")
    for published in (proof_canon, doc_canon):
        assert rdfc.canonicalize(rdfc.parse_nquads(published)) == published
    verify_data = hashlib.sha256(proof_canon.encode()).digest() + hashlib.sha256(doc_canon.encode()).digest()
    assert verify_data.hex() == _text(here / "combinedHashDataInt.txt").strip()
    signer = _w3c_signer(_json(W3C / "keyPair.json"))
    proof_value = suite.sign(verify_data, signer)
    assert proof_value == _text(here / "sigBTC58DataInt.txt").strip() == signed["proof"]["proofValue"]
    method = DidKeyResolver().resolve(signed["proof"]["verificationMethod"])
    suite.verify(verify_data, signed["proof"]["proofValue"], method.public_key)
    with pytest.raises(SignatureInvalid):
        suite.verify(verify_data[::-1], signed["proof"]["proofValue"], method.public_key)


@pytest.mark.parametrize(("suite_name", "folder", "suffix", "unsigned_name"), W3C_CASES)
def test_w3c_signed_document_verifies(
    canon: CanonOptions, suite_name: str, folder: str, suffix: str, unsigned_name: str
) -> None:
    signed = _json(W3C / folder / f"signed{suffix}.json")
    result = verify_proof(signed, signed["proof"], canon=canon, resolver=DidKeyResolver())
    assert result.suite == suite_name
    assert result.verification_method.controller == signed["proof"]["verificationMethod"].split("#")[0]


@pytest.mark.parametrize("name", ["signedProofSet2.json", "signedProofChain2.json"])
def test_w3c_proof_sets_and_chains_verify(canon: CanonOptions, name: str) -> None:
    signed = _json(W3C / "proof-set-chain" / name)
    proofs = proofs_of(signed)
    assert len(proofs) >= 2
    for proof in proofs:
        verify_proof(signed, proof, canon=canon, resolver=DidKeyResolver())


@pytest.mark.parametrize("name", ["signedProofSet2.json", "signedProofChain2.json"])
def test_w3c_proof_sets_and_chains_verify_as_a_set(canon: CanonOptions, name: str) -> None:
    signed = _json(W3C / "proof-set-chain" / name)
    outcomes = verify_proof_set(signed, canon=canon, resolver=DidKeyResolver())
    assert [outcome.error for outcome in outcomes] == [None] * len(proofs_of(signed))
    signed["proof"][0]["proofValue"] = signed["proof"][1]["proofValue"]
    outcomes = verify_proof_set(signed, canon=canon, resolver=DidKeyResolver())
    assert outcomes[0].verified is None and outcomes[0].error


def test_challenge_and_domain_are_checked_when_expected(canon: CanonOptions) -> None:
    signed = _json(W3C / "eddsa-jcs-2022" / "signedJCS.json")
    pair = _json(W3C / "keyPair.json")
    unsigned = {key: value for key, value in signed.items() if key != "proof"}
    proved = add_proof(
        unsigned,
        suite=suite_by_name("eddsa-jcs-2022"),
        signer=_w3c_signer(pair),
        canon=canon,
        options=ProofOptions(
            created=None, proof_purpose="authentication", challenge="n-1", domain=["a.example", "b.example"]
        ),
    )
    proof = proved["proof"]
    resolver = DidKeyResolver()
    verify_proof(proved, proof, canon=canon, resolver=resolver, expected_purpose="authentication")
    verify_proof(
        proved,
        proof,
        canon=canon,
        resolver=resolver,
        expected_purpose="authentication",
        challenge="n-1",
        domain="b.example",
    )
    with pytest.raises(ProofError, match="challenge does not match"):
        verify_proof(proved, proof, canon=canon, resolver=resolver, expected_purpose=AUTH, challenge="n-2")
    with pytest.raises(ProofError, match="domain does not match"):
        verify_proof(proved, proof, canon=canon, resolver=resolver, expected_purpose=AUTH, domain="c.example")
    with pytest.raises(ProofError, match="purpose"):
        verify_proof(proved, proof, canon=canon, resolver=resolver)


def test_w3c_proof_set_and_chain_are_reproduced(canon: CanonOptions) -> None:
    here = W3C / "proof-set-chain"
    pairs = _json(here / "multiKeyPairs.json")
    suite = suite_by_name("eddsa-rdfc-2022")
    document: dict[str, Any] = _json(here / "unsigned.json")
    expected = _json(here / "signedProofChain2.json")
    for number, proof in enumerate(proofs_of(expected), start=1):
        document = add_proof(
            document,
            suite=suite,
            signer=_w3c_signer(pairs[f"keyPair{number}"]),
            canon=canon,
            options=ProofOptions(
                created=_created(dict(proof)),
                proof_id=proof.get("id"),
                previous_proof=proof.get("previousProof"),
            ),
        )
        if number == 2:
            assert document == _json(here / "signedProofSet2.json")
    assert document == expected


def _ob_resolver(vector: dict[str, Any]) -> StaticResolver:
    key = vector["multikey"]
    controller = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": key["controller"],
        "verificationMethod": [
            {
                "id": key["id"],
                "type": "Multikey",
                "controller": key["controller"],
                "publicKeyMultibase": key["publicKeyMultibase"],
            }
        ],
        "assertionMethod": [key["id"]],
    }
    return StaticResolver({key["controller"]: controller})


@pytest.mark.parametrize("folder", ["obv3p0-eddsa-rdfc-2022", "clrv2p0-eddsa-rdfc-2022"])
def test_1edtech_vector_is_reproduced(canon: CanonOptions, folder: str) -> None:
    vector = _json(VECTORS / folder / "vector.json")
    labels = vector["labels_as_in_guide"]
    suite = suite_by_name("eddsa-rdfc-2022")
    credential = vector["credential"]
    config = suite.proof_config(vector["proof"], credential)
    assert suite.canonize(credential, canon).decode() == _text(VECTORS / folder / "document-canon.txt")
    assert suite.canonize(config, canon).decode() == _text(VECTORS / folder / "proof-canon.txt")
    verify_data = suite.create_verify_data(credential, config, canon)
    assert verify_data.hex() == labels["Data to sign (hex)"]

    key = vector["multikey"]
    signer = Ed25519Signer(private_key_from_multibase(key["secretKeyMultibase"]), key["id"])
    secured = add_proof(
        credential,
        suite=suite,
        signer=signer,
        canon=canon,
        options=ProofOptions(created=_created(vector["proof"])),
    )
    assert secured["proof"]["proofValue"] == vector["proof"]["proofValue"]
    expected = vector["signed_credential"]
    # the CLR guide publishes its single proof as a one-element array; the content is the same
    assert {**secured, "proof": [secured["proof"]]} == {**expected, "proof": proofs_of(expected)}


@pytest.mark.parametrize("folder", ["obv3p0-eddsa-rdfc-2022", "clrv2p0-eddsa-rdfc-2022"])
def test_1edtech_signed_credential_verifies(canon: CanonOptions, folder: str) -> None:
    vector = _json(VECTORS / folder / "vector.json")
    signed = vector["signed_credential"]
    [proof] = proofs_of(signed)
    result = verify_proof(signed, proof, canon=canon, resolver=_ob_resolver(vector))
    assert result.verification_method.controller == signed["issuer"]["id"]


def _leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaf_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaf_paths(item, (*path, index))
    else:
        yield path


def _tampered(document: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    copied = copy.deepcopy(document)
    target: Any = copied
    for step in path[:-1]:
        target = target[step]
    value = target[path[-1]]
    target[path[-1]] = value + "x" if isinstance(value, str) else f"{value}x"
    return copied


@pytest.mark.parametrize(
    "source",
    [
        "w3c-vc-di-eddsa/eddsa-rdfc-2022/signedDataInt.json",
        "w3c-vc-di-eddsa/eddsa-jcs-2022/signedJCS.json",
        "w3c-vc-di-eddsa/Ed25519Signature2020/signedEdSig.json",
    ],
)
def test_tampering_with_any_signed_value_fails(canon: CanonOptions, source: str) -> None:
    signed = _json(VECTORS / source)
    resolver = DidKeyResolver()
    paths = [path for path in _leaf_paths(signed) if path[:2] != ("proof", "proofValue")]
    assert len(paths) > 10
    for path in paths:
        tampered = _tampered(signed, path)
        with pytest.raises(BadgeIssuerError):
            verify_proof(tampered, tampered["proof"], canon=canon, resolver=resolver)


def test_a_flipped_signature_bit_is_signature_invalid(canon: CanonOptions) -> None:
    signed = _json(W3C / "eddsa-rdfc-2022" / "signedDataInt.json")
    value = signed["proof"]["proofValue"]
    signed["proof"]["proofValue"] = value[:-2] + ("a" if value[-2] != "a" else "b") + value[-1]
    with pytest.raises((SignatureInvalid, ProofError)):
        verify_proof(signed, signed["proof"], canon=canon, resolver=DidKeyResolver())


def test_wrong_proof_purpose_is_refused(canon: CanonOptions) -> None:
    signed = _json(W3C / "eddsa-rdfc-2022" / "signedDataInt.json")
    with pytest.raises(ProofError, match="purpose"):
        verify_proof(
            signed,
            signed["proof"],
            canon=canon,
            resolver=DidKeyResolver(),
            expected_purpose="authentication",
        )


def test_the_complete_ob3_spec_example_signs_and_verifies_at_the_default_bound(canon: CanonOptions) -> None:
    """40 blank nodes with look-alikes: a rich but honest credential must stay within the bound."""
    example = _json(VECTORS.parent / "ob-v3p0-examples" / "complete-openbadgecredential.json")
    pair = _json(W3C / "keyPair.json")
    unsigned = {key: value for key, value in example.items() if key != "proof"}
    secured = add_proof(
        unsigned,
        suite=suite_by_name("eddsa-rdfc-2022"),
        signer=_w3c_signer(pair),
        canon=canon,
        options=ProofOptions(created=datetime(2026, 11, 24, tzinfo=UTC)),
    )
    verify_proof(secured, secured["proof"], canon=canon, resolver=DidKeyResolver())


def test_an_ed25519signature2020_proof_without_created_is_malformed(canon: CanonOptions) -> None:
    """Its test suite: a missing ``created`` is MALFORMED, though the signature itself is valid."""
    unsigned = _json(W3C / "unsigned.json")
    unsigned["@context"] = [*unsigned["@context"], "https://w3id.org/security/suites/ed25519-2020/v1"]
    signer = _w3c_signer(_json(W3C / "keyPair.json"))
    suite = suite_by_name("Ed25519Signature2020")
    proof = {"type": "Ed25519Signature2020", "verificationMethod": signer.verification_method}
    proof["proofPurpose"] = "assertionMethod"
    config = {**proof, "@context": unsigned["@context"]}
    proof["proofValue"] = suite.sign(suite.create_verify_data(unsigned, config, canon), signer)
    signed = {**unsigned, "proof": proof}
    with pytest.raises(ProofError, match="must carry created"):
        verify_proof(signed, proof, canon=canon, resolver=DidKeyResolver())
    with pytest.raises(ProofError, match="must carry created"):  # and we never make one
        add_proof(unsigned, suite=suite, signer=signer, canon=canon, options=ProofOptions(created=None))
    dated = add_proof(
        unsigned, suite=suite, signer=signer, canon=canon, options=ProofOptions(created=NOW_UTC)
    )
    assert verify_proof(dated, dated["proof"], canon=canon, resolver=DidKeyResolver()).suite


def test_a_data_integrity_proof_without_created_verifies(canon: CanonOptions) -> None:
    """VC Data Integrity makes ``created`` optional for DataIntegrityProof suites."""
    unsigned = _json(W3C / "unsigned.json")
    signer = _w3c_signer(_json(W3C / "keyPair.json"))
    for name in ("eddsa-rdfc-2022", "eddsa-jcs-2022"):
        signed = add_proof(
            unsigned,
            suite=suite_by_name(name),
            signer=signer,
            canon=canon,
            options=ProofOptions(created=None),
        )
        assert "created" not in signed["proof"]
        verify_proof(signed, signed["proof"], canon=canon, resolver=DidKeyResolver())


NOW_UTC = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
