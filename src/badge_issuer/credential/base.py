"""Shared parts of the OB 3.0 models: base class, field types, JSON output, error mapping."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    PlainValidator,
    Tag,
    ValidationError,
)
from pydantic.alias_generators import to_camel

from badge_issuer.credential.vocab import EXT_VALUE
from badge_issuer.errors import Issue, ValidationFailed

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(Z|[+-]\d{2}:\d{2})?", re.ASCII)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S.*", re.DOTALL)


class OBModel(BaseModel):
    """Base of every OB class: camelCase JSON names; extra properties kept (Extensions mixin)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, alias_generator=to_camel)


def is_date_time(value: str, *, zone_required: bool) -> bool:
    """True for ``YYYY-MM-DDThh:mm:ss[.f][Z|±hh:mm]``; the zone is mandatory if asked."""
    match = _DATE_TIME.fullmatch(value)
    if match is None or (zone_required and match.group(1) is None):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_date(value: str) -> bool:
    """True for a calendar date ``YYYY-MM-DD``."""
    if _DATE.fullmatch(value) is None:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def parse_date_time(value: str) -> datetime:
    """A zoned ISO date-time string as an aware ``datetime`` (for comparisons only)."""
    return datetime.fromisoformat(value)


def _date_time_z(value: str) -> str:
    if not is_date_time(value, zone_required=True):
        raise ValueError("must be a date-time with a time zone, e.g. 2024-05-01T12:00:00Z")
    return value


def _date_time(value: str) -> str:
    if not is_date_time(value, zone_required=False):
        raise ValueError("must be a date-time, e.g. 2024-05-01T12:00:00Z")
    return value


def _date(value: str) -> str:
    if not is_date(value):
        raise ValueError("must be a date, e.g. 2024-05-01")
    return value


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError("must be a number")
    return value


def _uri(value: str) -> str:
    if _URI.fullmatch(value) is None or value != value.strip():
        raise ValueError("must be an absolute URI (scheme:...)")
    return value


#: OB DateTimeZ: an ISO 8601 date-time with zone, kept as the exact string (round-trips)
DateTimeZ = Annotated[str, AfterValidator(_date_time_z)]
#: OB DateTime: the zone is optional
DateTime = Annotated[str, AfterValidator(_date_time)]
#: OB Date: ``YYYY-MM-DD``
Date = Annotated[str, AfterValidator(_date)]
#: OB URI / IRI: absolute, with a scheme
Uri = Annotated[str, AfterValidator(_uri)]
#: OB Float/Integer: a finite JSON number, never a string or a boolean; int and float kept as given
Number = Annotated[int | float, PlainValidator(_number)]


def _one_or_many(value: Any) -> str:
    return "many" if isinstance(value, list) else "one"


#: a single value or an array (JSON-LD compaction of 0..* properties)
OneOrMany = Annotated[Annotated[T, Tag("one")] | Annotated[list[T], Tag("many")], Discriminator(_one_or_many)]
#: ``type`` as a single IRI or an unordered set of IRIs
TypeValue = str | list[str]


def includes(*accepted: str) -> AfterValidator:
    """Validator for a ``type`` value: it must contain one of ``accepted``."""
    wanted = " or ".join(repr(name) for name in accepted)

    def check(value: TypeValue) -> TypeValue:
        present = [value] if isinstance(value, str) else value
        if not any(name in present for name in accepted):
            raise ValueError(f"type must include {wanted}")
        return value

    return AfterValidator(check)


def extensible(values: frozenset[str], what: str) -> AfterValidator:
    """Validator for an extensible enumeration: a listed value or ``ext:<name>``."""

    def check(value: str) -> str:
        if value not in values and EXT_VALUE.fullmatch(value) is None:
            raise ValueError(f"{what} {value!r} is neither a listed value nor 'ext:<name>'")
        return value

    return AfterValidator(check)


def one_of(values: frozenset[str], what: str) -> AfterValidator:
    """Validator for a closed enumeration."""

    def check(value: str) -> str:
        if value not in values:
            raise ValueError(f"{what} {value!r} is not one of {', '.join(sorted(values))}")
        return value

    return AfterValidator(check)


def to_json(model: BaseModel) -> dict[str, Any]:
    """The model as OB JSON: JSON names; nulls and empty arrays omitted at every level (OB
    serialization), except inside ``@context`` where a null has a meaning."""
    dumped: dict[str, Any] = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return _prune_object(dumped)


def _prune_object(obj: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if key == "@context":  # a null in a local context is meaningful JSON-LD
            out[key] = value
            continue
        pruned = _prune(value)
        if pruned is None or pruned == []:
            continue
        out[key] = pruned
    return out


def _prune(value: Any) -> Any:
    if isinstance(value, Mapping):
        return _prune_object(value)
    if isinstance(value, list):
        return [_prune(item) for item in value]
    return value


def json_pointer(parts: Iterable[str | int]) -> str:
    """RFC 6901 JSON Pointer from path segments."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def _data_path(loc: tuple[int | str, ...], data: Any, missing: bool) -> list[str | int]:
    """Map a pydantic error location onto the input, dropping union tags."""
    path: list[str | int] = []
    current = data
    for index, part in enumerate(loc):
        in_object = isinstance(current, Mapping) and isinstance(part, str) and part in current
        in_array = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if in_object or in_array:
            current = current[part]
            path.append(part)
        elif missing and index == len(loc) - 1:
            path.append(part)
    return path


def issues_from(error: ValidationError, data: Any, at: str = "") -> list[Issue]:
    """One ``Issue`` per pydantic error, located by JSON Pointer in ``data`` (under ``at``)."""
    issues: list[Issue] = []
    for detail in error.errors(include_url=False):
        missing = detail["type"] == "missing"
        path = _data_path(detail["loc"], data, missing)
        message = detail["msg"].removeprefix("Value error, ")
        if missing and path:
            message = f"{path[-1]!s} is required"
        issue = Issue(at + json_pointer(path), message)
        if issue not in issues:
            issues.append(issue)
    return issues


def validate_model(cls: type[M], data: Any, *, what: str | None = None, at: str = "") -> M:
    """``cls.model_validate(data)``, raising ``ValidationFailed`` with JSON Pointer issues."""
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        issues = issues_from(exc, data, at)
        raise ValidationFailed(f"not a valid {what or cls.__name__}", issues) from None
