"""``schema``: the OB 3.0 / CLR 2.0 JSON Schemas (each ``1EdTechJsonSchemaValidator2019`` entry we
hold, else the AchievementCredential / EndorsementCredential / ClrCredential schema by ``type``), and
the subject rule (``id`` or an ``identifier``). They apply to credentials that claim an Open Badges
or CLR type; any other VerifiableCredential is held to the VC Data Model rules instead (``vcdm.py``).

Schemas are never fetched: an entry naming a schema we do not hold is reported and the default OB
schema is used instead. The OB schemas describe VC 2.0 credentials; a VC 1.1 credential (which
displayers must still accept) is checked in its 2.0 form: ``@context[0]`` the v2 context and
``issuanceDate``/``expirationDate`` read as ``validFrom``/``validUntil``.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    short,
)
from badge_issuer.checks.format import OB_TYPES, vc_version
from badge_issuer.checks.vcdm import data_model_issues
from badge_issuer.credential.schema import status_entry_views
from badge_issuer.credential.vocab import JSON_SCHEMA_VALIDATOR_2019
from badge_issuer.errors import ValidationFailed
from badge_issuer.jsonld.loader import VC_V2

ID = "schema"
_V1_ONLY_CONTEXTS = frozenset({"https://w3id.org/security/data-integrity/v1"})


def as_v2(credential: Mapping[str, Any]) -> dict[str, Any]:
    """A VC 1.1 credential in its VC 2.0 form, for the OB 3.0 (2.0) schemas."""
    view = {key: value for key, value in credential.items() if key not in ("issuanceDate", "expirationDate")}
    contexts = [c for c in as_list(credential.get("@context"))[1:] if c not in _V1_ONLY_CONTEXTS]
    view["@context"] = [VC_V2, *contexts]
    if "issuanceDate" in credential:
        view["validFrom"] = credential["issuanceDate"]
    if "expirationDate" in credential:
        view["validUntil"] = credential["expirationDate"]
    return view


def declared_schemas(credential: Mapping[str, Any]) -> list[str]:
    entries = [entry for entry in as_list(credential.get("credentialSchema")) if isinstance(entry, Mapping)]
    return [
        entry["id"]
        for entry in entries
        if JSON_SCHEMA_VALIDATOR_2019 in as_list(entry.get("type")) and isinstance(entry.get("id"), str)
    ]


def family(credential: Mapping[str, Any]) -> str:
    """Which specification's schemas judge the credential, for messages."""
    return "CLR 2.0" if "ClrCredential" in as_list(credential.get("type")) else "OB 3.0"


@check(ID)
def schema_check(subject: Subject, ctx: VerifyContext) -> CheckResult:
    credential = subject.credential
    if OB_TYPES.isdisjoint(as_list(credential.get("type"))):
        return _data_model(credential)
    spec = family(credential)
    version = vc_version(credential)
    document = as_v2(credential) if version == "1.1" else dict(credential)
    declared = declared_schemas(credential)
    unknown = [url for url in declared if not ctx.schemas.has_schema(url)]
    detail: dict[str, Any] = {"declared": declared}
    if version == "1.1":
        detail["note"] = "VC 1.1 credential checked in its VC 2.0 form"
    views = status_entry_views(document)
    if len(views) > 1:
        detail["note"] = f"{len(views)} credentialStatus entries, each checked against the schema"
    try:
        for view in views:
            ctx.schemas.validate_credential(view, skip_unknown=True)
    except ValidationFailed as exc:
        issues = [{"pointer": issue.pointer, "message": issue.message} for issue in exc.issues]
        detail["issues"] = issues
        first = "; ".join(f"{i['pointer'] or '/'}: {short(i['message'], 160)}" for i in issues[:3])
        more = f" (and {len(issues) - 3} more)" if len(issues) > 3 else ""
        return CheckResult(ID, FAILED, f"does not conform to the {spec} schema: {first}{more}", detail)
    if unknown:
        detail["unknown"] = unknown
        return CheckResult(
            ID,
            WARNING,
            f"conforms to the {spec} schema; declared schema(s) we do not hold were not used: "
            f"{', '.join(short(url) for url in unknown)}",
            detail,
        )
    return CheckResult(ID, PASSED, f"conforms to the {spec} JSON Schema and names its recipient", detail)


def _data_model(credential: Mapping[str, Any]) -> CheckResult:
    """A generic VerifiableCredential: the VCDM rules of its version (the OB schemas do not apply)."""
    version = vc_version(credential) or "2.0"
    detail: dict[str, Any] = {"dataModel": f"VCDM {version}"}
    issues = data_model_issues(credential, version)
    if issues:
        detail["issues"] = [{"pointer": pointer, "message": message} for pointer, message in issues]
        first = "; ".join(f"{pointer}: {message}" for pointer, message in issues[:3])
        more = f" (and {len(issues) - 3} more)" if len(issues) > 3 else ""
        return CheckResult(ID, FAILED, f"does not follow the VC Data Model {version}: {first}{more}", detail)
    declared = [
        entry.get("id")
        for entry in as_list(credential.get("credentialSchema"))
        if isinstance(entry, Mapping) and isinstance(entry.get("id"), str)
    ]
    if declared:
        detail["declared"] = declared
        return CheckResult(
            ID,
            WARNING,
            f"follows the VC Data Model {version}; its credentialSchema "
            f"({', '.join(short(url) for url in declared)}) was not validated: schemas are never fetched",
            detail,
        )
    return CheckResult(
        ID,
        PASSED,
        f"follows the VC Data Model {version} (not an Open Badge, so the OB schemas do not apply)",
        detail,
    )
