"""Which badges evidence a skill: achievements searched by alignment target, framework and code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.api.test_issuing import bootstrap
from tests.conftest import LiveServer

SQL = "https://esco.ec.europa.eu/en/classification/skill?uri=sql"
STATS = "https://www.onetonline.org/skills/statistics"


def course(slug: str, *alignments: dict[str, str]) -> dict[str, Any]:
    return {
        "slug": slug,
        "name": slug.title(),
        "description": "A course.",
        "criteria": {"narrative": "Passed."},
        "alignment": list(alignments),
    }


def test_achievements_are_found_by_alignment_target_framework_and_code(
    live_server: Callable[..., LiveServer],
) -> None:
    tenant = bootstrap(live_server(), "uni")
    sql = {"targetName": "SQL", "targetUrl": SQL, "targetFramework": "ESCO", "targetCode": "S1.2"}
    stats = {"targetName": "Statistics", "targetUrl": STATS, "targetFramework": "O*NET"}
    for body in (course("databases", sql), course("analytics", sql, stats), course("art")):
        assert httpx.post(tenant.url("/achievements"), json=body, headers=tenant.admin).status_code == 201
    reader = tenant.client("read")

    def found(**params: str) -> list[str]:
        answer = httpx.get(tenant.url("/achievements"), params=params, headers=reader)
        assert answer.status_code == 200, answer.text
        return [item["slug"] for item in answer.json()]

    assert found() == ["databases", "analytics", "art"]
    assert found(alignment=SQL) == ["databases", "analytics"]
    assert found(framework="o*net") == ["analytics"]
    assert found(framework="ESCO", code="S1.2") == ["databases", "analytics"]
    # every field given must hold for one and the same alignment
    assert found(alignment=STATS, framework="ESCO") == []
    assert found(code="nothing") == []
