"""``context``: every JSON-LD context is one we pin, and every term is defined (safe mode).

Contexts are never fetched: an unknown context URL, or an embedded context object (which could
redefine any term), makes the document's meaning unknowable, so that failure is fatal. A property
or type the contexts do not define would be dropped by JSON-LD processing, i.e. it is not covered
by an RDFC signature; such terms are named with where they occur.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from badge_issuer.checks.base import (
    FAILED,
    PASSED,
    CheckResult,
    Subject,
    VerifyContext,
    as_list,
    check,
    pointers_of,
    short,
)
from badge_issuer.errors import ContextNotAllowed, JsonLdError
from badge_issuer.jsonld.processor import undefined_terms

ID = "context"


def _contexts(document: Any) -> Iterator[tuple[str, Any]]:
    """``(pointer, value)`` of every ``@context`` entry anywhere in the document."""
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, Mapping):
            for key, item in value.items():
                if key == "@context":
                    for index, entry in enumerate(as_list(item)):
                        yield f"{path}/@context/{index}", entry
                else:
                    stack.append((f"{path}/{key}", item))
        elif isinstance(value, list):
            stack.extend((f"{path}/{index}", item) for index, item in enumerate(value))


@check(ID, fatal=True)
def context_check(subject: Subject, ctx: VerifyContext) -> CheckResult:
    loader = ctx.canon.loader
    unsigned = {key: value for key, value in subject.credential.items() if key != "proof"}
    used: list[str] = []
    for pointer, entry in _contexts(subject.credential):
        if isinstance(entry, str):
            if not loader.knows(entry):
                return CheckResult(
                    ID,
                    FAILED,
                    f"context {short(entry)} is not one we know and pin (contexts are never fetched)",
                    {"pointer": pointer, "context": short(entry, 300)},
                )
            used.append(entry)
        else:
            return CheckResult(
                ID,
                FAILED,
                "embedded context objects are not accepted; only pinned context URLs are",
                {"pointer": pointer},
            )
    if not used:
        return CheckResult(ID, FAILED, "the document has no @context")
    try:
        terms = undefined_terms(unsigned, loader=loader)
    except ContextNotAllowed as exc:
        return CheckResult(ID, FAILED, exc.message, {"context": exc.url})
    except JsonLdError as exc:
        return CheckResult(ID, FAILED, exc.message)
    contexts = list(dict.fromkeys(used))
    if terms:
        where = pointers_of(unsigned, terms)
        return _undefined(terms, where, contexts)
    return CheckResult(
        ID,
        PASSED,
        f"all {len(contexts)} contexts are pinned and every term is defined",
        {"contexts": contexts},
    )


def _undefined(terms: list[str], where: list[str], contexts: list[str]) -> CheckResult:
    listed = ", ".join(short(term, 60) for term in terms[:20])
    located = f" (at {', '.join(where[:10])})" if where else ""
    return CheckResult(
        ID,
        FAILED,
        f"these fields are not defined by the credential's contexts, so not covered by the "
        f"signature: {listed}{located}",
        {"terms": terms[:50], "pointers": where, "contexts": contexts},
    )
