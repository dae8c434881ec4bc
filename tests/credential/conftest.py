"""Fixtures for the credential tests: the spec examples and one shared SchemaValidator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from badge_issuer.credential.schema import SchemaValidator, default_schemas_dir

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "vectors" / "ob-v3p0-examples"
EXAMPLE_NAMES = sorted(path.name for path in EXAMPLES_DIR.glob("*.json"))
OB_EXAMPLE_NAMES = [name for name in EXAMPLE_NAMES if name != "endorsementcredential.json"]


def load_example(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXAMPLES_DIR / name).read_text(encoding="utf-8"))
    return document


@pytest.fixture(scope="session")
def schemas() -> SchemaValidator:
    return SchemaValidator(default_schemas_dir())
