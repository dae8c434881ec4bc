"""The one exception tree of badge_issuer.

Domain errors say *what* went wrong, never which HTTP status that is: ``api/problems.py`` is the
only place that maps them to RFC 9457 ``application/problem+json`` responses.

::

    BadgeIssuerError
    ├── Busy                        no capacity for this work now (carries ``retry_after``)
    ├── ConfigurationError          settings or key material unusable
    │   ├── KeyUnavailable          a signing key recorded for an issuer has no key file
    │   └── KeyMismatch             a key file is not the key recorded for it (would sign bad badges)
    ├── InputError                  the caller sent something we cannot accept
    │   ├── ParseError              not JSON / not a credential / undecodable envelope
    │   │   └── JsonSyntaxError     malformed JSON, with its ``line`` and ``column``
    │   ├── ValidationFailed        schema or model validation (carries ``issues``)
    │   ├── PayloadTooLarge         over a configured size, depth or count bound
    │   ├── UnsupportedMediaType    a body in a media type the operation does not take
    │   ├── TooComplex              more work than allowed: JSON-LD bounds, the verification budget
    │   ├── RateLimited             too many requests from one client (carries ``retry_after``)
    │   ├── IdempotencyConflict     an Idempotency-Key reused with a different body
    │   └── StateConflict           the change contradicts the resource's state (unsuspend a revoked one)
    ├── NotFound                    no such issuer / achievement / credential / key
    ├── WalletProtocolError         OpenID4VCI / OAuth refusal under the code its spec names (``error``)
    ├── AuthError
    │   ├── Unauthenticated         no or unknown credentials
    │   └── Forbidden               authenticated, but not allowed (scope)
    ├── JsonLdError                 JSON-LD processing refused the document
    │   ├── ContextNotAllowed       a context URL we do not pin (issuance never fetches one)
    │   │   └── ContextRefused      an unpinned context the verifier would not or could not load
    │   ├── UndefinedTerms          safe mode: terms the contexts do not define (``terms``)
    │   └── CanonicalizationLimit   RDFC-1.0 work bound exceeded (dataset poisoning)
    ├── CryptoError
    │   ├── InvalidKey              malformed key material / wrong multicodec prefix
    │   ├── ProofError              malformed or unsupported proof
    │   └── SignatureInvalid        the signature does not verify
    └── ResolutionError             a DID, key or status list could not be obtained
        └── FetchRefused            an outbound fetch was refused by policy (SSRF guard)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class BadgeIssuerError(Exception):
    """Root of every error badge_issuer raises on purpose."""

    #: stable machine-readable code, used as the last segment of the problem ``type`` URI
    code: str = "error"

    def __init__(self, message: str, *, pointer: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: JSON Pointer (RFC 6901) or field name of the offending input, when there is one
        self.pointer = pointer

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle with every attribute: errors raised in a verification worker process are raised
        again, whole, in the serving process (``application/verify_pool.py``)."""
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


def _rebuild(
    cls: type[BadgeIssuerError], args: tuple[object, ...], state: dict[str, object]
) -> BadgeIssuerError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class Busy(BadgeIssuerError):
    """No capacity for this work right now (the heavy verification lane is full); it may be
    retried after ``retry_after`` seconds. Not the caller's fault, nor a configuration problem."""

    code = "busy"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConfigurationError(BadgeIssuerError):
    """The operator must fix something; the message is for the operator log, not for callers."""

    code = "configuration"


class KeyUnavailable(ConfigurationError):
    code = "configuration"


class MailUnavailable(ConfigurationError):
    """Outgoing mail is not configured (BADGE_SMTP_HOST) or the SMTP server refused the message."""

    code = "mail-unavailable"


class KeyMismatch(ConfigurationError):
    code = "configuration"


class InputError(BadgeIssuerError):
    code = "invalid-input"


class ParseError(InputError):
    code = "parse-error"


class JsonSyntaxError(ParseError):
    """Malformed JSON: where it went wrong, 1-based, as an editor shows it (not a JSON Pointer)."""

    code = "json-syntax"

    def __init__(self, message: str, *, line: int, column: int) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Issue:
    """One validation finding: where (JSON Pointer) and what."""

    pointer: str
    message: str


class ValidationFailed(InputError):
    code = "validation-failed"

    def __init__(self, message: str, issues: Sequence[Issue] = (), *, pointer: str | None = None):
        super().__init__(message, pointer=pointer or (issues[0].pointer if issues else None))
        self.issues = tuple(issues)


