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

**The sign-in generation.** A second number moves only with writes to the tables a token look-up reads (users,
their groups and permissions, tokens: ``auth_*``, ``authtoken_*``), now and after the commit, as the data generation
does (which such writes move too). Token look-ups are kept under it (``core.api.answers``), so that a status update
does not make every API client's next request look its token up again, while a revoked token, a deactivated user or
a changed group is seen by the next request. Both numbers are read with one query.

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
AUTH_SEQUENCE = "core_auth_generation"  # PostgreSQL: the sign-in generation
TABLE = "core_datageneration"  # SQLite (and the marker that the migration has run): row 1 data, row 2 sign-in
# Tables whose rows no cached answer shows, written on every sign-in, request or scheduler tick.
UNTRACKED_TABLES = (TABLE, "django_session", "axes_", "django_celery_beat_", "django_celery_results_")
# Tables a token look-up reads (users, groups, permissions, tokens): their writes also move the sign-in generation.
AUTH_TABLES = ("auth_", "authtoken_")

_WRITE = re.compile(
    r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)\s+"?(\w+)', re.IGNORECASE
)
# The statements, written out (the names are the constants above).
_NEXTVAL = "SELECT nextval('core_data_generation')"
_UPSERT = (
    "INSERT INTO core_datageneration (id, value) VALUES (1, %s) ON CONFLICT (id) DO UPDATE SET value = excluded.value"
)
_NEXTVAL_AUTH = "SELECT nextval('core_auth_generation')"
_UPSERT_AUTH = _UPSERT.replace("VALUES (1, %s)", "VALUES (2, %s)")
_READ_SEQUENCE = "SELECT last_value FROM core_data_generation"
_READ_TABLE = "SELECT value FROM core_datageneration WHERE id = 1"
_READ_BOTH_SEQUENCES = (
    "SELECT d.last_value, a.last_value FROM core_data_generation AS d CROSS JOIN core_auth_generation AS a"
)
_READ_BOTH_ROWS = (
    "SELECT (SELECT value FROM core_datageneration WHERE id = 1), (SELECT value FROM core_datageneration WHERE id = 2)"
)
_AUTH_REGISTERED = "_tracker_auth_generation_on_commit"
_AUTH_READY = "_tracker_auth_generation_ready"
_READY = "_tracker_generation_ready"
_REGISTERED = "_tracker_generation_on_commit"
# Whether this connection has read the generation since it last moved it (a fresh connection counts as having read).
_SEEN = "_tracker_generation_seen"


def create_sequence(schema_editor, name: str) -> None:
    """A migration's step: create the sequence ``name`` at a random start (PostgreSQL; nothing elsewhere)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {name} START WITH {random_start()} NO CYCLE")


def drop_sequence(schema_editor, name: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {name}")


def sequence_operation(name: str):
    """The migration operation that creates the sequence ``name`` (and drops it when migrated backwards)."""
    from django.db.migrations import RunPython

    return RunPython(
        lambda apps, schema_editor: create_sequence(schema_editor, name),
        lambda apps, schema_editor: drop_sequence(schema_editor, name),
        elidable=False,
    )


def random_start() -> int:
    """A random first value (below 2**62, so that a sequence never reaches its maximum)."""
    return secrets.randbelow(2**62)


def _written_table(sql: str) -> str | None:
    """The tracked table a statement writes to, if it is a write to one."""
    match = _WRITE.match(sql)
    if not match or match[1].lower().startswith(UNTRACKED_TABLES):
        return None
    return match[1].lower()


def _ready(connection: BaseDatabaseWrapper) -> bool:
    """Whether the generation exists in this database (not before ``core``'s migration has run)."""
    ready = getattr(connection, _READY, None)
    if ready is None:
        ready = TABLE in connection.introspection.table_names()
        if ready:  # a negative answer is asked again: migrate creates the table on this very connection
            setattr(connection, _READY, True)
    return ready


def _auth_ready(connection: BaseDatabaseWrapper) -> bool:
    """Whether the sign-in generation exists (its sequence is created by a later migration than the table: data
    migrations in between may write users or groups)."""
    if not _ready(connection):
        return False
    if connection.vendor != "postgresql" or getattr(connection, _AUTH_READY, False):
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [AUTH_SEQUENCE])
        ready = cursor.fetchone()[0]
    if ready:  # a negative answer is asked again: migrate creates the sequence on this very connection
        setattr(connection, _AUTH_READY, True)
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


