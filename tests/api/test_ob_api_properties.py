"""Paging of the Open Badges API: following ``next`` from ``first`` reads every item once, in
pages of ``limit``, and ``last``/``prev`` point where they should, for any total and page size."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from badge_issuer.api.routes.ob_api import page_links


@given(total=st.integers(min_value=0, max_value=5_000), limit=st.integers(min_value=1, max_value=100))
def test_following_next_reads_every_item_once(total: int, limit: int) -> None:
    offset, seen, pages = 0, 0, 0
    while True:
        rels = page_links(offset, limit, total)
        assert rels["first"] == 0
        assert ("prev" in rels) == (offset > 0)
        seen += min(limit, max(0, total - offset))
        pages += 1
        if "next" not in rels:
            break
        assert rels["next"] == offset + limit < total
        offset = rels["next"]
    assert seen == total
    assert offset == rels["last"]  # the page without next is the last one
    assert pages == max(1, -(-total // limit))


@given(
    offset=st.integers(min_value=0, max_value=5_000),
    limit=st.integers(min_value=1, max_value=100),
    total=st.integers(min_value=0, max_value=5_000),
)
def test_prev_and_last_stay_in_range(offset: int, limit: int, total: int) -> None:
    rels = page_links(offset, limit, total)
    assert 0 <= rels["last"] <= max(0, total - 1)
    assert rels["last"] % limit == 0
    if "prev" in rels:
        assert 0 <= rels["prev"] < offset
        assert offset - rels["prev"] <= limit
