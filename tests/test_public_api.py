"""The package's public API: every name in ``__all__`` is importable and is what it says."""

from __future__ import annotations

import inspect

import pytest

import badge_issuer


@pytest.mark.parametrize("name", badge_issuer.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(badge_issuer, name) is not None


def test_the_spines_are_public_and_keyword_only_where_it_matters() -> None:
    issue = inspect.signature(badge_issuer.issue_badge)
    assert [p.kind for p in issue.parameters.values()][1:] == [inspect.Parameter.KEYWORD_ONLY] * 2
    verify = inspect.signature(badge_issuer.verify_badge)
    assert verify.parameters["ctx"].kind is inspect.Parameter.KEYWORD_ONLY
    with pytest.raises(AttributeError):
        getattr(badge_issuer, "not_a_thing")  # noqa: B009 - the attribute is deliberately absent
