"""The compiled JSON Schema check never says "valid" where jsonschema finds an issue (differential,
over the spec examples and thousands of mutations of them), agrees on valid documents (else it
would be no faster), and leaves every schema it cannot vouch for to jsonschema."""

from __future__ import annotations

import copy
import json
import threading
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema.validators import validator_for

from badge_issuer.credential import schema_fast
from badge_issuer.credential.schema import SchemaValidator, default_schemas_dir
from badge_issuer.credential.schema_fast import FastChecks, _supported
from badge_issuer.credential.vocab import (
    CLR_CREDENTIAL_SCHEMA,
    OB_ACHIEVEMENT_CREDENTIAL_SCHEMA,
    OB_ENDORSEMENT_CREDENTIAL_SCHEMA,
)
from badge_issuer.jsonld.context_memo import BoundedMap
from tests.credential.conftest import EXAMPLE_NAMES, load_example

URLS = (OB_ACHIEVEMENT_CREDENTIAL_SCHEMA, OB_ENDORSEMENT_CREDENTIAL_SCHEMA, CLR_CREDENTIAL_SCHEMA)
EXAMPLES = [load_example(name) for name in EXAMPLE_NAMES]


@pytest.fixture(scope="module")
def warmed() -> SchemaValidator:
    validator = SchemaValidator(default_schemas_dir())
    validator.warm(*URLS)
    return validator


@pytest.fixture(scope="module")
def strict() -> SchemaValidator:
    """Formats asserted: the compiled check gets the same predicates."""
    validator = SchemaValidator(default_schemas_dir(), check_formats=True)
    validator.warm(OB_ACHIEVEMENT_CREDENTIAL_SCHEMA)
    return validator


def slow_errors(validator: SchemaValidator, document: Any, url: str) -> list[Any]:
    """jsonschema's verdict alone (the compiled check bypassed)."""
    return list(validator._validators[url].iter_errors(document))


def test_every_shipped_schema_is_supported_and_compiles(warmed: SchemaValidator) -> None:
    for url in warmed.schema_urls:
        schema_id = warmed._fast._urls[url]
        assert _supported(warmed._fast._schemas[schema_id]), schema_id
    for url in URLS:
        assert warmed._fast.ready(url)


@pytest.mark.parametrize("url", URLS)
def test_the_examples_get_the_same_verdict_both_ways(warmed: SchemaValidator, url: str) -> None:
    agreed = 0
    for example in EXAMPLES:
        slow_valid = not slow_errors(warmed, example, url)
        assert warmed._fast.valid(url, example) == slow_valid, (url, example.get("id"))
        agreed += slow_valid
    assert agreed >= 1 or url == CLR_CREDENTIAL_SCHEMA  # the OB examples are valid OB credentials


def _mutations() -> st.SearchStrategy[tuple[int, list[tuple[str, Any]]]]:
    values = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-3, 3),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=12),
        st.sampled_from(
            ["2026-01-01T00:00:00Z", "2026-01-01", "not a date", "https://example.org/x", "urn:x"]
        ),
        st.just([]),
        st.just({}),
        st.just(["VerifiableCredential"]),
    )
    edit = st.tuples(st.sampled_from(["delete", "replace", "add", "wrap", "unwrap"]), values)
    return st.tuples(st.integers(0, len(EXAMPLES) - 1), st.lists(edit, min_size=1, max_size=4))


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


def _mutate(document: Any, edits: list[tuple[str, Any]], seed: int) -> Any:
    document = copy.deepcopy(document)
    for number, (kind, value) in enumerate(edits):
        paths = [path for path in _paths(document) if path]
        if not paths:
            break
        path = paths[(seed * 7919 + number * 104729) % len(paths)]
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        if kind == "delete":
            del parent[last]
        elif kind == "replace":
            parent[last] = value
        elif kind == "add" and isinstance(parent[last], dict):
            parent[last][f"extra{number}"] = value
        elif kind == "add" and isinstance(parent[last], list):
            parent[last].append(value)
        elif kind == "wrap":
            parent[last] = [parent[last]]
        elif kind == "unwrap" and isinstance(parent[last], list) and parent[last]:
            parent[last] = parent[last][0]
    return document


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutations(), st.integers(0, 10_000))
def test_the_compiled_check_is_never_more_lenient(
    warmed: SchemaValidator, strict: SchemaValidator, mutation: tuple[int, list[tuple[str, Any]]], seed: int
) -> None:
    index, edits = mutation
    document = _mutate(EXAMPLES[index], edits, seed)
    for validator, urls in ((warmed, URLS), (strict, (OB_ACHIEVEMENT_CREDENTIAL_SCHEMA,))):
        for url in urls:
            if validator._fast.valid(url, document):
                assert slow_errors(validator, document, url) == [], (url, json.dumps(document)[:300])