def _bump_auth_sql(connection: BaseDatabaseWrapper) -> tuple[str, list]:
    if connection.vendor == "postgresql":
        return _NEXTVAL_AUTH, []
    return _UPSERT_AUTH, [random_start()]


def bump_auth(using: str = "default") -> None:
    """Move the sign-in generation now and, if a transaction is open, once more after it commits (once per
    transaction). Writes to these tables are rare (sign-ins, an administrator's changes): never deferred."""
    connection = connections[using]
    if not _auth_ready(connection):
        return
    _execute(connection, _bump_auth_sql(connection))
    if connection.in_atomic_block and getattr(connection, _AUTH_REGISTERED, None) is not connection.run_on_commit:
        transaction.on_commit(lambda: _bump_auth_after_commit(using), using=using, robust=True)
        setattr(connection, _AUTH_REGISTERED, connection.run_on_commit)


def _bump_auth_after_commit(using: str) -> None:
    connection = connections[using]
    _execute(connection, _bump_auth_sql(connection))


def _execute(connection: BaseDatabaseWrapper, statement: tuple[str, list]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(*statement)


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


def current_with_auth(using: str = "default") -> tuple[int | None, int | None]:
    """The data generation and the sign-in generation now, in one query (``None`` for one there is none of)."""
    connection = connections[using]
    setattr(connection, _SEEN, True)
    try:
        with connection.cursor() as cursor:
            cursor.execute(_READ_BOTH_SEQUENCES if connection.vendor == "postgresql" else _READ_BOTH_ROWS)
            row = cursor.fetchone()
    except DatabaseError:
        logger.warning("The data generation cannot be read: answering without the cache", exc_info=True)
        return None, None
    return (row[0], row[1]) if row else (None, None)


def watch_writes(execute, sql, params, many, context):
    """The execute wrapper: run the statement, then move the generation if it may have changed rows of a tracked
    table (an ``UPDATE`` or ``DELETE`` that matched nothing changed nothing), and the sign-in generation too if
    the table is one a token look-up reads."""
    result = execute(sql, params, many, context)
    table = _written_table(sql) if isinstance(sql, str) else None
    if table is not None and _changed_rows(sql, context["cursor"]):
        alias = context["connection"].alias
        bump(alias, lazily=True)
        if table.startswith(AUTH_TABLES):
            bump_auth(alias)
    return result


_IGNORED_CONFLICT = re.compile(r"ON\s+CONFLICT\s+DO\s+NOTHING|^\s*INSERT\s+OR\s+IGNORE", re.IGNORECASE)


def _changed_rows(sql: str, cursor) -> bool:
    # An INSERT counts as a change whatever the driver says (with RETURNING, SQLite counts rows as they are read),
    # except one that skips conflicting rows (``bulk_create(ignore_conflicts=True)``, adding a group a user is
    # already in): its row count says whether it inserted anything.
    upper = sql.upper()
    if "RETURNING" in upper:
        return True
    if upper.lstrip()[:6] == "INSERT":
        return not _IGNORED_CONFLICT.search(sql) or getattr(cursor, "rowcount", -1) != 0
    return getattr(cursor, "rowcount", -1) != 0


def install(connection: BaseDatabaseWrapper, **kwargs) -> None:
    """``connection_created`` receiver: watch the writes of every new database connection."""
    if watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(watch_writes)


def after_migrate(using: str = "default", **kwargs) -> None:
    """``post_migrate`` receiver: a migration may have changed data without a tracked statement."""
    setattr(connections[using], _READY, None)
    setattr(connections[using], _AUTH_READY, None)
    bump(using)
    bump_auth(using)
