"""The verify route reads a {"url", "recipient"} body itself and leaves every credential, issuer
"url" and all, to the verifier: parsed once per request, not twice."""

from __future__ import annotations

import json
from typing import Any

import pytest

from badge_issuer.api.routes import verify as verify_routes
from badge_issuer.formats.bounded_json import loads_bounded
from tests.badges import Issuer, badge


def test_a_credential_naming_a_url_is_parsed_by_the_verifier_only(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[bytes] = []
    real = loads_bounded

    def counting(data: Any, **kwargs: Any) -> Any:
        parsed.append(data)
        return real(data, **kwargs)

    monkeypatch.setattr(verify_routes, "loads_bounded", counting)
    issuer = Issuer()
    unsigned = badge(issuer)
    unsigned["issuer"] = {**unsigned["issuer"], "url": "https://x.edu"}
    credential = issuer.sign(unsigned)
    body = json.dumps(credential).encode()
    assert b'"url"' in body and len(body) < verify_routes.MAX_URL_REQUEST_BYTES
    assert verify_routes._url_request(body) == (None, None)
    assert parsed == []
    asked = json.dumps({"recipient": "ada@example.org", "url": "https://badges.example.org/b/1"}).encode()
    assert verify_routes._url_request(asked) == ("https://badges.example.org/b/1", "ada@example.org")
    assert parsed == [asked]
