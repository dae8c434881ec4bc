"""The VC Data Model rules a generic credential (no Open Badges or CLR type) is held to.

An OpenBadgeCredential is judged by the OB 3.0 / CLR 2.0 JSON Schemas (``schema.py``), which
hold these rules and more; any other VerifiableCredential is judged by the data model it names
with ``@context[0]``: VCDM 2.0 (``validFrom``/``validUntil`` are ``dateTimeStamp``s, with a time
zone) or VCDM 1.1 (``issuanceDate`` is required). ``format`` has already checked the type, the
first context, and that issuer and subject are there; this names each remaining violation with a
JSON Pointer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from badge_issuer.checks.base import as_list, short

#: an absolute URL: a scheme, a colon, and no white space
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
_DATE_TIME = re.compile(r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")
#: members whose objects (one or a list) must each carry a ``type``
_TYPED = ("credentialStatus", "credentialSchema", "evidence", "termsOfUse", "refreshService")


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 2048 and _URL.match(value) is not None


def _date_time(value: Any, *, zone_required: bool) -> bool:
    if not isinstance(value, str) or len(value) > 64 or not _DATE_TIME.match(value):
        return False
    if zone_required and not value.endswith("Z") and value[-6] not in "+-":
        return False
    try:
        datetime.fromisoformat(value.removeprefix("+"))
    except ValueError:
        return False
    return True


def _text_value(value: Any) -> bool:
    """A string, or (VCDM 2.0 §11.1) language value objects."""
    items = value if isinstance(value, list) else [value]
    return bool(items) and all(
        isinstance(item, str) or (isinstance(item, Mapping) and isinstance(item.get("@value"), str))
        for item in items
    )


def data_model_issues(credential: Mapping[str, Any], version: str) -> list[tuple[str, str]]:
    """``(pointer, message)`` for each VCDM ``version`` ("2.0" or "1.1") rule the credential breaks."""
    issues: list[tuple[str, str]] = []
    contexts = credential.get("@context")
    if not isinstance(contexts, list) or not all(isinstance(c, str | Mapping) for c in contexts):
        issues.append(("/@context", "must be an ordered set (an array) of URLs and context objects"))
    if "id" in credential and not _is_url(credential["id"]):
        issues.append(("/id", f"must be a single URL, not {short(credential['id'], 60)}"))
    if not all(isinstance(item, str) for item in as_list(credential.get("type"))):
        issues.append(("/type", "must be a term or URL, or an array of them"))
    issuer = credential.get("issuer")
    issuer_url = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if not _is_url(issuer_url):
        where = "/issuer/id" if isinstance(issuer, Mapping) else "/issuer"
        issues.append((where, "the issuer must be a URL, or an object whose id is a URL"))
    subjects = credential.get("credentialSubject")
    for index, subject in enumerate(subjects if isinstance(subjects, list) else [subjects]):
        where = f"/credentialSubject/{index}" if isinstance(subjects, list) else "/credentialSubject"
        if not isinstance(subject, Mapping) or not subject:
            issues.append((where, "each subject must be an object making at least one claim"))
        elif "id" in subject and not _is_url(subject["id"]):
            issues.append((f"{where}/id", "must be a URL"))
    issues += _dates(credential, version)
    for name in ("name", "description"):
        if name in credential and not _text_value(credential[name]):
            issues.append((f"/{name}", "must be a string or language value objects"))
    for name in _TYPED:
        value = credential.get(name)
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items if name in credential else []):
            where = f"/{name}/{index}" if isinstance(value, list) else f"/{name}"
            if not isinstance(item, Mapping) or not item.get("type"):
                issues.append((where, "must be an object with a type"))
            elif "id" in item and not _is_url(item["id"]):
                issues.append((f"{where}/id", "must be a URL"))
            elif name == "credentialSchema" and not _is_url(item.get("id")):
                issues.append((f"{where}/id", "a credentialSchema needs the URL of its schema as id"))
    return issues


def _dates(credential: Mapping[str, Any], version: str) -> list[tuple[str, str]]:
    if version == "1.1":
        issues: list[tuple[str, str]] = []
        if "issuanceDate" not in credential:
            issues.append(("/issuanceDate", "a VC 1.1 credential needs an issuanceDate"))
        for name in ("issuanceDate", "expirationDate"):
            if name in credential and not _date_time(credential[name], zone_required=False):
                issues.append((f"/{name}", f"{short(credential[name], 60)} is not an XML Schema dateTime"))
        return issues
    return [
        (f"/{name}", f"{short(credential[name], 60)} is not a dateTimeStamp (a date-time with a time zone)")
        for name in ("validFrom", "validUntil")
        if name in credential and not _date_time(credential[name], zone_required=True)
    ]
