"""schema on a generic VerifiableCredential: the VC Data Model rules, not the OB schemas (and OB
credentials still get the OB schemas)."""

from __future__ import annotations

from typing import Any

import pytest

from badge_issuer.checks import Envelope, Subject
from badge_issuer.checks.schema import schema_check
from badge_issuer.jsonld.loader import VC_V1, VC_V2
from tests.badges import Issuer, badge, context

EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"


def generic(version: str = "2.0", **overrides: Any) -> dict[str, Any]:
    """An unsigned generic credential of VCDM ``version`` (no Open Badges type)."""
    credential: dict[str, Any] = {
        "@context": [VC_V2 if version == "2.0" else VC_V1, EXAMPLES_V2],
        "id": "urn:uuid:3978344f-8596-4c3a-a978-8fcaba3903c5",
        "type": ["VerifiableCredential", "ExampleAlumniCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "did:example:ebfeb1f712ebc6f1c276e12ec21", "alumniOf": "Example U"},
    }
    credential["validFrom" if version == "2.0" else "issuanceDate"] = "2026-01-01T00:00:00Z"
    credential.update(overrides)
    return credential


def run(credential: dict[str, Any]) -> Any:
    return schema_check(Subject(credential, Envelope("json")), context())


@pytest.mark.parametrize("version", ["2.0", "1.1"])
def test_a_generic_vc_follows_its_data_model_and_the_ob_schemas_do_not_apply(version: str) -> None:
    result = run(generic(version))
    assert result.status == "passed", result.message
    assert result.detail["dataModel"] == f"VCDM {version}"
    assert "OB schemas do not apply" in result.message


@pytest.mark.parametrize(
    ("version", "overrides", "pointer"),
    [
        ("2.0", {"@context": VC_V2}, "/@context"),
        ("2.0", {"id": "not a url"}, "/id"),
        ("2.0", {"issuer": "Example University"}, "/issuer"),
        ("2.0", {"issuer": {"name": "Example University"}}, "/issuer/id"),
        ("2.0", {"credentialSubject": {}}, "/credentialSubject"),
        ("2.0", {"credentialSubject": [{"id": "did:example:1"}, {"id": "no"}]}, "/credentialSubject/1/id"),
        ("2.0", {"validFrom": "2026-01-01T00:00:00"}, "/validFrom"),
        ("2.0", {"validUntil": "next tuesday"}, "/validUntil"),
        ("2.0", {"name": 7}, "/name"),
        ("2.0", {"credentialStatus": {"id": "https://example.org/s#1"}}, "/credentialStatus"),
        ("2.0", {"credentialSchema": [{"type": "JsonSchema"}]}, "/credentialSchema/0/id"),
        ("2.0", {"type": ["VerifiableCredential", 5]}, "/type"),
        ("1.1", {"issuanceDate": "yesterday"}, "/issuanceDate"),
    ],
)
def test_each_data_model_rule_a_generic_vc_breaks_is_named(
    version: str, overrides: dict[str, Any], pointer: str
) -> None:
    result = run(generic(version, **overrides))
    assert result.status == "failed", result.message
    assert pointer in [issue["pointer"] for issue in result.detail["issues"]]
    assert f"does not follow the VC Data Model {version}" in result.message


def test_a_vc_1_1_credential_needs_an_issuance_date() -> None:
    credential = generic("1.1")
    del credential["issuanceDate"]
    result = run(credential)
    assert result.status == "failed" and "needs an issuanceDate" in result.message


def test_a_declared_credential_schema_we_cannot_validate_is_a_warning() -> None:
    schema = {"id": "https://example.org/schemas/alumni.json", "type": "JsonSchema"}
    result = run(generic(credentialSchema=schema))
    assert result.status == "warning" and "never fetched" in result.message


def test_an_open_badge_is_still_held_to_the_ob_schema_even_when_it_follows_the_data_model() -> None:
    credential = badge(Issuer())
    del credential["credentialSubject"]["achievement"]["criteria"]
    result = run(credential)
    assert result.status == "failed" and "OB 3.0 schema" in result.message and "criteria" in result.message
