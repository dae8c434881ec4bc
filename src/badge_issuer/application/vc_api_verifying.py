"""The W3C VC-API verifier: ``POST /credentials/verify`` and ``POST /presentations/verify`` requests
in, VC-API verification results out.

A request is ``{verifiableCredential, options}`` or ``{verifiablePresentation, options}``; it is
verified by the same use case as ``/api/v1/verify`` (``verifying.verify_presented``), and the report
becomes ``{verified, checks, warnings, errors}`` with the whole report kept under ``report``.
``options.expectedProofPurpose`` (the Data Integrity suites send it) may only be
``assertionMethod``: any other purpose cannot be met by a credential's proof, so it is not verified.
``options.checks`` names the VC-API checks (``CHECKS``) the caller asks for, all of them by default.
What establishes the credential itself — ``format``, ``context``, ``proof``, ``issuer_key`` and
the embedded ``endorsements`` and ``clr`` credentials — always counts. A check the caller did not
ask for still runs and is reported, but its failure is a warning (``not requested: …``), not an
error; an unrequested ``credentialStatus`` is not looked up at all (the report's status check says
so). So ``{"checks": ["proof"]}`` verifies the proof of an expired credential, as the VC-API test
suite expects, and says that it expired. ``checks`` in the result lists the requested VC-API checks
that ran. On a presentation, ``options.checks`` applies so to each credential it holds, and
``checks`` names the presentation's own ``proof`` (its proof and holder). Input that is not such a
request raises an InputError naming the field; the caller answers it with the same shape.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from badge_issuer.application import verifying
from badge_issuer.application.services import Services
from badge_issuer.checks import FAILED, INDETERMINATE, PASSED, REQUIRED, WARNING, VerifyOptions
from badge_issuer.crypto.data_integrity import ASSERTION_METHOD
from badge_issuer.errors import InputError, ValidationFailed
from badge_issuer.verification import VerificationReport

#: VC-API check names → the checks of ours that establish them
CHECKS: dict[str, tuple[str, ...]] = {
    "proof": ("format", "context", "proof", "issuer_key"),
    "credentialSchema": ("schema",),
    "validFrom": ("validity",),
    "validUntil": ("validity",),
    "credentialStatus": ("status",),
}
#: our checks that count whatever the caller asks for: the credential and what it embeds
ALWAYS = REQUIRED | {"endorsements", "clr"}
#: the credential members a validity name is about, by VC version (1.1 names them differently)
_PERIOD = {"validFrom": ("validFrom", "issuanceDate"), "validUntil": ("validUntil", "expirationDate")}
MAX_OPTION_CHARS = 512
_JWT_ENVELOPES = ("data:application/vc+jwt,", "data:application/jwt,")
_VP_JWT_ENVELOPES = ("data:application/vp+jwt,", "data:application/jwt,")


@dataclass(frozen=True)
class VcApiResult:
    """A VC-API verification result; ``report`` is our full report (an extension member)."""

    verified: bool
    checks: list[str]
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    report: VerificationReport | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "verified": self.verified,
            "checks": self.checks,
            "warnings": self.warnings,
            "errors": self.errors,
        }
        if self.report is not None:
            body["report"] = self.report.to_json()
        return body


def refused(exc: InputError) -> VcApiResult:
    """The result for a request that could not be verified at all."""
    return VcApiResult(False, [], [], [exc.message])


def verify_credential_request(services: Services, body: Any, *, client: str | None = None) -> VcApiResult:
    """``{verifiableCredential, options}`` → the VC-API result for that one credential (``client``: who
    asks, for the heavy lane's one-job-per-client rule)."""
    request = _object(body, "the request", "")
    _known_members(request, {"verifiableCredential", "options"}, "")
    credential = _object(request.get("verifiableCredential"), "verifiableCredential", "/verifiableCredential")
    if "VerifiablePresentation" in _types(credential):
        raise InputError(
            "verifiableCredential is a presentation: send it to /presentations/verify",
            pointer="/verifiableCredential/type",
        )
    options = _object(request.get("options", {}), "options", "/options")
    _known_members(options, {"checks", "expectedProofPurpose"}, "/options")
    requested = _requested_checks(options)
    purpose = _text(options, "expectedProofPurpose")
    data, media = _presented(credential)
    chosen = VerifyOptions(check_status="credentialStatus" in requested)
    report = verifying.verify_presented(services, data, content_type=media, options=chosen, client=client)
    if _is_presentation(report):
        raise InputError(
            "verifiableCredential holds a presentation: send it to /presentations/verify",
            pointer="/verifiableCredential",
        )
    counted = _counted(requested)
    checks = _checks_run(report, requested)
    warnings, errors = _findings(report, "", counted)
    if "checks" in options and not errors:
        warnings += [
            f"{name}: requested, but the credential has nothing it applies to"
            for name in requested
            if name not in checks
        ]
    if purpose not in (None, ASSERTION_METHOD):
        # a credential's proofs stand for its issuer only when made for assertionMethod
        errors.append(f"proof: options.expectedProofPurpose is {purpose!r}, not {ASSERTION_METHOD}")
        return VcApiResult(False, checks, warnings, errors, report=report)
    return VcApiResult(_verified(report, counted), checks, warnings, errors, report=report)


def verify_presentation_request(services: Services, body: Any, *, client: str | None = None) -> VcApiResult:
    """``{verifiablePresentation, options: {challenge, domain}}`` (or a proofless ``{presentation}``)."""
    request = _object(body, "the request", "")
    _known_members(request, {"verifiablePresentation", "presentation", "options"}, "")
    name = "presentation" if "presentation" in request else "verifiablePresentation"
    presentation = _object(request.get(name), name, f"/{name}")
    options = _object(request.get("options", {}), "options", "/options")
    _known_members(options, {"challenge", "domain", "checks"}, "/options")
    requested = _requested_checks(options)  # they apply to each credential the presentation holds
    chosen = VerifyOptions(
        check_status="credentialStatus" in requested,
        challenge=_text(options, "challenge"),
        domain=_text(options, "domain"),
    )
    data, media = _presented_presentation(presentation, name)
    report = verifying.verify_presented(services, data, content_type=media, options=chosen, client=client)
    if not _is_presentation(report):
        raise InputError(f"{name} holds a credential, not a presentation", pointer=f"/{name}")
    counted = _counted(requested)
    warnings, errors = _findings(report, "")
    checks = ["proof"] if _ran(report, ("format", "presentation_proof", "holder")) else []
    for index, nested in enumerate(report.credentials):
        more_warnings, more_errors = _findings(nested, f"verifiableCredential[{index}] ", counted)
        warnings += more_warnings
        errors += more_errors
    own = all(result.status not in (FAILED, INDETERMINATE) for result in report.checks)
    verified = own and all(_verified(nested, counted) for nested in report.credentials)
    return VcApiResult(verified, checks, warnings, errors, report=report)


# -- reading the request -----------------------------------------------------------------------------


def _object(value: Any, name: str, pointer: str) -> Mapping[str, Any]:
    if value is None:
        raise InputError(f"{name} is missing", pointer=pointer or None)
    if not isinstance(value, Mapping):
        raise InputError(f"{name} must be a JSON object", pointer=pointer or None)
    return value


def _known_members(value: Mapping[str, Any], known: set[str], pointer: str) -> None:
    """The VC-API: an endpoint MUST refuse data and options it does not understand."""
    unknown = sorted(str(key) for key in value if key not in known)
    if unknown:
        raise ValidationFailed(
            f"{pointer or 'the request'} has members this verifier does not understand: "
            f"{', '.join(unknown[:5])} (it understands {', '.join(sorted(known))})",
            pointer=f"{pointer}/{unknown[0]}",
        )


def _requested_checks(options: Mapping[str, Any]) -> tuple[str, ...]:
    checks = options.get("checks")
    if checks is None:
        return tuple(CHECKS)
    if not isinstance(checks, list) or not all(isinstance(item, str) for item in checks) or len(checks) > 20:
        raise ValidationFailed("options.checks must be an array of check names", pointer="/options/checks")
    unknown = [item for item in checks if item not in CHECKS]
    if unknown:
        raise ValidationFailed(
            f"options.checks names checks this verifier does not know: {', '.join(unknown[:5])} "
            f"(it knows {', '.join(CHECKS)})",
            pointer=f"/options/checks/{checks.index(unknown[0])}",
        )
    return tuple(dict.fromkeys(checks))


def _text(options: Mapping[str, Any], name: str) -> str | None:
    value = options.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_OPTION_CHARS:
        raise ValidationFailed(
            f"options.{name} must be a string of 1 to {MAX_OPTION_CHARS} characters",
            pointer=f"/options/{name}",
        )
    return value


def _presented(credential: Mapping[str, Any]) -> tuple[bytes, str]:
    """The bytes to verify: the credential's JSON, or the VC-JWT an EnvelopedVerifiableCredential holds."""
    envelope_id = credential.get("id")
    if "EnvelopedVerifiableCredential" in _types(credential) and isinstance(envelope_id, str):
        for prefix in _JWT_ENVELOPES:
            if envelope_id.startswith(prefix):
                return envelope_id.removeprefix(prefix).encode("ascii", "replace"), "text/plain"
        raise InputError(
            "an EnvelopedVerifiableCredential is verified only as a data:application/vc+jwt URL",
            pointer="/verifiableCredential/id",
        )
    return json.dumps(credential, ensure_ascii=False).encode("utf-8"), "application/json"


def _presented_presentation(presentation: Mapping[str, Any], name: str) -> tuple[bytes, str]:
    """The presentation's JSON, or the VP-JWT an EnvelopedVerifiablePresentation holds."""
    envelope_id = presentation.get("id")
    if "EnvelopedVerifiablePresentation" in _types(presentation) and isinstance(envelope_id, str):
        for prefix in _VP_JWT_ENVELOPES:
            if envelope_id.startswith(prefix):
                return envelope_id.removeprefix(prefix).encode("ascii", "replace"), "text/plain"
        raise InputError(
            "an EnvelopedVerifiablePresentation is verified only as a data:application/vp+jwt URL",
            pointer=f"/{name}/id",
        )
    if "VerifiablePresentation" not in _types(presentation):
        raise InputError(f"{name}.type must include VerifiablePresentation", pointer=f"/{name}/type")
    return json.dumps(presentation, ensure_ascii=False).encode("utf-8"), "application/json"


def _types(value: Mapping[str, Any]) -> list[Any]:
    kind = value.get("type")
    return kind if isinstance(kind, list) else [kind]


# -- from our report to the VC-API result ------------------------------------------------------------


def _counted(requested: Sequence[str]) -> set[str]:
    """Our checks that decide ``verified``: those always counted, and those of the requested names."""
    return set(ALWAYS) | {check_id for vc_api_name in requested for check_id in CHECKS[vc_api_name]}


def _is_presentation(report: VerificationReport) -> bool:
    return any(result.id == "presentation_proof" for result in report.checks)


def _ran(report: VerificationReport, ids: Sequence[str]) -> bool:
    statuses = {result.id: result.status for result in report.checks}
    return all(statuses.get(check_id) not in (None, "skipped") for check_id in ids)


def _checks_run(report: VerificationReport, requested: Sequence[str]) -> list[str]:
    """The requested VC-API checks that ran; a validity name only when the validity check read that
    date (from the JSON-LD credential or the VC-JWT payload alike)."""
    validity = next((r.detail for r in report.checks if r.id == "validity"), None)
    read = set(validity) if isinstance(validity, Mapping) else set()
    return [
        name
        for name in requested
        if _ran(report, CHECKS[name]) and (name not in _PERIOD or not read.isdisjoint(_PERIOD[name]))
    ]


def _verified(report: VerificationReport, counted: AbstractSet[str]) -> bool:
    """The spine's rule (``verification.verify_credential``) over the checks that count."""
    return all(r.status not in (FAILED, INDETERMINATE) for r in report.checks if r.id in counted) and all(
        r.status == PASSED or (r.id == "context" and r.status == WARNING)
        for r in report.checks
        if r.id in REQUIRED
    )


def _findings(
    report: VerificationReport, prefix: str, counted: AbstractSet[str] | None = None
) -> tuple[list[str], list[str]]:
    """Warnings and errors of the report's own checks, one line each: ``check: message``; the
    failure of a check that does not count (not requested) is a warning that says so."""
    warnings: list[str] = []
    errors: list[str] = []
    for r in report.checks:
        if r.status in (FAILED, INDETERMINATE) and (counted is None or r.id in counted):
            errors.append(f"{prefix}{r.id}: {r.message}")
        elif r.status in (FAILED, INDETERMINATE):
            warnings.append(f"{prefix}{r.id}: not requested: {r.message}")
        elif r.status == WARNING:
            warnings.append(f"{prefix}{r.id}: {r.message}")
    return warnings, errors
