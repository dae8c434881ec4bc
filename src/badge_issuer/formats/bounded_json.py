"""JSON parsing with bounds on nesting depth, array length and value count, for untrusted input.

A cheap pre-scan of the brackets outside strings refuses deep nesting before ``json.loads`` runs, so
the parser never nears the recursion limit; a walk of the result enforces the other bounds, when
counting characters cannot show that the text keeps them. Also
refused: duplicate object member names (two parsers may disagree on which one wins), NaN and
Infinity, and integers longer than Python's digit limit.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from badge_issuer.errors import JsonSyntaxError, ParseError, PayloadTooLarge

_NOT_STRUCTURAL = re.compile(r'[^\[\]{}"]+')


@dataclass(frozen=True)
class JsonLimits:
    """Bounds on one JSON document."""

    max_depth: int = 64
    max_array_items: int = 10_000
    max_values: int = 200_000


DEFAULT_LIMITS = LIMITS = JsonLimits()


def loads_bounded(text: str | bytes, *, what: str = "JSON", limits: JsonLimits = LIMITS) -> Any:
    """Parse ``text``; ParseError if it is not JSON, PayloadTooLarge if it breaks ``limits``."""
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError(f"{what} is not UTF-8") from exc
    text = text.removeprefix("\ufeff")
    arrays, commas = text.count("["), text.count(",")
    opened = arrays + text.count("{")
    if opened > limits.max_depth and _bracket_depth(text) > limits.max_depth:
        raise PayloadTooLarge(f"{what} is nested deeper than {limits.max_depth} levels")
    try:
        value = json.loads(text, object_pairs_hook=_unique_members, parse_constant=_no_constant)
    except RecursionError as exc:
        raise PayloadTooLarge(f"{what} is nested too deeply") from exc
    except json.JSONDecodeError as exc:
        raise JsonSyntaxError(
            f"{what} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            line=exc.lineno,
            column=exc.colno,
        ) from exc
    except ValueError as exc:  # JSONDecodeError, duplicate members, over-long integers
        raise ParseError(f"{what} is not valid JSON: {exc}") from exc
    # the depth is bounded above; the walk counting values and array items is needed only when
    # the text could break those bounds: every value but the first follows a "[", "," or ":", and
    # an array's items are separated by commas (counted in strings too, which only overcounts)
    if commas + 1 > limits.max_array_items or 1 + arrays + commas + text.count(":") > limits.max_values:
        _check_sizes(value, what, limits)
    return value


def _bracket_depth(text: str) -> int:
    """The deepest bracket nesting outside strings (exact for valid JSON)."""
    # Escaped backslashes, then escaped quotes, cannot end a string; what remains of each string is
    # a "…" pair, so splitting on quotes leaves the outside parts at even positions.
    skeleton = _NOT_STRUCTURAL.sub("", text.replace("\\\\", "").replace('\\"', ""))
    outside = "".join(skeleton.split('"')[::2])
    if not outside:
        return 0
    return max(accumulate(1 if char in "[{" else -1 for char in outside))


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate member name {key!r:.60}")
            seen.add(key)
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _check_sizes(value: Any, what: str, limits: JsonLimits) -> None:
    """Iteratively count values and check array lengths and depth (no recursion).

    Only objects and arrays go on the stack; a scalar is counted where its container is read."""
    max_values, max_items, max_depth = limits.max_values, limits.max_array_items, limits.max_depth
    count = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        count += 1
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            if len(item) > max_items:
                raise PayloadTooLarge(f"{what} has an array over {max_items} items")
            children = item
        else:  # a scalar at the top
            continue
        if depth > max_depth:
            raise PayloadTooLarge(f"{what} is nested deeper than {max_depth} levels")
        for child in children:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
            else:
                count += 1
        if count > max_values:
            raise PayloadTooLarge(f"{what} holds more than {max_values} values")
