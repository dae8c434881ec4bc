"""The storage layer on SQLite (always) and PostgreSQL (when BADGE_TEST_POSTGRES_URL is set).

Each PostgreSQL test gets a database of its own (created through the ``test`` database with
AUTOCOMMIT, dropped afterwards), so tests never see each other's rows and re-runs start clean.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, Table, event, func, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from badge_issuer.achievements import create_achievement
from badge_issuer.application.services import Services, build_services
from badge_issuer.config import Settings
from badge_issuer.credential.requests import AchievementInput, ClientCreate, IssuerCreate, IssueRequest
from badge_issuer.db.achievements import AchievementRepository
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.migrate import alembic_config, upgrade
from badge_issuer.db.statements import insert_absent, insert_many, insert_new
from badge_issuer.db.tables import Credential, IdempotencyReservation, Issuer, StatusEntry, StatusList
from badge_issuer.errors import NotFound
from badge_issuer.issuance import IssueCommand, issue_badge, request_hash
from badge_issuer.issuers import add_key, create_client, create_issuer

TABLES = {
    "issuers",
    "issuer_keys",
    "api_clients",
    "achievements",
    "achievement_versions",
    "images",
    "credentials",
    "status_lists",
    "status_entries",
    "status_events",
    "claims",
    "claim_offers",
    "wallet_nonces",
    "deliveries",
    "claim_exchanges",
    "alembic_version",
}


@pytest.fixture
def services(database_url: str, tmp_path: Path) -> Iterator[Services]:
    settings = Settings(database_url=database_url, keys_dir=tmp_path / "keys")
    built = build_services(settings)
    upgrade(built.engine)
    yield built
    built.close()


@dataclasses.dataclass(frozen=True)
class Seeded:
    issuer_id: int
    client_id: int


def seed(services: Services) -> Seeded:
    """An issuer (with its status list), an achievement and an API client, committed."""
    now = services.clock()
    with services.sessions() as session, session.begin():
        issuer = create_issuer(
            IssuerCreate.model_validate({"slug": "uni", "name": "Uni"}),
            session=session,
            keystore=services.keystore,
            urls=services.urls,
            status_list_size=services.settings.status_list_size,
            now=now,
        )
        create_achievement(
            issuer,
            AchievementInput.model_validate(
                {
                    "slug": "python-data",
                    "name": "Data Analysis with Python",
                    "description": "Explores data.",
                    "criteria": {"narrative": "Passed."},
                }
            ),
            session=session,
            urls=services.urls,
            now=now,
        )
        client = create_client(issuer, ClientCreate(name="LMS", scopes=["issue"]), session=session, now=now)
        return Seeded(issuer_id=issuer.id, client_id=client.client.id)


def command(seeded: Seeded, key: str | None = None, email: str = "ada@example.org") -> IssueCommand:
    body: dict[str, Any] = {"recipient": {"email": email}}
    return IssueCommand(
        issuer_slug="uni",
        achievement_slug="python-data",
        request=IssueRequest.model_validate(body),
        client_id=seeded.client_id,
        idempotency_key=key,
        request_hash=request_hash("/issue", body),
    )


def counts(session: Session, issuer_id: int) -> tuple[int, int, int]:
    """(credentials, status entries, ``allocated`` of the revocation list)."""
    credentials = session.scalar(select(func.count()).select_from(Credential)) or 0
    entries = session.scalar(select(func.count()).select_from(StatusEntry)) or 0
    allocated = session.scalar(
        select(StatusList.allocated).where(
            StatusList.issuer_id == issuer_id, StatusList.purpose == "revocation", StatusList.sequence == 1
        )
    )
    assert allocated is not None
    return credentials, entries, allocated


def test_upgrade_head_creates_the_tables_and_is_idempotent(database_url: str) -> None:
    from badge_issuer.db.session import make_engine

    engine: Engine = make_engine(database_url)
    try:
        upgrade(engine)
        assert set(inspect(engine).get_table_names()) >= TABLES
        head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT version_num FROM alembic_version")) == head
        upgrade(engine)  # a second run changes nothing and does not fail
        with engine.connect() as connection:
            assert list(connection.execute(text("SELECT version_num FROM alembic_version"))) == [(head,)]
        assert set(inspect(engine).get_table_names()) >= TABLES
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM issuers")) == 0
    finally:
        engine.dispose()


def test_a_failed_issuance_leaves_nothing_behind(services: Services) -> None:
    seeded = seed(services)

    def broken_signer(issuer: Issuer, key: Any) -> Any:
        raise RuntimeError("the key vault is down")

    broken = dataclasses.replace(services.issuance, signer_of=broken_signer)
    with services.sessions() as session:
        before = counts(session, seeded.issuer_id)
    assert before == (0, 0, 0)
    with services.sessions() as session, pytest.raises(RuntimeError, match="key vault"), session.begin():
        issue_badge(command(seeded, key="k-1"), session=session, tools=broken)
    with services.sessions() as session:
        assert counts(session, seeded.issuer_id) == before
    # the same command with a working signer writes all three (so the check above can fail)
    with services.sessions() as session, session.begin():
        issued = issue_badge(command(seeded, key="k-1"), session=session, tools=services.issuance)
    with services.sessions() as session:
        assert counts(session, seeded.issuer_id) == (1, 1, 1)
        assert session.get(Credential, issued.record.id) is not None


def test_the_idempotency_key_is_unique_per_client(services: Services) -> None:
    seeded = seed(services)
    with services.sessions() as session, session.begin():
        first = issue_badge(command(seeded, key="same"), session=session, tools=services.issuance).record
        issue_badge(command(seeded, key=None), session=session, tools=services.issuance)
        issue_badge(command(seeded, key=None), session=session, tools=services.issuance)  # NULLs differ
    twin = {
        column.key: getattr(first, column.key)
        for column in Credential.__table__.columns
        if column.key != "id"
    }
    with services.sessions() as session, pytest.raises(IntegrityError), session.begin():
        session.add(Credential(id=str(uuid.uuid4()), **twin))
        session.flush()
    with services.sessions() as session, session.begin():  # another key is fine
        session.add(Credential(id=str(uuid.uuid4()), **(twin | {"idempotency_key": "other"})))
    with services.sessions() as session:
        keys = session.scalars(
            select(Credential.idempotency_key).where(Credential.client_id == seeded.client_id)
        )
        assert sorted(key or "" for key in keys) == ["", "", "other", "same"]
    # the spine replays rather than inserting a twin
    with services.sessions() as session, session.begin():
        again = issue_badge(command(seeded, key="same"), session=session, tools=services.issuance)
    assert again.replayed and again.record.id == first.id


def issued_columns(services: Services, *left_out: str) -> tuple[Credential, dict[str, Any]]:
    """A record issued the usual way, and its columns but ``id`` and ``left_out``."""
    seeded = seed(services)
    with services.sessions() as session, session.begin():
        issued = issue_badge(command(seeded), session=session, tools=services.issuance).record
    skipped = {"id", *left_out}
    columns = Credential.__table__.columns
    return issued, {
        column.key: getattr(issued, column.key) for column in columns if column.key not in skipped
    }


def stored_besides(services: Services, issued: Credential) -> dict[str, dict[str, Any]]:
    """Every stored record but ``issued``, as its columns, by id."""
    with services.sessions() as session:
        return {
            record.id: {column.key: getattr(record, column.key) for column in Credential.__table__.columns}
            for record in session.scalars(select(Credential).where(Credential.id != issued.id))
        }


def test_a_new_record_is_inserted_as_the_session_would_store_it(services: Services) -> None:
    """``insert_new`` (one Core INSERT on the issuance path) stores the row a flush stores: the
    columns given and the Python defaults of the others, which the object then holds too."""
    issued, given = issued_columns(services, "status")  # ``status`` left to its default ("active")
    by_flush = Credential(id=str(uuid.uuid4()), **given)
    by_insert = Credential(id=str(uuid.uuid4()), **given)
    with services.sessions() as session, session.begin():
        session.add(by_flush)
        session.flush()
        insert_new(session, by_insert)
        assert by_insert not in session and by_insert.status == "active"
    stored = stored_besides(services, issued)
    assert stored[by_insert.id] == stored[by_flush.id] | {"id": by_insert.id}
    assert stored[by_insert.id]["status"] == "active" and stored[by_insert.id]["credential_uri"] is None


def test_many_new_records_are_inserted_as_the_session_would_store_them(services: Services) -> None:
    """``insert_many`` (a bulk chunk's records) stores what ``insert_new`` stores for each, also
    when the records were given different columns (one executemany per set of columns)."""
    issued, given = issued_columns(services, "status", "credential_uri")
    one = Credential(id=str(uuid.uuid4()), **given)
    other = Credential(id=str(uuid.uuid4()), **given, status="revoked", credential_uri="urn:x:1")
    third = Credential(id=str(uuid.uuid4()), **given)
    alone = Credential(id=str(uuid.uuid4()), **given)
    with services.sessions() as session, session.begin():
        insert_many(session, [one, other, third])
        insert_new(session, alone)
        assert all(record not in session for record in (one, other, third))
    stored = stored_besides(services, issued)
    assert len(stored) == 4
    assert stored[one.id] == stored[third.id] | {"id": one.id} == stored[alone.id] | {"id": one.id}
    assert (stored[other.id]["status"], stored[other.id]["credential_uri"]) == ("revoked", "urn:x:1")
    assert stored[one.id]["status"] == "active" and stored[one.id]["credential_uri"] is None


def test_an_award_reads_the_newest_active_key_with_its_badge_class(services: Services) -> None:
    """``current_of`` reads the signing key in the badge class's statement: the newest active key,
    as ``IssuerRepository.signing_key`` picks it, and NotFound when the issuer has none."""
    seeded = seed(services)
    with services.sessions() as session, session.begin():
        issuer = session.get_one(Issuer, seeded.issuer_id)
        add_key(issuer, session=session, keystore=services.keystore, now=services.clock())
    with services.sessions() as session, session.begin():
        issuer = session.get_one(Issuer, seeded.issuer_id)
        keys = IssuerRepository(session).keys(issuer)
        assert len(keys) == 2
        current = AchievementRepository(session).current_of("uni", "python-data")
        assert current.key == IssuerRepository(session).signing_key(issuer)
        assert current.key.key_name == keys[1].key_name
        keys[1].active = False  # the newest retired: the one before signs again
        session.flush()
        assert (
            AchievementRepository(session).current_of("uni", "python-data").key.key_name == keys[0].key_name
        )
        keys[0].active = False
        session.flush()
        with pytest.raises(NotFound, match="no active signing key"):
            AchievementRepository(session).current_of("uni", "python-data")
        with pytest.raises(NotFound, match="no achievement"):
            AchievementRepository(session).current_of("uni", "missing")


def test_the_badge_class_of_an_award_is_read_as_the_orm_loads_it(services: Services) -> None:
    """``current_of`` reads plain columns: every mapped column of the issuer, the achievement and
    its version equals what the ORM loads, and the objects carry nothing to write."""
    seed(services)
    with services.sessions() as session:
        current = AchievementRepository(session).current_of("uni", "python-data")
        reads: tuple[Any, ...] = (current.issuer, current.achievement, current.version)
        for read in reads:
            orm = session.get_one(type(read), read.id)
            assert read is not orm and read not in session
            state = inspect(read)
            assert not state.modified and not state.pending and not state.persistent
            for attribute in inspect(type(read)).column_attrs:
                assert getattr(read, attribute.key) == getattr(orm, attribute.key), attribute.key


def test_rows_not_yet_there_are_inserted_in_one_statement_and_the_others_left(services: Services) -> None:
    client_id = seed(services).client_id
    table = cast(Table, IdempotencyReservation.__table__)
    unique = ("client_id", "idempotency_key")
    now = services.clock()

    def rows(keys: str, request_hash: str) -> list[dict[str, Any]]:
        return [
            {"client_id": client_id, "idempotency_key": key, "request_hash": request_hash, "taken_at": now}
            for key in keys
        ]

    with services.sessions() as session, session.begin():
        assert insert_absent(session, table, [], unique, "idempotency_key") == []
        assert sorted(insert_absent(session, table, rows("bd", "first"), unique, "idempotency_key")) == [
            "b",
            "d",
        ]
        sent: list[str] = []
        event.listen(session.connection(), "before_cursor_execute", lambda *args: sent.append(args[2]))
        inserted = insert_absent(session, table, rows("abde", "again"), unique, "idempotency_key")
        assert sorted(inserted) == ["a", "e"]
        assert len(sent) == 1  # the four rows went as one INSERT
        stored = session.execute(
            select(IdempotencyReservation.idempotency_key, IdempotencyReservation.request_hash)
        )
        assert sorted(tuple(entry) for entry in stored) == [
            ("a", "again"),
            ("b", "first"),
            ("d", "first"),
            ("e", "again"),
        ]
