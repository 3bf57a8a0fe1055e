"""A tiny publish/subscribe registry: domain services announce what happened, higher layers listen.

The domain apps (commitments, dialogues) must not import the apps built on top of them (subscriptions, webhooks),
yet those apps need to hear about a status update or a meeting. A service calls :func:`publish_on_commit`
explicitly, inside its transaction, and the subscribers run once that transaction has committed (never for a
write that was rolled back). Subscribers register themselves in their ``AppConfig.ready()``. No Django signals:
the call is in the action function, where a reader sees it.

Event types are plain strings, ``<entity>.<what happened>``: ``status_update.created``, ``status_update.withdrawn``,
``meeting.recorded``, ``meeting.withdrawn``, ``body.overdue``, ``commitment.changed``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

Subscriber = Callable[[str, list[Any]], None]

_subscribers: list[Subscriber] = []


def subscribe(subscriber: Subscriber) -> Subscriber:
    """Register ``subscriber(event_type, objects)``; registering the same function twice is harmless."""
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)
    return subscriber


def unsubscribe(subscriber: Subscriber) -> None:
    """Remove a subscriber (tests)."""
    if subscriber in _subscribers:
        _subscribers.remove(subscriber)


def publish_on_commit(event_type: str, *objects: Any) -> None:
    """Announce ``event_type`` about ``objects`` once the current transaction commits (at once outside one).

    An object may be a lazy QuerySet (e.g. "the bodies this sweep flagged"): subscribers iterate it after the
    commit, and only if they need to (:func:`expand`), so an event nobody listens to costs no query.

    Nothing is published for no objects. A subscriber that fails is logged and never undoes the committed write
    nor keeps the other subscribers from hearing the event.
    """
    if not objects:
        return
    items = list(objects)
    transaction.on_commit(lambda: dispatch(event_type, items))


def expand(objects: list[Any]) -> list[Any]:
    """The objects of an event with any QuerySet among them evaluated (for subscribers)."""
    from django.db.models import QuerySet

    found: list[Any] = []
    for obj in objects:
        found.extend(obj) if isinstance(obj, QuerySet) else found.append(obj)
    return found


def dispatch(event_type: str, objects: list[Any]) -> None:
    """Call every subscriber with the event now (what :func:`publish_on_commit` does after commit)."""
    for subscriber in list(_subscribers):
        try:
            subscriber(event_type, objects)
        except Exception:
            logger.exception("Subscriber %s failed on %s", getattr(subscriber, "__qualname__", subscriber), event_type)
