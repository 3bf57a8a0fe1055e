"""Backup and restore of everything the tracker holds, as one JSON file.

What is in a backup: every row of every table the application owns or relies on: frameworks, commitments and
their status history, dialogue bodies, meetings, contacts and overdue flags, the audit (historical) tables, users
(with password hashes), groups and their members, API tokens, the admin's action log and the sign-in attempt log.
Users, groups and permissions are written with natural keys (username, group name, codename), so that the file
does not depend on the numbering of rows that migrations create. What is not: content types and permissions
(``migrate`` recreates them) and sessions (everyone signs in again after a restore).

A restore writes only into an empty database (migrated, no users and no tracker data) that has exactly the
migrations the backup was taken with, inserts every row in one transaction (the append-only history is inserted,
never updated), and then checks that every table holds exactly as many rows as the backup says. Anything else is
refused with a clear message and nothing written.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from django.apps import apps
from django.core import serializers
from django.core.management import call_command
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.migrations.recorder import MigrationRecorder

FORMAT = "eu-japan-tracker-backup"
FORMAT_VERSION = 1

# Recreated by `migrate` (content types, permissions), deliberately not kept (sessions), or derived: beat's
# "schedule last changed" marker, which loading the schedule sets anyway (so beat re-reads it), and the data and
# sign-in generations of the answer cache (core.generation; on SQLite a table), which the restore's own writes move.
NOT_BACKED_UP = {
    "contenttypes.contenttype",
    "auth.permission",
    "sessions.session",
    "django_celery_beat.periodictasks",
    "core.datageneration",
}
# Tables that a freshly migrated database already fills (the role groups of core/0002_create_roles, the
# daily sweep of dialogues/0003_daily_overdue_sweep_schedule): they do not make it "not empty", and a restore
# replaces their rows with the backup's, which may have been edited since.
CREATED_BY_MIGRATIONS_APPS = {"django_celery_beat"}
CREATED_BY_MIGRATIONS_MODELS = {"auth.group"}


def created_by_migrations(model) -> bool:
    return (
        model._meta.label_lower in CREATED_BY_MIGRATIONS_MODELS or model._meta.app_label in CREATED_BY_MIGRATIONS_APPS
    )


class ExactJSONEncoder(DjangoJSONEncoder):
    """Django's encoder, except that times keep their microseconds (Django's rounds them to milliseconds)."""

    def default(self, o):
        if isinstance(o, dt.datetime | dt.time):
            return o.isoformat()
        return super().default(o)


class BackupError(Exception):
    """The backup cannot be written or restored; the message says why. Nothing was changed."""


def backed_up_models() -> list:
    """Every concrete model that a backup holds, in an order that loads (natural-key dependencies first)."""
    app_list = []
    for app_config in apps.get_app_configs():
        models = [
            model
            for model in app_config.get_models()
            if model._meta.label_lower not in NOT_BACKED_UP and not model._meta.proxy and model._meta.managed
        ]
        if models:
            app_list.append((app_config, models))
    return serializers.sort_dependencies(app_list, allow_cycles=True)


def _serialize(model) -> list[dict]:
    queryset = model._base_manager.order_by(model._meta.pk.name)
    return serializers.serialize(
        "python", queryset.iterator(), use_natural_foreign_keys=True, use_natural_primary_keys=True
    )


def applied_migrations(using: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app_label, name in sorted(MigrationRecorder(connections[using]).applied_migrations()):
        applied.setdefault(app_label, []).append(name)
    return applied


def snapshot(models: Iterable | None = None) -> dict[str, list]:
    """The full content of every backed-up table, serialised the way a backup stores it (for comparisons)."""
    return {model._meta.label_lower: _serialize(model) for model in (models or backed_up_models())}


def backup_write(stream: IO[str]) -> dict[str, int]:
    """Write a backup of the whole database to ``stream``; return the number of rows of each table.

    Read in one repeatable-read snapshot on PostgreSQL, so that a backup taken while people work is consistent.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    starts_transaction = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and starts_transaction:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        objects: list[dict] = []
        counts: dict[str, int] = {}
        for model in backed_up_models():
            rows = _serialize(model)
            counts[model._meta.label_lower] = len(rows)
            objects.extend(rows)
        document = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "database_vendor": connection.vendor,
            "migrations": applied_migrations(),
            "counts": counts,
            "objects": objects,
        }
    json.dump(document, stream, cls=ExactJSONEncoder, ensure_ascii=False)
    return counts


