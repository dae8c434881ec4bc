"""Multikey encodings, key import, did:key / did:web, resolvers and the key store."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from badge_issuer.crypto.did import (
    did_key,
    did_key_document,
    did_key_verification_method,
    did_web,
    did_web_document,
    did_web_url,
)
from badge_issuer.crypto.keys import (
    Ed25519Signer,
    Signer,
    private_key_from_multibase,
    public_key_from_multibase,
    public_key_multibase,
    raw_public_key,
    secret_key_multibase,
    verify_ed25519,
)
from badge_issuer.crypto.keystore import KeyStore
from badge_issuer.crypto.multibase import multibase_decode, multibase_encode
from badge_issuer.crypto.resolver import DidKeyResolver, StaticResolver
from badge_issuer.errors import (
    ConfigurationError,
    InputError,
    InvalidKey,
    KeyMismatch,
    KeyUnavailable,
    ParseError,
    ResolutionError,
    SignatureInvalid,
)

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "di"
W3C_PAIR = json.loads((VECTORS / "w3c-vc-di-eddsa" / "keyPair.json").read_text(encoding="utf-8"))
OB_KEY = json.loads((VECTORS / "obv3p0-eddsa-rdfc-2022" / "vector.json").read_text(encoding="utf-8"))[
    "multikey"
]


def test_w3c_key_pair_round_trips() -> None:
    key = private_key_from_multibase(W3C_PAIR["privateKeyMultibase"])
    public = raw_public_key(key.public_key())
    assert public_key_multibase(public) == W3C_PAIR["publicKeyMultibase"]
    assert secret_key_multibase(key) == W3C_PAIR["privateKeyMultibase"]
    assert public_key_from_multibase(W3C_PAIR["publicKeyMultibase"]) == public


def test_ob_guide_64_byte_secret_key_is_accepted() -> None:
    key = private_key_from_multibase(OB_KEY["secretKeyMultibase"])
    assert public_key_multibase(raw_public_key(key.public_key())) == OB_KEY["publicKeyMultibase"]


@pytest.mark.parametrize(
    "value",
    [
        "z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc",  # X25519, not Ed25519
        "u7QEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # base64url: wrong encoding
        "z6Mk",
        "z0OIl",
    ],
)
def test_other_key_types_and_garbage_are_invalid_keys(value: str) -> None:
    with pytest.raises(InvalidKey):
        public_key_from_multibase(value)


def test_multibase_base64url_round_trip_and_bad_prefix() -> None:
    assert multibase_decode(multibase_encode(b"\x00\xffabc", "base64url")) == b"\x00\xffabc"
    assert multibase_decode(multibase_encode(b"\x00\x00ab")) == b"\x00\x00ab"
    with pytest.raises(ParseError):
        multibase_decode("fdeadbeef")


def test_signer_signs_and_verify_raises_on_a_bad_signature() -> None:
    key = Ed25519PrivateKey.generate()
    signer = Ed25519Signer(key, "did:example:1#k")
    assert isinstance(signer, Signer)
    signature = signer.sign(b"data")
    verify_ed25519(signer.public_key, signature, b"data")
    with pytest.raises(SignatureInvalid):
        verify_ed25519(signer.public_key, signature, b"datA")
    assert "PRIVATE" not in repr(signer)


def test_did_key_document_resolves_locally() -> None:
    public = public_key_from_multibase(W3C_PAIR["publicKeyMultibase"])
    did = did_key(public)
    document = did_key_document(did)
    method_id = did_key_verification_method(public)
    assert document["assertionMethod"] == [method_id]
    method = DidKeyResolver().resolve(method_id)
    assert method.controller == did
    assert method.public_key == public
    assert "assertionMethod" in method.purposes
    with pytest.raises(ResolutionError):
        DidKeyResolver().resolve("did:web:example.com#key-1")


def test_a_did_key_resolver_keeps_what_it_resolved_bounded_and_never_a_failure() -> None:
    resolver = DidKeyResolver(memo_size=2)
    keys = [raw_public_key(Ed25519PrivateKey.generate().public_key()) for _ in range(3)]
    methods = [did_key_verification_method(key) for key in keys]
    first = resolver.resolve(methods[0])
    assert resolver.resolve(methods[0]) is first  # kept
    assert [resolver.resolve(m).public_key for m in methods] == keys  # each its own key, bounded
    assert len(resolver._methods) <= 2
    broken = methods[0][:-3] + "#z6Mkbroken"
    for _ in range(2):  # a method that is not the key of its DID fails each time
        with pytest.raises(ResolutionError):
            resolver.resolve(broken)


def test_did_web_names_and_urls() -> None:
    did = did_web("http://127.0.0.1:8000", "issuers", "physics")
    assert did == "did:web:127.0.0.1%3A8000:issuers:physics"
    assert did_web_url(did) == "https://127.0.0.1:8000/issuers/physics/did.json"
    assert did_web_url("did:web:example.edu") == "https://example.edu/.well-known/did.json"
    with pytest.raises(ParseError):
        did_web_url("did:web:example.edu::x")


def test_did_web_document_lists_keys_for_assertion_and_resolves() -> None:
    public = Ed25519PrivateKey.generate().public_key()
    raw = raw_public_key(public)
    did = "did:web:example.edu:issuers:physics"
    document = did_web_document(did, [("key-1", raw)])
    assert document["assertionMethod"] == [f"{did}#key-1"]
    method = StaticResolver({did: document}).resolve(f"{did}#key-1")
    assert method.public_key == raw
    assert method.controller == did
    with pytest.raises(ResolutionError):
        StaticResolver({did: document}).resolve(f"{did}#key-2")
    with pytest.raises(ResolutionError):
        StaticResolver({}).resolve(f"{did}#key-1")


def test_keystore_creates_0600_files_and_never_overwrites(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    public = store.create("dev")
    path = tmp_path / "keys" / "dev.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.exists("dev")
    assert store.list() == ["dev"]
    assert store.public_key("dev") == public
    with pytest.raises(InputError):
        store.create("dev")
    with pytest.raises(InputError):
        store.create("../escape")
    with pytest.raises(KeyUnavailable):
        store.public_key("missing")
    signer = store.signer("dev", "did:example:1#dev", expected_public_key=public)
    verify_ed25519(public, signer.sign(b"x"), b"x")
    assert not store.is_encrypted("dev")


def test_a_missing_key_is_a_configuration_error_naming_no_path(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    with pytest.raises(KeyUnavailable) as raised:
        store.signer("gone", "did:example:1#k", expected_public_key=bytes(32))
    assert isinstance(raised.value, ConfigurationError)
    assert str(tmp_path) not in raised.value.message


def test_a_key_file_that_is_not_the_recorded_key_refuses_to_sign(tmp_path: Path) -> None:
    """A swapped key file would sign badges that never verify against the published key."""
    store = KeyStore(tmp_path)
    recorded = store.create("issuer-key")
    (tmp_path / "issuer-key.pem").unlink()
    store.create("issuer-key")  # same name, another key: what a restore from the wrong backup does
    with pytest.raises(KeyMismatch):
        store.signer("issuer-key", "did:example:1#k", expected_public_key=recorded)


def test_keystore_encrypts_with_a_passphrase(tmp_path: Path) -> None:
    KeyStore(tmp_path, passphrase="correct horse").create("secret")
    assert b"ENCRYPTED PRIVATE KEY" in (tmp_path / "secret.pem").read_bytes()
    assert KeyStore(tmp_path).is_encrypted("secret")
    assert KeyStore(tmp_path, passphrase="correct horse").public_key("secret")
    with pytest.raises(ConfigurationError):
        KeyStore(tmp_path, passphrase="wrong").public_key("secret")
    with pytest.raises(ConfigurationError):
        KeyStore(tmp_path).public_key("secret")


def test_a_key_claiming_someone_elses_control_is_refused() -> None:
    """An attacker's DID document may say its key is controlled by the victim; that is not proof."""
    raw = raw_public_key(Ed25519PrivateKey.generate().public_key())
    attacker, victim = "did:web:attacker.example", "did:web:victim.example.edu"
    method_id = f"{attacker}#k"
    forged = {
        "id": attacker,
        "verificationMethod": [
            {
                "id": method_id,
                "type": "Multikey",
                "controller": victim,
                "publicKeyMultibase": public_key_multibase(raw),
            }
        ],
        "assertionMethod": [method_id],
    }
    victim_doc = did_web_document(
        victim, [("real", raw_public_key(Ed25519PrivateKey.generate().public_key()))]
    )
    with pytest.raises(ResolutionError):
        StaticResolver({attacker: forged, victim: victim_doc}).resolve(method_id)
    with pytest.raises(ResolutionError):
        StaticResolver({attacker: forged}).resolve(method_id)


