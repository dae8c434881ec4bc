"""A credential a client supplies to be signed (VC-API ``POST /credentials/issue``): checked, completed.

``check_supplied`` refuses what we would not sign, naming the field (a JSON Pointer under
``/credential``): no VC ``@context`` first, a context we do not pin (issuance never fetches one,
and inline context definitions are refused alike), no ``VerifiableCredential`` type, no
``credentialSubject``, an issuer other than the caller's, a relative ``id``, a proof or status entry
of its own (we sign and allocate those), and dates that are not RFC 3339 date-times with a time
zone, are out of order, or belong to the other VCDM version (VCDM 1.1: ``issuanceDate`` /
``expirationDate``; 2.0: ``validFrom`` / ``validUntil``).

``complete`` adds only what signing needs: the issuer when absent, a VCDM 1.1 ``issuanceDate``
(required there), the contexts the chosen proof and status entry need under a 1.1 credential, and
the status entry. Nothing else of the caller's credential changes; the subject never does.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Collection, Iterator, Mapping
from datetime import datetime
from typing import Any

from badge_issuer.clock import isoformat_z
from badge_issuer.crypto.suites.ed25519_signature_2020 import ED25519_2020_CONTEXT
from badge_issuer.errors import Issue, ValidationFailed
from badge_issuer.jsonld.loader import VC_V1, VC_V2

DATA_INTEGRITY_V1 = "https://w3id.org/security/data-integrity/v1"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
STATUS_V1 = "https://www.w3.org/ns/credentials/status/v1"
#: types that make a supplied credential an Open Badge (held to the OB 3.0 / CLR 2.0 schemas)
OB_TYPES = frozenset(
    {"OpenBadgeCredential", "AchievementCredential", "EndorsementCredential", "ClrCredential"}
)
#: the date fields of each VCDM version: (start, end)
DATE_FIELDS = {"1.1": ("issuanceDate", "expirationDate"), "2.0": ("validFrom", "validUntil")}
MAX_ID_LENGTH = 512
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
ROOT = "/credential"


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def types_of(credential: Mapping[str, Any]) -> list[str]:
    return [t for t in as_list(credential.get("type")) if isinstance(t, str)]


def is_open_badge(credential: Mapping[str, Any]) -> bool:
    return bool(OB_TYPES.intersection(types_of(credential)))


def _fail(pointer: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, [Issue(ROOT + pointer, message)])


def check_supplied(credential: Mapping[str, Any], *, issuer_did: str, pinned: Collection[str]) -> str:
    """The VCDM version (``"1.1"`` / ``"2.0"``) of a credential we may sign for ``issuer_did``.

    ValidationFailed (pointer under ``/credential``) for the first thing we would not sign."""
    version = _check_contexts(credential, pinned)
    if "VerifiableCredential" not in types_of(credential):
        raise _fail("/type", "type must include VerifiableCredential")
    if not all(isinstance(t, str) for t in as_list(credential.get("type"))):
        raise _fail("/type", "type must be a string or an array of strings")
    _check_subject(credential.get("credentialSubject"))
    _check_issuer(credential, issuer_did)
    credential_id = credential.get("id")
    if credential_id is not None and not (
        isinstance(credential_id, str)
        and len(credential_id) <= MAX_ID_LENGTH
        and _ABSOLUTE_IRI.match(credential_id)
    ):
        raise _fail("/id", f"id must be an absolute URI (at most {MAX_ID_LENGTH} characters)")
    if "proof" in credential:
        raise _fail("/proof", "the credential already has a proof; send it unsigned")
    if "credentialStatus" in credential:
        raise _fail(
            "/credentialStatus",
            "status entries are allocated from this issuer's lists: ask with options.credentialStatus",
        )
    _check_dates(credential, version)
    return version


def _check_contexts(credential: Mapping[str, Any], pinned: Collection[str]) -> str:
    if "@context" not in credential:
        raise _fail("/@context", f"@context is missing; it must start with {VC_V2} or {VC_V1}")
    contexts = as_list(credential["@context"])
    first = contexts[0] if contexts else None
    version = {VC_V2: "2.0", VC_V1: "1.1"}.get(first) if isinstance(first, str) else None
    if version is None:
        raise _fail("/@context", f"@context must start with {VC_V2} (VCDM 2.0) or {VC_V1} (VCDM 1.1)")
    for index, context in enumerate(contexts):
        pointer = f"/@context/{index}" if isinstance(credential["@context"], list) else "/@context"
        if not isinstance(context, str):
            raise _fail(pointer, "inline context definitions are not accepted; use pinned context URLs")
        if context not in pinned:
            raise _fail(pointer, f"{context[:200]!r} is not a context we pin; issuance never fetches one")
    for pointer in _nested_contexts(credential):
        if _NESTED_CREDENTIAL.match(pointer) and _pinned_urls(credential, pointer, pinned):
            continue  # a credential a CLR carries keeps the @context it was signed with
        raise _fail(pointer, "embedded contexts are not accepted; use pinned context URLs in @context")
    return version


#: where a credential nests whole credentials (CLR 2.0 ``ClrSubject.verifiableCredential``)
_NESTED_CREDENTIAL = re.compile(r"^/credentialSubject/verifiableCredential(/\d+)?/@context$")


def _pinned_urls(credential: Mapping[str, Any], pointer: str, pinned: Collection[str]) -> bool:
    """Whether the ``@context`` at ``pointer`` lists pinned context URLs only."""
    value: Any = credential
    for part in pointer.strip("/").split("/"):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return bool(as_list(value)) and all(isinstance(url, str) and url in pinned for url in as_list(value))


def _nested_contexts(document: Mapping[str, Any]) -> Iterator[str]:
    """Pointers of every ``@context`` below the top level (iterative: no recursion limit)."""
    stack: list[tuple[str, Any]] = [(f"/{_escape(k)}", v) for k, v in document.items() if k != "@context"]
    while stack:
        pointer, value = stack.pop()
        if isinstance(value, Mapping):
            for key, item in value.items():
                if key == "@context":
                    yield f"{pointer}/@context"
                stack.append((f"{pointer}/{_escape(str(key))}", item))
        elif isinstance(value, list):
            stack.extend((f"{pointer}/{index}", item) for index, item in enumerate(value))


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _check_subject(subject: Any) -> None:
    subjects = subject if isinstance(subject, list) else [subject]
    if subject is None or not subjects or not all(isinstance(s, Mapping) and s for s in subjects):
        raise _fail(
            "/credentialSubject", "credentialSubject must be a non-empty object (or an array of them)"
        )


def _check_issuer(credential: Mapping[str, Any], issuer_did: str) -> None:
    if "issuer" not in credential:
        return
    issuer = credential["issuer"]
    pointer, value = ("/issuer/id", issuer.get("id")) if isinstance(issuer, Mapping) else ("/issuer", issuer)
    if value != issuer_did:
        raise _fail(
            pointer,
            f"this API key signs only as its issuer {issuer_did}; leave issuer out or set it to that DID",
        )


def _check_dates(credential: Mapping[str, Any], version: str) -> None:
    other = "2.0" if version == "1.1" else "1.1"
    for name in DATE_FIELDS[other]:
        if name in credential:
            start, end = DATE_FIELDS[version]
            raise _fail(
                f"/{name}", f"{name} is a VCDM {other} field; a VCDM {version} credential uses {start}/{end}"
            )
    moments: list[datetime] = []
    for name in DATE_FIELDS[version]:
        if name in credential:
            moment = parse_date_time(credential[name])
            if moment is None:
                raise _fail(f"/{name}", f"{name} must be an RFC 3339 date-time with a time zone")
            moments.append(moment)
    start_name, end_name = DATE_FIELDS[version]
    if len(moments) == 2 and moments[1] <= moments[0]:
        raise _fail(f"/{end_name}", f"{end_name} must be after {start_name}")


def parse_date_time(value: Any) -> datetime | None:
    """An RFC 3339 date-time with a time zone (an XML Schema dateTimeStamp), else None."""
    if not isinstance(value, str) or not _DATE_TIME.match(value):
        return None
    head, dot, rest = value.partition(".")
    if dot:  # Python reads at most 6 digits of a fraction
        digits = len(rest) - len(rest.lstrip("0123456789"))
        value = f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}"
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def complete(
    credential: Mapping[str, Any],
    *,
    version: str,
    issuer: str | Mapping[str, Any],
    proof_type: str,
    status_entry: Mapping[str, Any] | None,
    now: datetime,
) -> dict[str, Any]:
    """The credential as it will be signed (see the module docstring for what is added)."""
    document = dict(credential)
    contexts = as_list(document["@context"])
    needed: list[str] = []
    if proof_type == "Ed25519Signature2020":
        needed.append(ED25519_2020_CONTEXT)
    elif version == "1.1" and DATA_INTEGRITY_V1 not in contexts:
        needed.append(DATA_INTEGRITY_V2)
    if version == "1.1" and status_entry is not None:
        needed.append(STATUS_V1)
    added = [url for url in needed if url not in contexts]
    if added:
        document["@context"] = [*contexts, *added]
    document.setdefault("issuer", issuer)
    start = DATE_FIELDS[version][0]
    if start not in document and (version == "1.1" or is_open_badge(document)):
        document[start] = isoformat_z(now)
    if status_entry is not None:
        document["credentialStatus"] = dict(status_entry)
    return document


def term_pointer(document: Any, term: str) -> str:
    """Where an undefined term (a member name, or a ``type`` value) first appears, under ``/credential``."""
    queue: deque[tuple[str, Any]] = deque([("", document)])  # breadth first: the shallowest use
    while queue:
        pointer, value = queue.popleft()
        if isinstance(value, Mapping):
            for key, item in value.items():
                child = f"{pointer}/{_escape(str(key))}"
                if key == term or (key in ("type", "@type", "id", "@id") and term in as_list(item)):
                    return ROOT + child
                queue.append((child, item))
        elif isinstance(value, list):
            queue.extend((f"{pointer}/{index}", item) for index, item in enumerate(value))
    return ROOT


def prefixed(exc: ValidationFailed, prefix: str = ROOT) -> ValidationFailed:
    """The same finding with every pointer moved under ``prefix`` (the request member it came from)."""
    issues = [Issue(prefix + issue.pointer, issue.message) for issue in exc.issues]
    return ValidationFailed(exc.message, issues, pointer=prefix + (exc.pointer or ""))
