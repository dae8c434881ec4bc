"""Validation against the official Open Badges 3.0 OpenAPI file (tests/vectors/ob-v3p0-openapi)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

OPENAPI = Path(__file__).parent / "vectors" / "ob-v3p0-openapi" / "openapi.json"
_URI = "urn:imsglobal:ob:v3p0:openapi"


@cache
def openapi() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(OPENAPI.read_text(encoding="utf-8"))
    return document


@cache
def _registry() -> Registry[Any]:
    resource: Resource[Any] = DRAFT7.create_resource(openapi())
    registry: Registry[Any] = Registry().with_resource(_URI, resource)
    return registry


def errors(component: str, instance: Any) -> list[str]:
    """What is wrong with ``instance`` as the OpenAPI file's ``components.schemas[component]``."""
    validator = Draft7Validator({"$ref": f"{_URI}#/components/schemas/{component}"}, registry=_registry())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]


def assert_valid(component: str, instance: Any) -> None:
    found = errors(component, instance)
    assert not found, found
