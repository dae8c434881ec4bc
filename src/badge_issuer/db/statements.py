"""Statements SQLite and PostgreSQL both run, written once for the two dialects. Never commits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def insert_if_absent(
    session: Session, table: Table, values: Mapping[str, Any], unique: Sequence[str]
) -> bool:
    """Insert one row unless one with the same ``unique`` columns exists (or is being inserted by
    a transaction that then commits): one statement, no error and no savepoint on a conflict.
    Whether this call inserted it."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(table).values(**values).on_conflict_do_nothing(index_elements=list(unique))
    inserted = session.execute(statement.returning(table.c.id)).first()
    return inserted is not None
