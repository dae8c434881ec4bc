"""Achievements (badge classes) and their published versions. Never commits."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, class_mapper

from badge_issuer.db.issuers import IssuerRepository, SigningKey, signing_key_id
from badge_issuer.db.statements import as_loaded, execute
from badge_issuer.db.tables import Achievement, AchievementVersion, Issuer, IssuerKey
from badge_issuer.errors import NotFound

#: the mapped attributes of each entity ``_CURRENT`` reads, with their columns, in their order
_ENTITIES = tuple(
    (entity, tuple((attribute.key, attribute.columns[0]) for attribute in class_mapper(entity).column_attrs))
    for entity in (Issuer, Achievement, AchievementVersion)
)
#: built once: every award reads it (building a statement costs more than running it); its rows
#: are read as plain columns, not loaded as ORM entities, which cost more than the statement (#11)
_CURRENT = (
    select(
        *(column for _, attributes in _ENTITIES for _, column in attributes),
        IssuerKey.key_name,
        IssuerKey.public_key_multibase,
    )
    .join(Achievement, Achievement.issuer_id == Issuer.id)
    .join(
        AchievementVersion,
        (AchievementVersion.achievement_id == Achievement.id)
        & (AchievementVersion.version == Achievement.current_version),
    )
    .outerjoin(IssuerKey, IssuerKey.id == signing_key_id(Issuer.id))
    .where(Issuer.slug == bindparam("issuer"), Achievement.slug == bindparam("slug"))
)


class Current(NamedTuple):
    """What an award of a badge class is made from: its issuer, the badge class, its current
    version, and the key new credentials are signed with."""

    issuer: Issuer
    achievement: Achievement
    version: AchievementVersion
    key: SigningKey


def _as_read(row: Any) -> tuple[Issuer, Achievement, AchievementVersion]:
    """The entities of a ``_CURRENT`` row, as an ended read session leaves them (``as_loaded``)."""
    made: list[Any] = []
    start = 0
    for entity, attributes in _ENTITIES:
        end = start + len(attributes)
        made.append(as_loaded(entity, dict(zip((key for key, _ in attributes), row[start:end], strict=True))))
        start = end
    return made[0], made[1], made[2]


class AchievementRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, issuer_id: int, slug: str, now: datetime) -> Achievement:
        achievement = Achievement(
            issuer_id=issuer_id, slug=slug, current_version=0, created_at=now, updated_at=now
        )
        self.session.add(achievement)
        self.session.flush()
        return achievement

    def slug_taken(self, issuer_id: int, slug: str) -> bool:
        query = select(Achievement.id).where(Achievement.issuer_id == issuer_id, Achievement.slug == slug)
        return self.session.scalar(query) is not None

    def get(self, issuer_id: int, slug: str, *, for_update: bool = False) -> Achievement:
        query = select(Achievement).where(Achievement.issuer_id == issuer_id, Achievement.slug == slug)
        if for_update:
            query = query.with_for_update()
        achievement = self.session.scalar(query)
        if achievement is None:
            raise NotFound(f"no achievement {slug!r}")
        return achievement

    def current_of(self, issuer_slug: str, slug: str) -> Current:
        """The issuer, the achievement, its current version and the issuer's signing key, in one
        statement (every award reads them); NotFound names what is missing."""
        row = execute(self.session, _CURRENT, {"issuer": issuer_slug, "slug": slug}).first()
        if row is None:  # say which is missing, as the separate look-ups do
            issuer = self.session.scalar(select(Issuer).where(Issuer.slug == issuer_slug))
            if issuer is None:
                raise NotFound(f"no issuer {issuer_slug!r}")
            achievement = self.get(issuer.id, slug)
            version = self.version(achievement)
            return Current(issuer, achievement, version, IssuerRepository(self.session).signing_key(issuer))
        key_name, public_key = row[-2], row[-1]
        if key_name is None:
            raise NotFound(f"issuer {issuer_slug!r} has no active signing key")
        issuer, achievement, version = _as_read(row)
        return Current(issuer, achievement, version, SigningKey(key_name, public_key))

    def list(self, issuer_id: int) -> list[Achievement]:
        query = select(Achievement).where(Achievement.issuer_id == issuer_id).order_by(Achievement.id)
        return list(self.session.scalars(query))

    def add_version(
        self, achievement: Achievement, document: dict[str, Any], now: datetime
    ) -> AchievementVersion:
        achievement.current_version += 1
        achievement.updated_at = now
        version = AchievementVersion(
            achievement_id=achievement.id,
            version=achievement.current_version,
            document_json=json.dumps(document, allow_nan=False),
            created_at=now,
        )
        self.session.add(version)
        self.session.flush()
        return version

    def version(self, achievement: Achievement, number: int | None = None) -> AchievementVersion:
        wanted = achievement.current_version if number is None else number
        query = select(AchievementVersion).where(
            AchievementVersion.achievement_id == achievement.id, AchievementVersion.version == wanted
        )
        version = self.session.scalar(query)
        if version is None:
            raise NotFound(f"achievement {achievement.slug!r} has no version {wanted}")
        return version

    def version_by_id(self, version_id: int) -> AchievementVersion:
        version = self.session.get(AchievementVersion, version_id)
        if version is None:
            raise NotFound(f"no achievement version #{version_id}")
        return version
