"""Use cases leave one audit line per change (who, what, which; no personal data) and count
issuances, status changes, verifications and status list re-signs in the app's metrics."""

from __future__ import annotations

import json
import logging

import pytest
from prometheus_client.parser import text_string_to_metric_families

from badge_issuer.application import Services
from badge_issuer.application.issuing import issue_one
from badge_issuer.application.publishing import status_list
from badge_issuer.application.records import change_record_status
from badge_issuer.application.tenants import new_client, new_key, revoke_api_client
from badge_issuer.application.verifying import verify_presented
from badge_issuer.credential.requests import ClientCreate, IssueRequest
from tests.application.conftest import make_issuer, principal_of


def _audit(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [
        dict(record.fields)  # type: ignore[attr-defined]
        for record in caplog.records
        if record.name == "badge_issuer.audit"
    ]


def _value(services: Services, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(services.metrics.render().decode()):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    raise AssertionError(f"no sample {name} {labels}")


def test_every_change_leaves_one_audit_line_without_personal_data(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="badge_issuer.audit"):
        created = make_issuer(services, "uni")
        caller = principal_of(services, created.admin.api_key)
        request = IssueRequest.model_validate(
            {"recipient": {"email": "ada@example.org", "name": "Ada Lovelace"}}
        )
        issued = issue_one(
            services,
            issuer="uni",
            achievement="python-data",
            request=request,
            client_id=caller.client_id,
            scope="/t",
        )
        issue_one(  # a replay is not a second issuance
            services,
            issuer="uni",
            achievement="python-data",
            request=request,
            client_id=caller.client_id,
            scope="/t",
            idempotency_key="k",
        )
        issue_one(
            services,
            issuer="uni",
            achievement="python-data",
            request=request,
            client_id=caller.client_id,
            scope="/t",
            idempotency_key="k",
        )
        change_record_status(
            services,
            "uni",
            issued.record.id,
            "revoke",
            reason="Ada Lovelace asked",
            client_id=caller.client_id,
        )
        new_key(services, "uni", client_id=caller.client_id)
        lms = new_client(services, "uni", ClientCreate(name="Moodle", scopes=["issue"]), client_id=None)
        revoke_api_client(services, "uni", lms.client.key_id, client_id=caller.client_id)
    lines = _audit(caplog)
    assert [line["event"] for line in lines] == [
        "issuer.created",
        "key.created",
        "client.created",
        "credential.issued",
        "credential.issued",
        "credential.revoke",
        "key.created",
        "client.created",
        "client.revoked",
    ]
    who = f"client:{caller.client_id}"
    assert lines[3] == {
        "event": "credential.issued",
        "actor": who,
        "issuer": "uni",
        "achievement": "python-data",
        "credential": issued.record.id,
    }
    assert lines[5]["actor"] == who
    assert lines[7]["actor"] == "cli"
    assert lines[8] == {"event": "client.revoked", "actor": who, "issuer": "uni", "client": lms.client.key_id}
    text = json.dumps(lines) + caplog.text
    # random ids may contain "ada"; the address and the name may not appear at all
    assert "ada@example.org" not in text.lower() and "example.org" not in text.lower()
    assert "lovelace" not in text.lower()
    assert _value(services, "badge_issuances_total", outcome="issued") == 2
    assert _value(services, "badge_issuances_total", outcome="replayed") == 1
    assert _value(services, "badge_status_changes_total", action="revoke") == 1


def test_verifications_and_status_list_signatures_are_counted(services: Services) -> None:
    make_issuer(services, "uni")
    request = IssueRequest.model_validate({"recipient": {"email": "ada@example.org"}})
    issued = issue_one(
        services, issuer="uni", achievement="python-data", request=request, client_id=None, scope="/t"
    )
    good = json.dumps(issued.credential).encode()
    assert verify_presented(services, good).verified
    tampered = json.loads(good)
    tampered["name"] = "Something else"
    assert not verify_presented(services, json.dumps(tampered).encode()).verified
    assert _value(services, "badge_verifications_total", outcome="verified") == 1
    assert _value(services, "badge_verifications_total", outcome="failed") == 1
    assert _value(services, "badge_verification_failed_checks_total", check="proof") == 1
    signed = _value(services, "badge_status_list_resigns_total")
    assert signed >= 1  # verifying our own badge signed its status list once
    status_list(services, "uni", "revocation", 1)  # fresh: served as signed
    assert _value(services, "badge_status_list_resigns_total") == signed
    change_record_status(services, "uni", issued.record.id, "revoke", reason="", client_id=None)
    status_list(services, "uni", "revocation", 1)  # a bit changed: signed again
    assert _value(services, "badge_status_list_resigns_total") == signed + 1
