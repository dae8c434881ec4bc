"""What every check shares: its result, the credential under test, and the verification context.

A check is a named function of ``(subject, ctx)`` that returns one ``CheckResult``; it never raises
for anything the credential contains (the spine still guards against that). Checks earlier in
``CHECKS`` leave what later ones need on the ``Subject`` (the proof check records which keys
signed, for the issuer_key check).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from badge_issuer.clock import Clock
from badge_issuer.crypto.data_integrity import ASSERTION_METHOD
from badge_issuer.crypto.resolver import KeyResolver, VerificationMethod
from badge_issuer.crypto.suites import CanonOptions
from badge_issuer.formats.vcjwt import JwtParts
from badge_issuer.net.fetch import Fetched
from badge_issuer.status_list import DecodedLists

Status = Literal["passed", "failed", "warning", "indeterminate", "skipped"]
PASSED: Status = "passed"
FAILED: Status = "failed"
WARNING: Status = "warning"
#: the check could not be completed (e.g. a status list that could not be fetched): not a pass,
#: so the credential is not verified, but not a finding against it either
INDETERMINATE: Status = "indeterminate"
SKIPPED: Status = "skipped"


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: a stable id, a status, a plain-language message, JSON detail."""

    id: str
    status: Status
    message: str
    detail: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "message": self.message, "detail": self.detail}


class CredentialSchemas(Protocol):
    def has_schema(self, url: str) -> bool:
        """Whether a schema is held for ``url`` (schemas are never fetched)."""
        ...

    def validate_credential(self, credential: Mapping[str, Any], *, skip_unknown: bool = ...) -> None:
        """Raise ValidationFailed (with issues) unless the credential conforms."""
        ...


class DocumentSource(Protocol):
    def get(self, url: str, *, accept: str = ...) -> Fetched:
        """The response at ``url``; FetchRefused or ResolutionError when it cannot be had."""
        ...

    def get_json(self, url: str, *, accept: str = ...) -> Any:
        """The JSON at ``url``; FetchRefused or ResolutionError when it cannot be had."""
        ...


class StatusSource(Protocol):
    def status_list(self, url: str) -> Mapping[str, Any]:
        """The status list credential (or 1EdTech revocation list) at ``url``; ResolutionError if not."""
        ...

    def changed_on(self, credential_id: str, purpose: str) -> datetime | None:
        """When the issuer set this credential's ``purpose`` status, if the source knows (ours do)."""
        ...


@dataclass(frozen=True)
class VerifyOptions:
    """What the caller of one verification asks for (the defaults are the strict ones)."""

    #: False: status lists are not consulted (offline mode) and the report says so
    check_status: bool = True
    #: a presentation's proof must carry this challenge (and so must exist)
    challenge: str | None = None
    #: a presentation's proof must have been made for this domain (and so must exist)
    domain: str | None = None
    #: every credential in a presentation must have the authenticated holder as its subject
    subject_is_holder: bool = False


@dataclass(frozen=True)
class VerifyContext:
    """Everything checks need; built once per application (``verification.build_context``)."""

    canon: CanonOptions
    schemas: CredentialSchemas
    #: verification methods: did:key locally, our own issuers locally, the rest over guarded HTTPS
    resolver: KeyResolver
    #: JWKs and JWK sets for VC-JWT (``kid`` URLs and ``/.well-known/jwks.json``)
    documents: DocumentSource
    status: StatusSource
    clock: Clock
    clock_skew: timedelta = timedelta(minutes=5)
    proof_purpose: str = ASSERTION_METHOD
    #: endorsements inside endorsements are followed this deep
    max_endorsement_depth: int = 2
    #: at most this many embedded endorsements are verified per credential
    max_endorsements: int = 20
    #: how an embedded credential (an endorsement) is verified: the spine's own
    #: ``verification.verify_credential``, handed down so that no check imports the spine
    verify_nested: NestedVerifier | None = None
    #: the caller's options for this verification (``dataclasses.replace`` per request)
    options: VerifyOptions = VerifyOptions()
    #: seconds one verification may run before it ends as "too complex" (None: no budget)
    cpu_budget: float | None = None
    #: largest presented badge, and largest text a compressed PNG chunk may expand to, in bytes
    max_presented_bytes: int = 16 * 1024 * 1024
    #: a ClrCredential carrying more nested credentials than this is refused, not verified
    max_nested_credentials: int = 100
    #: status lists' bitstrings decoded before (bounded; shared by every request)
    decoded_lists: DecodedLists = field(default_factory=DecodedLists)

    def with_resolver(self, resolver: KeyResolver) -> VerifyContext:
        """This context with another ``resolver`` (each verification's ``OnceResolver``), made as
        ``dataclasses.replace`` would make it without running the constructor again over every
        field: that took longer than any check of the spine's own (#11)."""
        copied = object.__new__(type(self))
        copied.__dict__.update(self.__dict__)
        object.__setattr__(copied, "resolver", resolver)
        return copied


