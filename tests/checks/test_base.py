"""What every check is handed: the VerifyContext and its per-verification copies."""

from __future__ import annotations

import dataclasses

import pytest

from badge_issuer.crypto.resolver import OnceResolver
from tests.badges import Documents, context


def test_a_context_with_another_resolver_is_what_replace_makes_and_leaves_the_original() -> None:
    ctx = context(documents=Documents({}))
    once = OnceResolver(ctx.resolver)
    copied = ctx.with_resolver(once)
    assert copied == dataclasses.replace(ctx, resolver=once)
    assert type(copied) is type(ctx) and copied.resolver is once
    assert ctx.resolver is not once  # the original is untouched
    # every other field is the very same object
    for field in dataclasses.fields(ctx):
        if field.name != "resolver":
            assert getattr(copied, field.name) is getattr(ctx, field.name)
    with pytest.raises(dataclasses.FrozenInstanceError):
        copied.resolver = ctx.resolver  # type: ignore[misc]