class PayloadTooLarge(InputError):
    code = "payload-too-large"


class UnsupportedMediaType(InputError):
    code = "unsupported-media-type"


class TooComplex(InputError):
    """The input asks for more work than one request may do (JSON-LD bounds, CPU budget)."""

    code = "too-complex"

    def __init__(self, message: str, *, pointer: str | None = None) -> None:
        super().__init__(
            message if message.startswith("too complex") else f"too complex: {message}", pointer=pointer
        )


class RateLimited(InputError):
    """This client made more requests than its limit allows; it may retry after ``retry_after`` s."""

    code = "rate-limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class IdempotencyConflict(InputError):
    code = "idempotency-conflict"


class StateConflict(InputError):
    code = "state-conflict"


class AuthorizationRefused(InputError):
    """An OAuth authorization request that cannot go back to its client (unknown client or
    redirect URI): the learner is told, the browser is not redirected (RFC 6749 §4.1.2.1)."""

    code = "authorization-refused"


class SignInFailed(InputError):
    """A learner's one-time code is wrong, used, expired or out of attempts (one answer for all)."""

    code = "sign-in-failed"


class IdempotencyInProgress(InputError):
    """A request with this Idempotency-Key is still being processed; retry after ``retry_after`` s."""

    code = "idempotency-in-progress"

    def __init__(self, message: str, *, retry_after: int, pointer: str | None = None) -> None:
        super().__init__(message, pointer=pointer)
        self.retry_after = retry_after


class NotFound(BadgeIssuerError):
    code = "not-found"


class AuthError(BadgeIssuerError):
    code = "auth"


class Unauthenticated(AuthError):
    code = "unauthenticated"


class Forbidden(AuthError):
    code = "forbidden"


class JsonLdError(BadgeIssuerError):
    code = "jsonld"


class ContextNotAllowed(JsonLdError):
    code = "context-not-allowed"

    def __init__(self, url: str) -> None:
        super().__init__(
            f"JSON-LD context {url!r} is not one of the pinned contexts; "
            "contexts are never fetched from the network"
        )
        self.url = url


class ContextRefused(ContextNotAllowed):
    """An unpinned context the verifier would not, or could not, load (policy, limit or fetch failure)."""

    code = "context-refused"

    def __init__(self, url: str, reason: str) -> None:
        JsonLdError.__init__(self, f"JSON-LD context {url[:200]!r} was not loaded: {reason}")
        self.url = url


class UndefinedTerms(JsonLdError):
    code = "undefined-terms"

    def __init__(self, terms: Sequence[str]) -> None:
        listed = ", ".join(sorted(set(terms)))
        super().__init__(f"not defined by the document's contexts (would be unsigned): {listed}")
        self.terms = tuple(sorted(set(terms)))


class CanonicalizationLimit(JsonLdError):
    code = "canonicalization-limit"


class CryptoError(BadgeIssuerError):
    code = "crypto"


class InvalidKey(CryptoError):
    code = "invalid-key"


class ProofError(CryptoError):
    code = "proof-error"


class SignatureInvalid(CryptoError):
    code = "signature-invalid"


class ResolutionError(BadgeIssuerError):
    code = "resolution-error"


class FetchRefused(ResolutionError):
    code = "fetch-refused"


class HttpStatusError(ResolutionError):
    """A server answered with an HTTP error status (``status``), e.g. 410 for a revoked OB 2.0 badge."""

    code = "http-status"

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class WalletProtocolError(BadgeIssuerError):
    """An OpenID4VCI / OAuth 2.0 request refused with the error code its specification names
    (``invalid_grant``, ``invalid_proof``, ``invalid_nonce``, …) in ``error``; the route answers
    with that code, as those protocols require, rather than a problem document."""

    code = "wallet-protocol"

    def __init__(self, error: str, message: str) -> None:
        super().__init__(message)
        self.error = error


class WalletAuthorizationRefused(WalletProtocolError):
    """An OpenID4VCI authorization request refused after its client and ``redirect_uri`` were
    recognised: the error goes back to that ``redirect_uri`` with the request's ``state``
    (RFC 6749 §4.1.2.1); before that, it is shown to the learner (``WalletProtocolError``)."""

    def __init__(self, error: str, message: str, *, redirect_uri: str, state: str | None) -> None:
        super().__init__(error, message)
        self.redirect_uri = redirect_uri
        self.state = state