def test_what_it_cannot_vouch_for_takes_the_slow_path() -> None:
    unsupported: dict[str, Any]
    for unsupported in (
        {"type": "object", "unevaluatedProperties": False},
        {"$ref": "#/$defs/x", "type": "string", "$defs": {"x": {"type": "string"}}},
        {"enum": [1, True]},
        {"properties": {"a": {"dependentRequired": {}}}},
    ):
        assert not _supported(unsupported), unsupported
    url = "https://x.example/s"
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": url,
        "type": "object",
        "unevaluatedProperties": False,
    }
    checks = FastChecks({url: schema}, {url: url}, None)
    checks.compile_now(url)
    assert not checks.ready(url) and not checks.valid(url, {})
    assert list(validator_for(schema)(schema).iter_errors({})) == []  # so jsonschema decides: valid


def test_threads_asking_before_it_is_compiled_all_get_the_right_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(schema_fast, "_compiled", {})  # a process that has compiled nothing yet
    monkeypatch.setattr(schema_fast, "_pending", set())
    validator = SchemaValidator(default_schemas_dir())
    good = load_example("basic-openbadgecredential.json")
    bad = {key: value for key, value in good.items() if key != "credentialSubject"}
    answers: list[tuple[bool, bool]] = []

    def ask() -> None:
        for _ in range(30):
            answers.append(
                (
                    validator.errors(good, OB_ACHIEVEMENT_CREDENTIAL_SCHEMA) == [],
                    validator.errors(bad, OB_ACHIEVEMENT_CREDENTIAL_SCHEMA) == [],
                )
            )

    threads = [threading.Thread(target=ask) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [(True, False)] * (16 * 30)
    assert len(schema_fast._compiled) + len(schema_fast._pending) == 1  # one compilation, in the background


def test_accepted_achievements_and_profiles_are_remembered_bounded_and_rejections_never(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.badges import Issuer, badge

    validator = SchemaValidator(default_schemas_dir())
    validator.warm(OB_ACHIEVEMENT_CREDENTIAL_SCHEMA)
    monkeypatch.setattr(schema_fast, "_accepted", BoundedMap(4))
    issuer = Issuer()
    for number in range(6):
        credential = issuer.sign(badge(issuer))
        credential["credentialSubject"]["achievement"]["name"] = f"Achievement {number}"
        validator.validate_credential(credential)
        assert 0 < schema_fast.accepted_size() <= 4
    # the same achievement again, now without its required criteria: never taken as accepted
    broken = issuer.sign(badge(issuer))
    broken["credentialSubject"]["achievement"]["name"] = "Achievement 5"
    del broken["credentialSubject"]["achievement"]["criteria"]
    issues = validator.errors(broken, OB_ACHIEVEMENT_CREDENTIAL_SCHEMA)
    assert any("criteria" in issue.message for issue in issues)
    assert not validator._fast.valid(OB_ACHIEVEMENT_CREDENTIAL_SCHEMA, broken)
    # content that is not plain data (a dict subclass) is validated each time, never remembered
    odd = issuer.sign(badge(issuer))
    odd["credentialSubject"]["achievement"] = _Subclassed(odd["credentialSubject"]["achievement"])
    monkeypatch.setattr(schema_fast, "_accepted", BoundedMap(100))
    assert validator.errors(odd, OB_ACHIEVEMENT_CREDENTIAL_SCHEMA) == []
    assert schema_fast.accepted_size() == 1  # the issuer Profile; not the achievement
    # the same content with a value of another type is other content (5, 5.0 and true differ:
    # true is no number, and an accepted 5 or 5.0 must not answer for it)
    for value, valid in ((5, True), (5.0, True), (True, False)):
        other = issuer.sign(badge(issuer))
        other["credentialSubject"]["achievement"]["creditsAvailable"] = value
        assert (validator.errors(other, OB_ACHIEVEMENT_CREDENTIAL_SCHEMA) == []) is valid
        assert validator._fast.valid(OB_ACHIEVEMENT_CREDENTIAL_SCHEMA, other) is valid
    assert schema_fast.accepted_size() == 1 + 2


def test_a_contents_memo_key_does_not_change_with_what_else_holds_it() -> None:
    from tests.badges import Issuer, badge

    achievement = json.loads(json.dumps(badge(Issuer())["credentialSubject"]["achievement"]))  # fresh strings
    before = schema_fast._content_key(("s", "d"), achievement)
    held = [list(achievement.values()), list(achievement)]
    assert held and schema_fast._content_key(("s", "d"), achievement) == before is not None


class _Subclassed(dict[str, Any]):
    """A dict of another type: valid to the schema, yet with no exact form to be remembered by."""
