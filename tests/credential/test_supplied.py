"""What a credential the issuer signs may nest: whole credentials (a CLR's) keep their pinned @context."""

from __future__ import annotations

from typing import Any

import pytest

from badge_issuer.credential.supplied import check_supplied
from badge_issuer.errors import ValidationFailed
from badge_issuer.jsonld.loader import OB_V3P0_CONTEXT, VC_V2, DocumentLoader

ISSUER = "did:web:badges.example.edu:issuers:uni"
CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
PINNED = DocumentLoader.pinned().urls


def clr(nested: dict[str, Any], where: str = "verifiableCredential") -> dict[str, Any]:
    return {
        "@context": [VC_V2, CLR_CONTEXT, OB_V3P0_CONTEXT],
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": ISSUER,
        "credentialSubject": {"type": ["ClrSubject"], where: [nested]},
    }


def test_a_nested_credential_may_keep_pinned_context_urls_only_where_credentials_nest() -> None:
    nested = {"@context": [VC_V2, OB_V3P0_CONTEXT], "type": ["VerifiableCredential"], "proof": {}}
    assert check_supplied(clr(nested), issuer_did=ISSUER, pinned=PINNED) == "2.0"
    for refused in (
        clr({**nested, "@context": [VC_V2, "https://evil.example/context.json"]}),
        clr({**nested, "@context": [VC_V2, {"name": "http://schema.org/name"}]}),
        clr(nested, where="achievement"),
    ):
        with pytest.raises(ValidationFailed, match="embedded contexts"):
            check_supplied(refused, issuer_did=ISSUER, pinned=PINNED)