def test_a_standalone_key_document_counts_only_when_its_controller_lists_it() -> None:
    raw = raw_public_key(Ed25519PrivateKey.generate().public_key())
    multikey = public_key_multibase(raw)
    key_url = "https://example.edu/keys/1"
    issuer = "https://example.edu/issuers/1"
    key_doc = {"id": key_url, "type": "Multikey", "controller": issuer, "publicKeyMultibase": multikey}
    listing = {
        "id": issuer,
        "verificationMethod": [dict(key_doc)],
        "assertionMethod": [key_url],
    }
    method = StaticResolver({key_url: key_doc, issuer: listing}).resolve(key_url)
    assert method.controller == issuer and "assertionMethod" in method.purposes
    silent = {"id": issuer, "verificationMethod": []}
    with pytest.raises(ResolutionError):
        StaticResolver({key_url: key_doc, issuer: silent}).resolve(key_url)


def test_a_controller_may_list_a_standalone_key_by_reference() -> None:
    raw = raw_public_key(Ed25519PrivateKey.generate().public_key())
    key_url, issuer = "https://example.edu/keys/2", "https://example.edu/issuers/2"
    key_doc = {
        "id": key_url,
        "type": "Multikey",
        "controller": issuer,
        "publicKeyMultibase": public_key_multibase(raw),
    }
    by_reference = {"id": issuer, "assertionMethod": [key_url]}
    method = StaticResolver({key_url: key_doc, issuer: by_reference}).resolve(key_url)
    assert method.purposes == frozenset({"assertionMethod"}) and method.public_key == raw
    other = public_key_multibase(raw_public_key(Ed25519PrivateKey.generate().public_key()))
    mismatched = {
        "id": issuer,
        "verificationMethod": [{**key_doc, "publicKeyMultibase": other}],
        "assertionMethod": [key_url],
    }
    with pytest.raises(ResolutionError, match="another key"):
        StaticResolver({key_url: key_doc, issuer: mismatched}).resolve(key_url)
