"""An issuer's public skills page: every skill (alignment) its achievements name, each with the
achievements that evidence it, so a learner or an employer sees which badges stand for a skill.

Read from the current version of each achievement, as published; alignments are the same skill
when their ``targetUrl`` is (else their framework, code and name are), shown in name order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from badge_issuer.application.pages import Alignment, achievement_card
from badge_issuer.application.services import Services
from badge_issuer.db.achievements import AchievementRepository
from badge_issuer.db.issuers import IssuerRepository

#: skills one page lists at most (each achievement names at most 100 alignments)
MAX_SKILLS = 1000


@dataclass(frozen=True)
class Skill:
    alignment: Alignment
    #: the achievements that name it: (name, page)
    achievements: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class SkillsPage:
    issuer_name: str
    issuer_page: str
    skills: tuple[Skill, ...]


def skills_page(services: Services, issuer: str) -> SkillsPage:
    with services.readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        repo = AchievementRepository(session)
        documents = [(item.slug, json.loads(repo.version(item).document_json)) for item in repo.list(row.id)]
        issuer_name = str(json.loads(row.profile_json).get("name") or issuer)
    found: dict[tuple[str | None, ...], tuple[Alignment, dict[str, tuple[str, str]]]] = {}
    for slug, document in documents:
        card = achievement_card(document, services.urls.base)
        for alignment in card.alignments:
            key = (alignment.url,) if alignment.url else (alignment.framework, alignment.code, alignment.name)
            if key not in found and len(found) >= MAX_SKILLS:
                continue
            _, named = found.setdefault(key, (alignment, {}))
            named[slug] = (card.name, services.urls.achievement(issuer, slug))
    skills = sorted(found.values(), key=lambda item: (item[0].name.casefold(), item[0].framework or ""))
    return SkillsPage(
        issuer_name=issuer_name,
        issuer_page=services.urls.issuer_profile(issuer),
        skills=tuple(
            Skill(alignment, tuple(sorted(named.values(), key=lambda pair: pair[0].casefold())))
            for alignment, named in skills
        ),
    )
