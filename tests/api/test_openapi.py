"""openapi.yaml is the app's OpenAPI document: this fails when the code and the file drift apart."""

from __future__ import annotations

from pathlib import Path

import yaml

from badge_issuer.api.app import create_app
from badge_issuer.api.openapi_doc import document
from badge_issuer.config import Settings

OPENAPI = Path(__file__).resolve().parents[2] / "openapi.yaml"


def test_openapi_yaml_matches_the_code(settings: Settings) -> None:
    committed = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    assert committed == document(create_app(settings)), "run `make openapi` and commit openapi.yaml"


def test_every_route_is_documented_with_examples_for_issuing(settings: Settings) -> None:
    spec = document(create_app(settings))
    paths = spec["paths"]
    issue = paths["/api/v1/issuers/{issuer}/achievements/{achievement}/credentials"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in issue["parameters"])
    schemas = spec["components"]["schemas"]
    assert schemas["IssueRequest"]["examples"]
    assert "/credentials/{credential_id}" in paths
    assert "/issuers/{issuer}/status/{purpose}/{sequence}" in paths


PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
OAUTH_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/OAuthError"}}}
#: the Open Badges API and its OAuth endpoints answer errors in their standards' shapes
OWN_ERRORS = {
    "/oauth/": OAUTH_ERROR,
    "/ims/ob/v3p0/": {"application/json": {"schema": {"$ref": "#/components/schemas/ImsxStatusInfo"}}},
    "/ims/clr/v2p0/": {"application/json": {"schema": {"$ref": "#/components/schemas/ImsxStatusInfo"}}},
}


def test_every_operation_documents_its_success_schema_and_its_problems(settings: Settings) -> None:
    spec = document(create_app(settings))
    schemas = spec["components"]["schemas"]
    assert {"Problem", "Report", "Record", "Issued", "Credential"} <= set(schemas)
    assert "HTTPValidationError" not in schemas  # the API never sends FastAPI's own error shape
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            answers = operation["responses"]
            [ok] = [status for status in answers if status.startswith("2")]
            content = answers[ok].get("content", {})
            assert content or ok == "204", where  # 204 No Content (OpenID4VCI notifications) has none
            for media, body in content.items():
                schema = body.get("schema", {})
                named = schema.get("$ref") or schema.get("items", {}).get("$ref")
                assert named or media.startswith("image/"), (where, media)
            for status in ("413", "503"):
                assert status in answers, (where, status)
            if path.startswith("/api/v1/issuers"):
                for status in ("401", "403", "404", "422"):
                    assert status in answers, (where, status)
            own = next((shape for prefix, shape in OWN_ERRORS.items() if path.startswith(prefix)), PROBLEM)
            for status, answer in answers.items():
                if status.startswith(("4", "5")):
                    expected = PROBLEM if status in ("413", "429", "503") else own
                    if "/openid4vci/" in path:  # OpenID4VCI refusals are OAuth errors; the rest problems
                        expected = OAUTH_ERROR if status in ("400", "401") else PROBLEM
                    assert answer["content"] == expected, (where, status)
            if own is PROBLEM and operation.get("requestBody", {}).get("content", {}).get("application/json"):
                assert {"400", "415", "422"} <= set(answers), where
    change = spec["paths"]["/api/v1/issuers/{issuer}/credentials/{credential_id}/{action}"]["post"]
    assert "409" in change["responses"]
    assert "safe to retry" in change["summary"]
    assert schemas["StatusChange"]["properties"]["reason"]["description"]
