"""bulk jobs on procrastinate: its schema (tables, functions, triggers), on PostgreSQL only

Revision ID: 0011
Revises: 0010

On PostgreSQL a bulk job's chunks are procrastinate tasks, deferred in the transaction that stores
the job (``procrastinate_defer_jobs_v1``), so procrastinate's schema is part of ours: this revision
applies the ``schema.sql`` of the pinned procrastinate (3.10.x, see pyproject.toml), so `badge-issuer
db upgrade`, `init` and the app's start-up bring it along with our tables. A later procrastinate
brings its own SQL migrations (``procrastinate/sql/migrations``): the revision that bumps the pin
applies those. SQLite has no queue (jobs run on the in-process lease runner): nothing to do.
"""

import procrastinate
from alembic import op
from procrastinate.schema import SchemaManager

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

PINNED = "3.10."

DROP_ALL = """
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT tablename FROM pg_tables
             WHERE schemaname = current_schema() AND left(tablename, 14) = 'procrastinate_' LOOP
        EXECUTE 'DROP TABLE IF EXISTS ' || quote_ident(r.tablename) || ' CASCADE';
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure::text AS signature FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = current_schema() AND left(p.proname, 14) = 'procrastinate_' LOOP
        EXECUTE 'DROP FUNCTION IF EXISTS ' || r.signature || ' CASCADE';
    END LOOP;
    FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
             WHERE n.nspname = current_schema() AND left(t.typname, 14) = 'procrastinate_'
               AND t.typtype IN ('e', 'c') LOOP
        EXECUTE 'DROP TYPE IF EXISTS ' || quote_ident(r.typname) || ' CASCADE';
    END LOOP;
END;
$$;
"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    if not procrastinate.__version__.startswith(PINNED):  # pragma: no cover - the pin holds it
        raise RuntimeError(f"procrastinate {procrastinate.__version__} is not the {PINNED}x this schema is")
    bind.exec_driver_sql(SchemaManager.get_schema().replace("%", "%%"))  # no placeholders in it


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql(DROP_ALL)
