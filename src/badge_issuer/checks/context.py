"""``context``: every JSON-LD context is pinned or vetted, and every term is defined (safe mode).

An embedded context object (which could redefine any term) is refused. A context URL we do not pin
is refused too, unless the verifier loads remote contexts (``net/contexts.py``): then it is fetched
under that policy, and the check is at best a *warning* that names each fetched context with its
sha256, and only if the document means, for every field the report shows or a later check reads,
what it means under our pinned contexts alone (``context_validation.py``). Any refusal is fatal. A
property or type the contexts do not define would be dropped by JSON-LD processing, i.e. it is not
covered by an RDFC signature; such terms are named with where they occur.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from badge_issuer.checks.base import (
    FAILED,
    PASSED,
    WARNING,
    CheckResult,
    Subject,
    VerifyContext,
    as_list,
    check,
    pointers_of,
    short,
)
from badge_issuer.checks.context_validation import conforming_document, differences, pinned_contexts
from badge_issuer.errors import ContextNotAllowed, JsonLdError, UndefinedTerms
from badge_issuer.jsonld.processor import expand, undefined_terms
from badge_issuer.net.contexts import FetchedContext, RemoteContexts

ID = "context"
_SCALARS = frozenset({str, int, float, bool, type(None)})


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


def _context_values(document: Any) -> list[Any]:
    """The entries of ``_contexts``, in its order, without the pointers (no string is built;
    scalars, which cannot hold a context, are never put on the stack: told by their exact type,
    one set lookup, where ``isinstance`` tried five types for each value)."""
    found: list[Any] = []
    stack: list[Any] = [document]
    pop, push = stack.pop, stack.append
    while stack:
        value = pop()
        if type(value) is list or (type(value) is not dict and isinstance(value, list)):
            for item in value:
                if type(item) not in _SCALARS:
                    push(item)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if key == "@context":
                    found.extend(as_list(item))
                elif type(item) not in _SCALARS:
                    push(item)
    return found


@check(ID, fatal=True)
def context_check(subject: Subject, ctx: VerifyContext) -> CheckResult:
    loader = ctx.canon.loader
    unsigned = {key: value for key, value in subject.credential.items() if key != "proof"}
    remote = loader.remote if isinstance(loader.remote, RemoteContexts) else None
    used = _context_values(subject.credential)
    accepted = all(isinstance(entry, str) and (remote is not None or loader.knows(entry)) for entry in used)
    if not accepted:  # pointers are built only to report the refusal
        return _refusal(subject.credential, loader.knows, remote is not None)
    if not used:
        return CheckResult(ID, FAILED, "the document has no @context")
    contexts = list(dict.fromkeys(used))
    try:
        if remote is not None and not all(loader.knows(url) for url in used):
            return _with_fetched(unsigned, contexts, remote.resolve(used), ctx)
        terms = undefined_terms(unsigned, loader=loader, bounds=ctx.canon.bounds)
    except ContextNotAllowed as exc:
        return CheckResult(ID, FAILED, exc.message, {"context": exc.url})
    except JsonLdError as exc:
        return CheckResult(ID, FAILED, exc.message)
    if terms:
        return _undefined(terms, pointers_of(unsigned, terms), contexts)
    return CheckResult(
        ID,
        PASSED,
        f"all {len(contexts)} contexts are pinned and every term is defined",
        {"contexts": contexts},
    )


def _refusal(credential: Any, knows: Callable[[str], bool], remote: bool) -> CheckResult:
    """The first context entry refused, with its pointer (the caller found that one is)."""
    pointer, entry = next(
        (pointer, entry)
        for pointer, entry in _contexts(credential)
        if not (isinstance(entry, str) and (remote or knows(entry)))
    )
    if isinstance(entry, str):
        return CheckResult(
            ID,
            FAILED,
            f"context {short(entry)} is not one we know and pin (contexts are never fetched)",
            {"pointer": pointer, "context": short(entry, 300)},
        )
    return CheckResult(
        ID,
        FAILED,
        "embedded context objects are not accepted; only pinned context URLs are",
        {"pointer": pointer},
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


def _with_fetched(
    unsigned: dict[str, Any], contexts: list[str], fetched: list[FetchedContext], ctx: VerifyContext
) -> CheckResult:
    """Safe mode and the context-validation rule for a document using fetched contexts: warning or failed."""
    loader = ctx.canon.loader
    listed = [item.to_json() for item in fetched]
    named = ", ".join(f"{short(item.url, 100)} (sha256 {item.sha256})" for item in fetched)
    try:
        # one expansion serves safe mode and compaction
        expanded = expand(unsigned, loader=loader, bounds=ctx.canon.bounds)
    except UndefinedTerms as exc:
        return _undefined(list(exc.terms), pointers_of(unsigned, exc.terms), contexts)
    except JsonLdError as exc:
        return CheckResult(ID, FAILED, exc.message, {"contexts": contexts, "fetched": listed})
    try:
        conforming = conforming_document(expanded, pinned_contexts(unsigned, loader), loader=loader)
    except JsonLdError as exc:
        return CheckResult(ID, FAILED, exc.message, {"contexts": contexts, "fetched": listed})
    changed = differences(unsigned, conforming)
    if changed:
        return CheckResult(
            ID,
            FAILED,
            f"the unpinned contexts change what these fields mean: {', '.join(changed)}; what the "
            f"credential shows is not what its pinned contexts say was signed (fetched: {named})",
            {"contexts": contexts, "fetched": listed, "fields": changed},
        )
    return CheckResult(
        ID,
        WARNING,
        f"uses {len(fetched)} context(s) we do not pin, fetched for this verification: {named}; "
        f"every field shown means what the pinned VC/OB contexts say",
        {"contexts": contexts, "fetched": listed},
    )
