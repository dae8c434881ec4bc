"""Bitstring Status Lists: list size, allocation cost per credential, and time to publish a change.

Run: ``.venv/bin/python bench/status_lists.py [--allocations 2000] [--postgres URL]``. In-process,
on a temporary SQLite database (or a fresh PostgreSQL database when a URL is given). Measures:
- one random position allocation (row lock + random probe + insert), in its own transaction;
- publishing a change: revoke one credential, then serve the re-signed list credential;
- serving an unchanged list (cached signature) and the encoded size of the list.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from badge_issuer.achievements import create_achievement
from badge_issuer.application.services import Services, build_services
from badge_issuer.config import Settings
from badge_issuer.credential.requests import AchievementInput, IssuerCreate
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.migrate import upgrade
from badge_issuer.db.status import StatusRepository
from badge_issuer.db.tables import Credential
from badge_issuer.issuers import create_issuer
from badge_issuer.revocation import StatusSessions, change_status, status_list_credential
from issue_http import fresh_postgres_database  # bench/ is the script's folder


def ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered) * 1000:7.2f} ms   p99 {p99 * 1000:7.2f} ms"


def run(settings: Settings, allocations: int) -> None:
    services: Services = build_services(settings)
    upgrade(services.engine)
    now = datetime.now(UTC)
    with services.sessions() as session, session.begin():
        issuer = create_issuer(
            IssuerCreate(slug="bench", name="Bench University"),
            session=session,
            keystore=services.keystore,
            urls=services.urls,
            status_list_size=settings.status_list_size,
            now=now,
        )
        issuer_id = issuer.id
    rng = random.SystemRandom()
    tools = services.issuance
    with services.sessions() as session, session.begin():
        issuer = IssuerRepository(session).by_id(issuer_id)
        achievement, version = create_achievement(
            issuer,
            AchievementInput.model_validate(
                {"name": "Bench", "description": "Bench.", "criteria": {"narrative": "Run it."}}
            ),
            session=session,
            urls=services.urls,
            now=now,
        )
        achievement_id, version_id = achievement.id, version.id

    def stub(session: Session) -> str:
        credential_id = str(uuid.uuid4())
        session.add(
            Credential(
                id=credential_id,
                issuer_id=issuer_id,
                achievement_id=achievement_id,
                achievement_version_id=version_id,
                client_id=None,
                credential_json="{}",
                recipient_hash="x",
                recipient_email=None,
                idempotency_key=None,
                request_hash="x",
                status="active",
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()
        return credential_id

    timings: list[float] = []
    positions: list[tuple[int, int]] = []
    ids: list[str] = []
    for _ in range(allocations):
        with services.sessions() as session, session.begin():
            credential_id = stub(session)
            start = time.perf_counter()
            statuses = StatusRepository(session)
            status_list, position = statuses.allocate(
                issuer_id, "revocation", size=settings.status_list_size, now=now, rng=rng
            )
            statuses.attach(status_list.id, position, credential_id)
            session.flush()
            timings.append(time.perf_counter() - start)
            positions.append((status_list.id, position))
            sequence = status_list.sequence
        ids.append(credential_id)
    print(f"allocate + record one position ({allocations}x)              {ms(timings)}")
    assert len(set(positions)) == len(positions)
    ids = ids[:20]

    both = StatusSessions(readers=services.readers, writers=services.sessions)

    def publish() -> str:
        return status_list_credential(
            both, "bench", "revocation", sequence, tools=tools, ttl_seconds=300
        ).json_text

    first = publish()
    cached: list[float] = []
    for _ in range(50):
        start = time.perf_counter()
        publish()
        cached.append(time.perf_counter() - start)
    changes: list[float] = []
    for credential_id in ids:
        start = time.perf_counter()
        with services.sessions() as session, session.begin():
            issuer = IssuerRepository(session).by_id(issuer_id)
            change_status(session, issuer, credential_id, "revoke", reason="bench", client_id=None, now=now)
        text_now = publish()
        changes.append(time.perf_counter() - start)
    assert text_now != first
    encoded = json.loads(text_now)["credentialSubject"]["encodedList"]
    print(f"revoke + serve the re-signed list ({len(ids)}x)              {ms(changes)}")
    print(f"serve an unchanged list (cached signature, 50x)         {ms(cached)}")
    print(
        f"list: {settings.status_list_size:,} entries, encodedList {len(encoded):,} chars, "
        f"list credential {len(text_now):,} bytes, {len(ids)} bits set"
    )
    services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--allocations", type=int, default=2000)
    parser.add_argument("--postgres", help="PostgreSQL server URL (a fresh database is made and dropped)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.postgres:
            with fresh_postgres_database(args.postgres) as url:
                print("PostgreSQL")
                run(Settings(database_url=url, keys_dir=Path(folder) / "keys"), args.allocations)
        else:
            print("SQLite (WAL)")
            database = Path(folder) / "bench.sqlite3"
            run(
                Settings(database_url=f"sqlite:///{database}", keys_dir=Path(folder) / "keys"),
                args.allocations,
            )


if __name__ == "__main__":
    main()
