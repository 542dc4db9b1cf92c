"""Apply LiteLLM's database migrations without Prisma's schema engine, exactly once across gateways.

LiteLLM ships its schema as Prisma migrations (litellm_proxy_extras/migrations/<name>/migration.sql)
and applies them with `prisma migrate deploy`, which needs Prisma's native schema engine. This does
what that command does, in the LiteLLM virtualenv (psycopg is in LiteLLM's closure):

- takes PostgreSQL's session advisory lock 72707369, the one Prisma Migrate itself takes, so
  gateways that start together (or a real `prisma migrate deploy`) apply one after the other. It
  polls with pg_try_advisory_lock instead of waiting in pg_advisory_lock: a session waiting inside a
  statement holds a transaction open, and CREATE INDEX CONCURRENTLY in the lock holder waits for
  every open transaction to end, a deadlock (measured with three gateways starting at once);
- applies every migration not recorded as finished in `_prisma_migrations`, in name order, each as
  one simple-protocol statement string: atomic, except the single-statement CREATE INDEX
  CONCURRENTLY migrations, which PostgreSQL runs outside a transaction as Prisma does;
- records each one as Prisma does (id, sha256 checksum, started/finished times), so the proxy and a
  later Prisma both see the schema as migrated.

The connection comes from DATABASE_URL, in the environment or in an env file (--env-file: NAME=value
lines, as systemd reads them; the role passes its 0600 /etc/litellm/litellm.env), never the command
line. Prints one
JSON object: {"applied": [names], "total": N, "lock_wait_s": S}. Exit 1 with the reason on failure.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Prisma Migrate's advisory lock key (schema-engine: ADVISORY_LOCK_TIMEOUT / pg_advisory_lock(72707369)).
PRISMA_ADVISORY_LOCK = 72707369

MIGRATIONS_TABLE_DDL = """
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)
"""


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


@dataclass(frozen=True)
class Record:
    name: str
    checksum: str
    finished: bool
    rolled_back: bool


class MigrationError(Exception):
    pass


def read_migrations(directory: Path) -> list[Migration]:
    """Every <directory>/<name>/migration.sql, in name order (Prisma's order: the timestamp prefix)."""
    if not directory.is_dir():
        raise MigrationError(f"no migrations directory at {directory}")
    found = [
        Migration(d.name, (d / "migration.sql").read_text(encoding="utf-8"))
        for d in sorted(directory.iterdir(), key=lambda p: p.name)
        if (d / "migration.sql").is_file()
    ]
    if not found:
        raise MigrationError(f"{directory} holds no <name>/migration.sql")
    return found


def plan(migrations: list[Migration], records: list[Record]) -> tuple[list[Migration], list[str]]:
    """The migrations still to apply, and warnings. Raises on a failed, unresolved earlier attempt.

    A migration counts as applied when a record of it finished and was not rolled back. A record that
    neither finished nor was rolled back is a failed attempt: like `prisma migrate deploy` (P3009),
    refuse to go on until someone resolves it.
    """
    failed = sorted({r.name for r in records if not r.finished and not r.rolled_back})
    if failed:
        raise MigrationError(
            f"migration {failed[0]} failed in an earlier attempt (a row in _prisma_migrations with "
            "neither finished_at nor rolled_back_at): fix the schema by hand, then set its rolled_back_at "
            "to re-apply it or its finished_at to mark it applied"
        )
    applied = {r.name: r for r in records if r.finished and not r.rolled_back}
    known = {m.name for m in migrations}
    warnings = [
        f"migration {m.name} was modified after it was applied (checksum differs); not re-applied"
        for m in migrations
        if m.name in applied and applied[m.name].checksum != m.checksum
    ]
    warnings += [
        f"migration {name} is recorded in the database but not shipped with this LiteLLM (a newer release "
        "migrated this database?)"
        for name in sorted(set(applied) - known)
    ]
    return [m for m in migrations if m.name not in applied], warnings


def _records(cur: Any) -> list[Record]:
    cur.execute(
        "SELECT migration_name, checksum, finished_at IS NOT NULL, rolled_back_at IS NOT NULL"
        ' FROM "_prisma_migrations"'
    )
    return [Record(*row) for row in cur.fetchall()]


def _lock(cur: Any, timeout: float, poll: float = 0.5) -> float:
    """Take the advisory lock, polling between short transactions; the seconds waited."""
    start = time.monotonic()
    while True:
        cur.execute("SELECT pg_try_advisory_lock(%s)", (PRISMA_ADVISORY_LOCK,))
        if cur.fetchone()[0]:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise MigrationError(
                f"another session held the migration lock (pg advisory lock {PRISMA_ADVISORY_LOCK}) for "
                f"more than {timeout:.0f} s: is a migration still running on another gateway?"
            )
        time.sleep(poll)


def migrate(url: str, directory: Path, lock_timeout: float = 600.0) -> dict[str, Any]:
    import psycopg  # in LiteLLM's closure (litellm-proxy-extras); imported here so unit tests need no driver

    migrations = read_migrations(directory)
    applied: list[str] = []
    with (
        psycopg.connect(url, autocommit=True, application_name="llm-onprem-migrate") as conn,
        conn.cursor() as cur,
    ):
        waited = _lock(cur, lock_timeout)
        try:
            cur.execute(MIGRATIONS_TABLE_DDL)
            pending, warnings = plan(migrations, _records(cur))
            for warning in warnings:
                print(f"warning: {warning}", file=sys.stderr)
            for m in pending:
                row_id = str(uuid.uuid4())
                cur.execute(
                    'INSERT INTO "_prisma_migrations"'
                    " (id, checksum, migration_name, started_at, applied_steps_count)"
                    " VALUES (%s, %s, %s, now(), 0)",
                    (row_id, m.checksum, m.name),
                )
                try:
                    # No parameters: psycopg sends the file as one simple-protocol query string, which
                    # PostgreSQL runs as one implicit transaction (or, for a lone CONCURRENTLY, outside one).
                    cur.execute(m.sql.encode())
                except psycopg.Error as e:
                    cur.execute('UPDATE "_prisma_migrations" SET logs = %s WHERE id = %s', (str(e), row_id))
                    raise MigrationError(f"migration {m.name} failed: {e}") from e
                cur.execute(
                    'UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1'
                    " WHERE id = %s",
                    (row_id,),
                )
                applied.append(m.name)
        finally:
            cur.execute("SELECT pg_advisory_unlock(%s)", (PRISMA_ADVISORY_LOCK,))
    return {"applied": applied, "total": len(migrations), "lock_wait_s": round(waited, 1)}


def env_file_value(path: Path, name: str) -> str:
    """The value of NAME=value in a systemd-style env file (the last one wins; comments skipped)."""
    value = ""
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and line.partition("=")[0].strip() == name:
            value = line.partition("=")[2].strip()
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--migrations", type=Path, help="directory of <name>/migration.sql (default: litellm_proxy_extras')"
    )
    parser.add_argument(
        "--lock-timeout", type=float, default=600.0, help="seconds to wait for another migrator"
    )
    parser.add_argument("--env-file", type=Path, help="read DATABASE_URL from this file of NAME=value lines")
    args = parser.parse_args(argv)
    url = (
        env_file_value(args.env_file, "DATABASE_URL") if args.env_file else os.environ.get("DATABASE_URL", "")
    )
    if not url:
        where = args.env_file or "the environment"
        print(f"litellm_db_migrate: DATABASE_URL is not set in {where}", file=sys.stderr)
        return 1
    directory = args.migrations
    if directory is None:
        import litellm_proxy_extras

        directory = Path(litellm_proxy_extras.__file__).parent / "migrations"
    try:
        print(json.dumps(migrate(url, directory, args.lock_timeout)))
    except MigrationError as e:
        print(f"litellm_db_migrate: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
