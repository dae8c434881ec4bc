"""JSON Schema validation against the 1EdTech schemas we ship. Nothing is ever fetched.

Every schema file is registered under its ``$id``. A ``/schema/json-ld/`` id is also registered
under its ``/schema/json/`` twin, unless another schema owns that URL. The folder's ``SOURCES.md``
explains why.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from jsonschema import FormatChecker
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import UnknownDialect, specification_with

from badge_issuer.credential.base import is_date, is_date_time
from badge_issuer.credential.schema_fast import FastChecks
from badge_issuer.credential.schema_issues import issues_from_errors
from badge_issuer.credential.vocab import (
    CLR_CREDENTIAL_SCHEMA,
    JSON_SCHEMA_VALIDATOR_2019,
    OB_ACHIEVEMENT_CREDENTIAL_SCHEMA,
    OB_ENDORSEMENT_CREDENTIAL_SCHEMA,
)
from badge_issuer.errors import ConfigurationError, Issue, ValidationFailed

#: default bound on the issues reported for one document
MAX_ISSUES = 50
_ACHIEVEMENT_CREDENTIAL_TYPES = frozenset({"AchievementCredential", "OpenBadgeCredential"})


def default_schemas_dir() -> Path:
    """The packaged ``badge_issuer/schemas`` (wheel), else the repository's ``schemas/``."""
    package = Path(__file__).resolve().parents[1]
    packaged = package / "schemas"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "schemas"


def _json_ld_twin(schema_id: str) -> str | None:
    if "/schema/json-ld/" not in schema_id:
        return None
    return schema_id.replace("/schema/json-ld/", "/schema/json/", 1)


#: keywords whose values are data, not subschemas (a "$ref" key in them is not a reference)
_DATA_KEYWORDS = frozenset({"enum", "const", "examples", "default"})


def _refs(schema: Any, base: str) -> set[tuple[str, str]]:
    """Every ``$ref`` in a schema, with the base URI it resolves against (each pair once)."""
    found: set[tuple[str, str]] = set()
    stack: list[tuple[Any, str]] = [(schema, base)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):  # schemas are parsed JSON: dicts and lists
            own_id = node.get("$id")
            if isinstance(own_id, str):
                where = urljoin(where, own_id)
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str):
                    found.add((where, value))
                elif key not in _DATA_KEYWORDS and isinstance(value, dict | list):
                    stack.append((value, where))
        else:
            stack.extend((item, where) for item in node if isinstance(item, dict | list))
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _date_time(value: object) -> bool:
    return not isinstance(value, str) or is_date_time(value, zone_required=True)


def _date(value: object) -> bool:
    return not isinstance(value, str) or is_date(value)


#: the formats asserted with ``check_formats`` (the compiled checks get the very same predicates)
FORMATS = {"date-time": _date_time, "date": _date}


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    for name, predicate in FORMATS.items():
        checker.checks(name)(predicate)
    return checker