def backup_to_file(path: str | os.PathLike) -> dict[str, int]:
    """Write a backup to ``path`` atomically, readable by its owner only (it holds password hashes and tokens)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.chmod(temporary, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            counts = backup_write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return counts


def read_backup(path: str | os.PathLike) -> dict:
    try:
        with open(path, encoding="utf-8") as stream:
            document = json.load(stream)
    except FileNotFoundError as exc:
        raise BackupError(f"No backup file at {path}.") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BackupError(f"{path} is not a complete backup (unreadable JSON: {exc}).") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupError(f"{path} is not an EU–Japan tracker backup.")
    if document.get("version") != FORMAT_VERSION:
        raise BackupError(f"{path} has backup format version {document.get('version')}; this code reads version 1.")
    for key in ("migrations", "counts", "objects"):
        if key not in document:
            raise BackupError(f"{path} is incomplete: it has no '{key}'.")
    found: dict[str, int] = {}
    for row in document["objects"]:
        found[row.get("model", "")] = found.get(row.get("model", ""), 0) + 1
    declared = {label: count for label, count in document["counts"].items() if count}
    if found != declared:
        raise BackupError(f"{path} is damaged: the rows it holds do not match the counts it declares.")
    return document


def non_empty_tables() -> list[str]:
    """The backed-up tables that already hold data (other than what migrations create)."""
    return [
        model._meta.label_lower
        for model in backed_up_models()
        if not created_by_migrations(model) and model._base_manager.exists()
    ]


def restore_from_file(path: str | os.PathLike) -> dict[str, int]:
    """Load a backup into this (empty, migrated) database; return the row counts. All or nothing."""
    document = read_backup(path)
    current = applied_migrations()
    if document["migrations"] != current:
        in_backup = {(app, name) for app, names in document["migrations"].items() for name in names}
        here = {(app, name) for app, names in current.items() for name in names}
        missing = sorted(f"{app}.{name}" for app, name in in_backup - here)
        extra = sorted(f"{app}.{name}" for app, name in here - in_backup)
        raise BackupError(
            "The database's migrations differ from the backup's. "
            f"Missing here: {', '.join(missing) or 'none'}; not in the backup: {', '.join(extra) or 'none'}. "
            "Restore with the version of the tracker that made the backup, then upgrade with `migrate`."
        )
    occupied = non_empty_tables()
    if occupied:
        raise BackupError(
            "Restore only into an empty database (create it, run `migrate`, then restore). "
            f"These tables already hold data: {', '.join(occupied)}."
        )
    with tempfile.TemporaryDirectory() as folder:
        fixture = Path(folder) / "backup.json"
        fixture.write_text(json.dumps(document["objects"], ensure_ascii=False), encoding="utf-8")
        with transaction.atomic():
            # Dependants first: a schedule's task before the schedule.
            for model in reversed(backed_up_models()):
                if created_by_migrations(model):
                    model._base_manager.all().delete()
            try:
                with transaction.atomic():
                    call_command("loaddata", str(fixture), verbosity=0)
            except (DatabaseError, DeserializationError) as exc:
                raise BackupError(f"The backup could not be loaded, so nothing was restored: {exc}") from exc
            restored = {model._meta.label_lower: model._base_manager.count() for model in backed_up_models()}
            expected = {label: document["counts"].get(label, 0) for label in restored}
            if restored != expected:
                wrong = {
                    label: (expected[label], restored[label])
                    for label in restored
                    if restored[label] != expected[label]
                }
                raise BackupError(f"The restore did not reproduce the backup (expected, found): {wrong}. Rolled back.")
    return restored
