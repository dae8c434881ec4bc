"""Statements SQLite and PostgreSQL both run, written once for the two dialects. Never commits.

Statements on the issuance path run through ``execute`` below rather than ``Session.execute``,
whose dispatch cost more than the statements did (#11)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Executable, Result, Table, bindparam, insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import manager_of_class, set_committed_value
from sqlalchemy.sql.schema import ScalarElementColumnDefault

T = TypeVar("T")


def execute(
    session: Session, statement: Executable, parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]]
) -> Result[*tuple[Any, ...]]:
    """Run ``statement`` in ``session``'s transaction as ``Session.execute`` does (what is pending in
    the session is flushed first; a no-op when nothing is), rows as plain tuples: no ORM entities.
    A sequence of ``parameters`` runs it once per item (executemany)."""
    session.flush()
    return session.connection().execute(statement, parameters)


def insert_if_absent(
    session: Session, table: Table, values: Mapping[str, Any], unique: Sequence[str]
) -> bool:
    """Insert one row unless one with the same ``unique`` columns exists (or is being inserted by
    a transaction that then commits): one statement, no error and no savepoint on a conflict.
    Whether this call inserted it."""
    statement = _insert_absent(session, table, tuple(values), unique, "id")
    parameters = {f"v_{name}": value for name, value in values.items()}
    return execute(session, statement, parameters).first() is not None


def insert_absent(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], unique: Sequence[str], returning: str
) -> list[Any]:
    """``insert_if_absent`` for many rows of the same columns, in one statement (SQLAlchemy sends
    an executemany with RETURNING as one multi-row INSERT): the ``returning`` column of each row
    this call inserted, in no particular order."""
    if not rows:
        return []
    statement = _insert_absent(session, table, tuple(rows[0]), unique, returning)
    parameters = [{f"v_{name}": value for name, value in row.items()} for row in rows]
    return list(execute(session, statement, parameters).scalars())


def _insert_absent(
    session: Session, table: Table, names: tuple[str, ...], unique: Sequence[str], returning: str
) -> Executable:
    """INSERT … ON CONFLICT (``unique``) DO NOTHING RETURNING ``returning``, built once per shape
    (building a statement costs more than running it)."""
    dialect = session.get_bind().dialect.name
    key = (dialect, table.name, tuple(unique), names, returning)
    statement = _BUILT.get(key)
    if statement is None:
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = _BUILT.setdefault(
            key,
            insert(table)
            .values({name: bindparam(f"v_{name}") for name in names})
            .on_conflict_do_nothing(index_elements=list(unique))
            .returning(table.c[returning]),
        )
    return statement


def as_loaded(entity: type[T], values: Mapping[str, Any]) -> T:
    """An ``entity`` made from columns read by a Core statement, outside any session, as an ended
    session leaves what it loaded: each of ``values`` (mapped attribute names) set as loaded,
    nothing pending; the others unloaded. Loading a row as an ORM entity cost more than the
    statement on the issuance path (#11)."""
    instance: T = manager_of_class(entity).new_instance()
    for key, value in values.items():
        set_committed_value(instance, key, value)
    return instance


def insert_new(session: Session, record: Any) -> None:
    """Insert a new ORM object's row with one Core INSERT, as a flush of it would: the columns it
    was given, and the Python defaults of the others (set on the object too). The object stays
    outside the session, as a stored one does once its transaction ends; a key the database
    generates is not read back, so this is for rows whose callers need none. The ORM's unit of
    work cost several times the statement on the issuance path (#11)."""
    execute(session, insert(record.__table__).inline(), _values(record))


def insert_many(session: Session, records: Sequence[Any]) -> None:
    """``insert_new`` for many new objects of one table: one executemany per set of given columns
    (a bulk chunk's credentials or claims: one)."""
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for record in records:
        values = _values(record)
        shapes.setdefault(tuple(values), []).append(values)
    for rows in shapes.values():
        execute(session, insert(records[0].__table__), rows)


def _values(record: Any) -> dict[str, Any]:
    """The columns ``record`` was given, and the Python defaults of the others (set on it too)."""
    table: Table = record.__table__
    given = record.__dict__
    values: dict[str, Any] = {}
    for column in table.columns:
        if column.key in given:
            values[column.key] = given[column.key]
        elif isinstance(column.default, ScalarElementColumnDefault):
            values[column.key] = column.default.arg
            setattr(record, column.key, column.default.arg)
    return values


#: the statements of the few shapes callers use (a handful: bounded by the code, not by input)
_BUILT: dict[tuple[object, ...], Executable] = {}
