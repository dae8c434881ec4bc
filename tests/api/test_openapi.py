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
