"""The data generation: one number that changes with every write to the database, whoever makes it.

Answers the API keeps in its cache (``core.api.answers``) and cached token look-ups are keyed by it, so a write
makes every earlier entry unreachable: no entry has to be found and deleted, and none can be missed.

- **Every path.** The number is moved by the database connection itself (an execute wrapper installed on every
  connection): any ``INSERT``, ``UPDATE``, ``DELETE`` or ``TRUNCATE`` a Django process sends (services, forms, the
  admin, imports, ``bulk_create``, queryset ``update()``, raw SQL, management commands, the Celery worker) moves
  it, except on the few tables listed in :data:`UNTRACKED_TABLES` that no answer ever shows (sessions, sign-in
  attempts, the beat scheduler's bookkeeping). New apps need nothing to take part.
- **On commit.** The number moves right after the write (so that the writing transaction, and a test that runs
  inside one, never reads its own stale answers) and again after the transaction commits (so that an answer
  computed from the old data during the transaction, and stored under the number moved mid-transaction, is never
  read again).
- **In the database, not in Redis.** On PostgreSQL it is a sequence (``nextval`` is not transactional and takes no
  lock, so writers never wait for each other on it), on SQLite a one-row table. Readers read it with one query per
  request. While Redis is down or after it lost or kept data, the number is still right: a missed bump in Redis
  cannot leave a stale entry reachable. Its first value is random, so a database created again (tests, a restore)
  does not meet the entries of the previous one.

One gap is left, and bounded: a process that dies between its commit and the bump after it leaves the entries
stored during that transaction reachable until the next write or until they expire (``API_ANSWER_CACHE_SECONDS``).
"""

from __future__ import annotations

import logging
import re
import secrets

from django.db import DatabaseError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

logger = logging.getLogger(__name__)

SEQUENCE = "core_data_generation"  # PostgreSQL
TABLE = "core_datageneration"  # SQLite (and the marker that the migration has run)
# Tables whose rows no cached answer shows, written on every sign-in, request or scheduler tick.
UNTRACKED_TABLES = (TABLE, "django_session", "axes_", "django_celery_beat_", "django_celery_results_")

_WRITE = re.compile(
    r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)\s+"?(\w+)', re.IGNORECASE
)
# The statements, written out (the names are the constants above).
_NEXTVAL = "SELECT nextval('core_data_generation')"
_UPSERT = (
    "INSERT INTO core_datageneration (id, value) VALUES (1, %s) ON CONFLICT (id) DO UPDATE SET value = excluded.value"
)
_READ_SEQUENCE = "SELECT last_value FROM core_data_generation"
_READ_TABLE = "SELECT value FROM core_datageneration WHERE id = 1"
_READY = "_tracker_generation_ready"
_REGISTERED = "_tracker_generation_on_commit"
# Whether this connection has read the generation since it last moved it (a fresh connection counts as having read).
_SEEN = "_tracker_generation_seen"


def random_start() -> int:
    """A random first value (below 2**62, so that a sequence never reaches its maximum)."""
    return secrets.randbelow(2**62)


def _tracked(sql: str) -> bool:
    match = _WRITE.match(sql)
    return bool(match) and not match[1].lower().startswith(UNTRACKED_TABLES)


def _ready(connection: BaseDatabaseWrapper) -> bool:
    """Whether the generation exists in this database (not before ``core``'s migration has run)."""
    ready = getattr(connection, _READY, None)
    if ready is None:
        ready = TABLE in connection.introspection.table_names()
        if ready:  # a negative answer is asked again: migrate creates the table on this very connection
            setattr(connection, _READY, True)
    return ready


def _bump_sql(connection: BaseDatabaseWrapper) -> tuple[str, list]:
    if connection.vendor == "postgresql":
        return _NEXTVAL, []
    # A new random value, not value + 1: on SQLite the bump is part of the writing transaction, and a rolled-back
    # test (or write) must not leave the next one to reuse the same number.
    return _UPSERT, [random_start()]


def bump(using: str = "default", *, lazily: bool = False) -> None:
    """Move the generation now and, if a transaction is open, once more after it commits.

    ``lazily`` (the write watch): inside a transaction, move it now only at the transaction's first write and
    after this connection has read it. Other connections cannot see the transaction's writes before the commit,
    and the bump after the commit covers what they stored meanwhile; only this connection's own reads (a test, a
    request that writes and then reads) need the number moved at once. So a transaction of many writes costs two
    bumps, not one per statement.
    """
    connection = connections[using]
    if not _ready(connection):
        return
    # Django replaces its list of on-commit callbacks at every commit or rollback (also of a savepoint), so its
    # identity tells whether this transaction (or savepoint) has already moved the number and registered ours.
    first_write = getattr(connection, _REGISTERED, None) is not connection.run_on_commit
    if not (lazily and connection.in_atomic_block) or first_write or getattr(connection, _SEEN, True):
        sql, params = _bump_sql(connection)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        setattr(connection, _SEEN, False)
    if connection.in_atomic_block and first_write:
        transaction.on_commit(lambda: _bump_after_commit(using), using=using, robust=True)
        setattr(connection, _REGISTERED, connection.run_on_commit)


def _bump_after_commit(using: str) -> None:
    connection = connections[using]
    sql, params = _bump_sql(connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def current(using: str = "default") -> int | None:
    """The generation now, or ``None`` where there is none to read (then nothing may be answered from a cache)."""
    connection = connections[using]
    setattr(connection, _SEEN, True)
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(_READ_SEQUENCE)
            else:
                cursor.execute(_READ_TABLE)
            row = cursor.fetchone()
    except DatabaseError:
        logger.warning("The data generation cannot be read: answering without the cache", exc_info=True)
        return None
    return row[0] if row else None


def watch_writes(execute, sql, params, many, context):
    """The execute wrapper: run the statement, then move the generation if it may have changed rows of a tracked
    table (an ``UPDATE`` or ``DELETE`` that matched nothing changed nothing)."""
    result = execute(sql, params, many, context)
    if isinstance(sql, str) and _tracked(sql) and (_changed_rows(sql, context["cursor"])):
        bump(context["connection"].alias, lazily=True)
    return result


def _changed_rows(sql: str, cursor) -> bool:
    # An INSERT counts as a change whatever the driver says (with RETURNING, SQLite counts rows as they are read).
    if "RETURNING" in sql.upper() or sql.lstrip()[:6].upper() == "INSERT":
        return True
    return getattr(cursor, "rowcount", -1) != 0


def install(connection: BaseDatabaseWrapper, **kwargs) -> None:
    """``connection_created`` receiver: watch the writes of every new database connection."""
    if watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(watch_writes)


def after_migrate(using: str = "default", **kwargs) -> None:
    """``post_migrate`` receiver: a migration may have changed data without a tracked statement."""
    setattr(connections[using], _READY, None)
    bump(using)