@dataclass(frozen=True)
class Envelope:
    """How a credential was presented: ``json``, ``vc-jwt`` (with the decoded token) …"""

    format: str
    jwt: JwtParts | None = None
    #: where the bytes came from (a URL, ``png``, ``svg``), when not the request body itself
    source: str | None = None


@dataclass(frozen=True)
class KeyUse:
    """A signature that verified, and what we know about the key that made it."""

    proof: str
    #: the verification method / kid / ``jwk`` the proof names
    key_id: str
    #: the resolved method (controller known), or None when the key came from the proof alone
    method: VerificationMethod | None
    #: why the key could not be resolved, when ``method`` is None
    unresolved: str | None = None
    #: VC-JWT: the JWK that verified (for the issuer's JWK set comparison)
    jwk: Mapping[str, Any] | None = None


@dataclass
class Subject:
    """One credential under test and what the checks learnt about it so far."""

    credential: Mapping[str, Any]
    envelope: Envelope
    depth: int = 0
    keys: list[KeyUse] = field(default_factory=list)
    #: reports of the credentials this one carries (a ClrCredential's), in order
    nested: list[Any] = field(default_factory=list)


class NestedReport(Protocol):
    """The verdict on an embedded credential (``verification.VerificationReport``)."""

    @property
    def verified(self) -> bool: ...

    @property
    def checks(self) -> tuple[CheckResult, ...]: ...

    def to_json(self) -> dict[str, Any]: ...


class NestedVerifier(Protocol):
    def __call__(
        self, credential: Mapping[str, Any], envelope: Envelope, ctx: VerifyContext, *, depth: int
    ) -> NestedReport:
        """Run every check on an embedded credential, ``depth`` levels down."""
        ...


class Check(Protocol):
    """A named, ordered step. When a ``fatal`` check fails, the checks after it are skipped."""

    @property
    def id(self) -> str: ...

    @property
    def fatal(self) -> bool: ...

    def __call__(self, subject: Subject, ctx: VerifyContext) -> CheckResult: ...


@dataclass(frozen=True)
class FunctionCheck:
    """A ``Check`` made from a function (see ``check``)."""

    id: str
    run: Callable[[Subject, VerifyContext], CheckResult]
    fatal: bool = False

    def __call__(self, subject: Subject, ctx: VerifyContext) -> CheckResult:
        return self.run(subject, ctx)


def check(
    check_id: str, *, fatal: bool = False
) -> Callable[[Callable[[Subject, VerifyContext], CheckResult]], FunctionCheck]:
    """Decorator: turn ``def run(subject, ctx) -> CheckResult`` into a named Check."""

    def wrap(run: Callable[[Subject, VerifyContext], CheckResult]) -> FunctionCheck:
        return FunctionCheck(check_id, run, fatal)

    return wrap


# -- small readers shared by several checks ----------------------------------------------------------


def as_list(value: Any) -> list[Any]:
    """``value`` as a list: [] for None, itself for a list, else a one-item list."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def issuer_id(credential: Mapping[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    value = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    return value if isinstance(value, str) else None


def types_of(value: Mapping[str, Any]) -> list[str]:
    return [item for item in as_list(value.get("type")) if isinstance(item, str)]


def short(value: Any, limit: int = 120) -> str:
    """``value`` as text for a message, cut at ``limit`` characters."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def pointers_of(document: Any, keys: Sequence[str], *, limit: int = 20) -> list[str]:
    """JSON Pointers of every member named in ``keys`` (iterative; at most ``limit``)."""
    wanted = set(keys)
    found: list[str] = []
    stack: list[tuple[str, Any]] = [("", document)]
    while stack and len(found) < limit:
        path, value = stack.pop()
        if isinstance(value, Mapping):
            for key, item in value.items():
                escaped = str(key).replace("~", "~0").replace("/", "~1")
                if key in wanted:
                    found.append(f"{path}/{escaped}")
                stack.append((f"{path}/{escaped}", item))
        elif isinstance(value, list):
            stack.extend((f"{path}/{index}", item) for index, item in enumerate(value))
    return sorted(found)