class SchemaValidator:
    """Compiled validators for every schema in a folder: build once, then reuse (read-only)."""

    def __init__(
        self, schemas_dir: Path, *, max_issues: int = MAX_ISSUES, check_formats: bool = False
    ) -> None:
        """Load and check every ``*.json`` schema under ``schemas_dir``.

        ``check_formats`` asserts ``date-time`` (RFC 3339, zone required) and ``date``. The
        default keeps draft 2019-09's behaviour, where ``format`` is only an annotation.
        """
        if not schemas_dir.is_dir():
            raise ConfigurationError(f"schema folder {schemas_dir} does not exist")
        self._max_issues = max_issues
        schemas = self._load(schemas_dir)
        urls = {schema_id: schema_id for schema_id in schemas}
        for schema_id in schemas:
            twin = _json_ld_twin(schema_id)
            if twin is not None and twin not in urls:
                urls[twin] = schema_id
        # the default ``retrieve`` of a Registry refuses every URI it does not hold: no fetching
        registry: Registry[Any] = Registry().with_resources(
            (url, Resource.from_contents(schemas[schema_id])) for url, schema_id in urls.items()
        )
        self._check_refs(schemas, registry)
        checker = _format_checker() if check_formats else None
        compiled: dict[str, Validator] = {}
        for schema_id, schema in schemas.items():
            cls = validator_for(schema)
            compiled[schema_id] = cls(schema, registry=registry, format_checker=checker)
        self._validators = {url: compiled[schema_id] for url, schema_id in urls.items()}
        # a compiled check answers "valid" fast; anything else is for the validators above
        self._fast = FastChecks(schemas, urls, FORMATS if check_formats else None)

    @staticmethod
    def _load(schemas_dir: Path) -> dict[str, dict[str, Any]]:
        schemas: dict[str, dict[str, Any]] = {}
        for path in sorted(schemas_dir.rglob("*.json")):
            try:
                schema = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ConfigurationError(f"cannot read JSON Schema {path}: {exc}") from exc
            schema_id = schema.get("$id") if isinstance(schema, dict) else None
            if not isinstance(schema_id, str) or not schema_id:
                raise ConfigurationError(f"JSON Schema {path} has no $id")
            if schema_id in schemas:
                raise ConfigurationError(f"JSON Schema {path} repeats $id {schema_id}")
            try:
                specification_with(schema["$schema"])
            except (KeyError, TypeError, UnknownDialect) as exc:
                raise ConfigurationError(f"JSON Schema {path}: missing or unknown $schema") from exc
            schemas[schema_id] = schema
        if not schemas:
            raise ConfigurationError(f"no JSON Schemas in {schemas_dir}")
        return schemas

    @staticmethod
    def _check_refs(schemas: Mapping[str, Any], registry: Registry[Any]) -> None:
        for schema_id, schema in schemas.items():
            for base, ref in sorted(_refs(schema, schema_id)):
                try:
                    registry.resolver(base_uri=base).lookup(ref)
                except Unresolvable as exc:
                    raise ConfigurationError(
                        f"JSON Schema {schema_id} refers to {ref!r}, which is not in the schema "
                        "folder (schemas are never fetched)"
                    ) from exc

    def warm(self, *urls: str) -> None:
        """Compile the fast checks of ``urls``' schemas now, in this thread (else on first use)."""
        for url in urls:
            self._fast.compile_now(url)

    @property
    def schema_urls(self) -> frozenset[str]:
        """Every URL a schema can be asked for by."""
        return frozenset(self._validators)

    def has_schema(self, url: str) -> bool:
        """Whether ``url`` names a schema we hold."""
        return url in self._validators

    def errors(self, document: Any, schema_url: str) -> list[Issue]:
        """Up to ``max_issues`` issues of ``document`` against the schema at ``schema_url``."""
        validator = self._validators.get(schema_url)
        if validator is None:
            return [Issue("", _unknown(schema_url))]
        if self._fast.valid(schema_url, document):
            return []
        found = itertools.islice(validator.iter_errors(document), self._max_issues)
        try:
            return issues_from_errors(found, self._max_issues)
        except Unresolvable as exc:  # cannot happen after _check_refs; refuse clearly anyway
            raise ConfigurationError(f"schema {schema_url} has an unresolvable $ref: {exc}") from exc

    def validate(self, document: Any, schema_url: str | None = None) -> None:
        """Validate against ``schema_url`` (default: OB 3.0 AchievementCredential)."""
        url = schema_url or OB_ACHIEVEMENT_CREDENTIAL_SCHEMA
        issues = self.errors(document, url)
        if issues:
            raise ValidationFailed(f"document does not conform to {url}", issues)

    def validate_credential(self, credential: Mapping[str, Any], *, skip_unknown: bool = False) -> None:
        """OB verification step 1: the credential's own JSON Schemas, and the subject rule.

        Each ``credentialSchema`` entry of type ``1EdTechJsonSchemaValidator2019`` is checked. An
        entry naming a schema we do not hold is an issue (never a fetch), unless ``skip_unknown``.
        If no held schema was named, ``default_schema`` applies: the OB 3.0 AchievementCredential
        schema, the EndorsementCredential one, or the CLR 2.0 ClrCredential one, by ``type``.
        """
        issues: list[Issue] = []
        checked: set[str] = set()
        for pointer, url in _declared_schemas(credential):
            if not self.has_schema(url):
                if not skip_unknown:
                    issues.append(Issue(pointer, _unknown(url)))
            elif url not in checked:
                checked.add(url)
                issues.extend(self.errors(credential, url))
        if not checked:
            issues.extend(self.errors(credential, default_schema(credential)))
        issues.extend(_subject_issues(credential))
        if issues:
            raise ValidationFailed("credential does not conform", issues[: self._max_issues])


def default_schema(credential: Mapping[str, Any]) -> str:
    """The schema a credential is held to when it names none we hold: by its ``type``."""
    types = _as_list(credential.get("type"))
    if "ClrCredential" in types:
        return CLR_CREDENTIAL_SCHEMA
    if "EndorsementCredential" in types:
        return OB_ENDORSEMENT_CREDENTIAL_SCHEMA
    return OB_ACHIEVEMENT_CREDENTIAL_SCHEMA


def _unknown(url: str) -> str:
    return f"schema {url!r} is not one this service holds; schemas are never fetched"


def _declared_schemas(credential: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """``(pointer of the id, id)`` of each 1EdTechJsonSchemaValidator2019 entry."""
    entries = credential.get("credentialSchema")
    if isinstance(entries, Mapping):
        located = [("/credentialSchema", entries)]
    elif isinstance(entries, list):
        located = [(f"/credentialSchema/{i}", entry) for i, entry in enumerate(entries)]
    else:
        return
    for pointer, entry in located:
        if not isinstance(entry, Mapping):
            continue
        url = entry.get("id")
        if JSON_SCHEMA_VALIDATOR_2019 in _as_list(entry.get("type")) and isinstance(url, str):
            yield f"{pointer}/id", url


def _subject_issues(credential: Mapping[str, Any]) -> list[Issue]:
    """The rule the schema cannot express: an AchievementSubject needs ``id`` or ``identifier``."""
    subject = credential.get("credentialSubject")
    if not isinstance(subject, Mapping):
        return []
    is_achievement = any(name in _ACHIEVEMENT_CREDENTIAL_TYPES for name in _as_list(credential.get("type")))
    if not is_achievement and "AchievementSubject" not in _as_list(subject.get("type")):
        return []
    if subject.get("id") or subject.get("identifier"):
        return []
    return [Issue("/credentialSubject", "either id or at least one identifier MUST be supplied")]


def status_entry_views(credential: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The credential once per ``credentialStatus`` entry, as the OB 3.0 schema can judge it.

    VCDM 2.0 and the Bitstring Status List allow several status entries (revocation and
    suspension); the OB 3.0 schema admits one ``credentialStatus`` object. Each entry is checked
    in its own view rather than refusing the array.
    """
    status = credential.get("credentialStatus")
    if isinstance(status, list) and status:
        return [{**credential, "credentialStatus": entry} for entry in status]
    return [dict(credential)]
