"""Salted identity hashes (OB IdentityHash) and recipient matching (OB verify-identifier)."""

from __future__ import annotations

import hashlib
import re

import pytest

from badge_issuer.credential.identity import (
    identity_hash,
    identity_object,
    matches,
    new_salt,
    normalize_identifier,
    parse_identity_hash,
)
from badge_issuer.credential.models import IdentityObject
from badge_issuer.errors import ValidationFailed

SPEC_VECTOR = "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"


def test_spec_vector_salt_is_appended() -> None:
    assert identity_hash("a@example.com", "Kosher") == SPEC_VECTOR


def test_second_vector() -> None:
    value = identity_hash("jjefferson18@example.com", "FleurDeSel")
    assert value.startswith("sha256$658625b2")
    assert value.endswith("f5fc")
    assert len(value) == len("sha256$") + 64


def test_no_salt_hashes_the_identifier_alone() -> None:
    expected = hashlib.sha256(b"a@example.com").hexdigest()
    assert identity_hash("a@example.com", None) == f"sha256${expected}"
    assert identity_hash("a@example.com", "") == f"sha256${expected}"


def test_md5_and_utf8() -> None:
    expected = hashlib.md5("zoë@example.comS".encode(), usedforsecurity=False).hexdigest()
    assert identity_hash("zoë@example.com", "S", algorithm="md5") == f"md5${expected}"


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        (SPEC_VECTOR, ("sha256", SPEC_VECTOR[7:])),
        (SPEC_VECTOR.upper().replace("SHA256", "sha256"), ("sha256", SPEC_VECTOR[7:])),
        ("md5$" + "A" * 32, ("md5", "a" * 32)),
        ("sha256$abc", None),  # wrong length
        ("md5$" + "a" * 64, None),
        ("sha1$" + "a" * 40, None),
        ("SHA256$" + "a" * 64, None),  # algorithm names are lower case
        ("sha256$" + "g" * 64, None),
        ("a@example.com", None),
    ],
)
def test_parse_identity_hash(value: str, parsed: tuple[str, str] | None) -> None:
    assert parse_identity_hash(value) == parsed


def test_new_salt_is_long_random_url_safe_text() -> None:
    salts = {new_salt() for _ in range(50)}
    assert len(salts) == 50
    for salt in salts:
        assert re.fullmatch(r"[A-Za-z0-9_-]{22,}", salt)


def test_new_salt_uses_the_given_random_source() -> None:
    assert new_salt(token_bytes=lambda n: bytes(range(n))) == "AAECAwQFBgcICQoLDA0ODw"
    assert len(new_salt(32)) == 43


def test_new_salt_refuses_short_salts() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        new_salt(8)
    with pytest.raises(ValueError, match="too few"):
        new_salt(token_bytes=lambda n: b"x")


def test_identity_object_normalises_email_and_is_a_valid_model() -> None:
    obj = identity_object("  A@Example.COM ", salt="Kosher")
    assert obj == {
        "type": "IdentityObject",
        "identityHash": SPEC_VECTOR,
        "identityType": "emailAddress",
        "hashed": True,
        "salt": "Kosher",
    }
    IdentityObject.model_validate(obj)


def test_identity_object_other_types_are_not_normalised() -> None:
    obj = identity_object(" Student-7 ", "sourcedId", salt=None)
    assert obj["identityHash"] == identity_hash(" Student-7 ", None)
    assert "salt" not in obj
    assert identity_object("x", "ext:badgeNumber", salt="s")["identityType"] == "ext:badgeNumber"


def test_identity_object_refuses_unknown_type_and_empty_identifier() -> None:
    with pytest.raises(ValidationFailed) as caught:
        identity_object("x", "email", salt="s")
    assert [issue.pointer for issue in caught.value.issues] == ["/identityType"]
    with pytest.raises(ValidationFailed) as caught:
        identity_object("   ", salt="s")
    assert [issue.pointer for issue in caught.value.issues] == ["/identityHash"]


def test_normalize_identifier() -> None:
    assert normalize_identifier(" A@B.org\n", "emailAddress") == "a@b.org"
    assert normalize_identifier(" A ", "userName") == " A "


SPEC_OBJECT = {
    "type": "IdentityObject",
    "identityHash": SPEC_VECTOR,
    "identityType": "emailAddress",
    "hashed": True,
    "salt": "Kosher",
}


def test_matches_hashed_email_case_insensitively_after_trimming() -> None:
    assert matches(SPEC_OBJECT, "a@example.com", "emailAddress")
    assert matches(SPEC_OBJECT, "  A@EXAMPLE.com ", "emailAddress")
    assert matches(SPEC_OBJECT, "a@example.com", None)
    assert not matches(SPEC_OBJECT, "b@example.com", "emailAddress")


def test_matches_upper_case_hex() -> None:
    upper = dict(SPEC_OBJECT, identityHash="sha256$" + SPEC_VECTOR[7:].upper())
    assert matches(upper, "a@example.com", "emailAddress")


def test_matches_skips_other_identity_types() -> None:
    assert not matches(SPEC_OBJECT, "a@example.com", "userName")


def test_matches_mixed_case_email_hashed_by_another_issuer() -> None:
    other = dict(SPEC_OBJECT, identityHash=identity_hash("A@Example.com", "Kosher"))
    assert matches(other, "A@Example.com", "emailAddress")


def test_matches_md5_and_unsalted() -> None:
    md5 = {
        "type": "IdentityObject",
        "hashed": True,
        "identityType": "sourcedId",
        "identityHash": identity_hash("s-1", None, algorithm="md5"),
    }
    assert matches(md5, "s-1", "sourcedId")
    assert not matches(md5, "S-1", "sourcedId")  # only emails are case-insensitive
    assert matches(dict(md5, salt=None), "s-1", "sourcedId")


def test_matches_plaintext() -> None:
    email = {
        "type": "IdentityObject",
        "identityHash": "student@1edtech.edu",
        "identityType": "emailAddress",
        "hashed": False,
        "salt": "not-used",
    }
    assert matches(email, " Student@1EdTech.edu", "emailAddress")
    assert not matches(email, "somebody@gmail.com", "emailAddress")
    name = {"type": "IdentityObject", "identityHash": "Ada", "identityType": "name", "hashed": False}
    assert matches(name, "Ada", "name")
    assert not matches(name, "ada", "name")


@pytest.mark.parametrize(
    "broken",
    [
        {},
        dict(SPEC_OBJECT, hashed="true"),
        dict(SPEC_OBJECT, identityHash=None),
        dict(SPEC_OBJECT, identityHash="sha1$" + "0" * 40),
        dict(SPEC_OBJECT, identityHash="sha256$zz"),
        dict(SPEC_OBJECT, salt=5),
        dict(SPEC_OBJECT, identityType=None),
    ],
)
def test_malformed_objects_never_match(broken: dict[str, object]) -> None:
    assert not matches(broken, "a@example.com", None)
