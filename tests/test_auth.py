"""API keys and principals: minting, parsing, and the one authorization question every surface asks."""

from __future__ import annotations

import pytest

from badge_issuer.auth import Principal, hash_secret, mint_key, parse_bearer, secret_matches
from badge_issuer.errors import Forbidden, NotFound, Unauthenticated


def principal(*scopes: str) -> Principal:
    return Principal(client_id=1, issuer_id=7, issuer_slug="uni", scopes=frozenset(scopes))


def test_a_minted_key_parses_back_and_only_its_hash_matches() -> None:
    minted = mint_key()
    key_id, secret = parse_bearer(f"Bearer {minted.token}")
    assert key_id == minted.key_id
    assert secret_matches(secret, minted.secret_hash)
    assert not secret_matches(secret + "x", minted.secret_hash)
    assert minted.secret_hash == hash_secret(secret)
    for header in (None, "", "Basic abc", f"Bearer {minted.token.replace('.', '')}", "Bearer bik_."):
        with pytest.raises(Unauthenticated):
            parse_bearer(header)


def test_acting_for_another_issuer_is_not_found_and_a_missing_scope_forbidden() -> None:
    principal("issue").act_for("uni", "issue")
    principal("admin").act_for("uni", "revoke")  # admin holds every scope
    with pytest.raises(NotFound):
        principal("admin").act_for("other", "read")
    with pytest.raises(Forbidden):
        principal("issue").act_for("uni", "revoke")
