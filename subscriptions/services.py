"""Writes for following: follow and unfollow, the follower's settings, the calendar token, the weekly digest.

The digest claims before it sends, exactly as the overdue notices do (``dialogues.services``): one
:class:`Digest` row per (user, digest day), inserted with ``ON CONFLICT DO NOTHING`` under a run token, so of
two runs at once only one holds each digest and only the holder sends it, after commit.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from commitments.choices import PolicyArea
from commitments.models import Agreement, Commitment
from dialogues.models import DialogueBody

from .choices import DigestStatus, FollowKind
from .models import TARGET_FIELDS, Digest, Follow, FollowerSettings, new_calendar_token
from .selectors import DigestContent, digest_content, scope_of

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "subscriptions.digest.unsubscribe"


# --- Following ----------------------------------------------------------------------------------------------------


def follow_target(*, kind: str, key: str) -> Any:
    """The object (or policy area code) that ``kind`` and ``key`` name: a commitment id, a body's short name, a
    framework's code or a policy area code. Raises ``ValidationError`` if there is none."""
    try:
        kind = FollowKind(kind)
    except ValueError as exc:
        raise ValidationError({"kind": "Unknown kind of follow."}) from exc
    key = (key or "").strip()
    found = None
    if kind == FollowKind.COMMITMENT and key.isdigit() and len(key) < 19:
        found = Commitment.objects.filter(pk=int(key)).first()
    elif kind == FollowKind.BODY:
        found = DialogueBody.objects.filter(short_name=key).first()
    elif kind == FollowKind.AGREEMENT:
        found = Agreement.objects.filter(code=key).first()
    elif kind == FollowKind.AREA and key in PolicyArea.values:
        found = key
    if found is None:
        raise ValidationError({"target": f"There is no {kind.label.lower()} {key!r} to follow."})
    return found


def follower_settings_for(*, user) -> FollowerSettings:
    """The user's follower settings, created with the defaults (digest on Mondays) the first time."""
    return FollowerSettings.objects.get_or_create(user=user)[0]


def follow_add(*, user, kind: str, target: Any) -> tuple[Follow, bool]:
    """Follow ``target`` (a model instance, or a policy area code for ``area``); (follow, created). Following
    twice is harmless: the database's unique constraints keep one follow, and the existing one is returned."""
    kind = FollowKind(kind)
    values = {TARGET_FIELDS[kind]: target}
    follower_settings_for(user=user)
    existing = Follow.objects.filter(user=user, kind=kind, **values).first()
    if existing:
        return existing, False
    follow = Follow(user=user, kind=kind, **values)
    follow.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            follow.save()
    except IntegrityError:  # followed at the same moment from another tab
        return Follow.objects.get(user=user, kind=kind, **values), False
    return follow, True


def follow_remove(*, user, kind: str, target: Any) -> int:
    """Stop following ``target``; how many follows were removed (0 or 1)."""
    kind = FollowKind(kind)
    deleted, _ = Follow.objects.filter(user=user, kind=kind, **{TARGET_FIELDS[kind]: target}).delete()
    return deleted


def follower_settings_update(*, user, digest_weekday: int | None) -> FollowerSettings:
    """Choose the digest's weekday (0 Monday ... 6 Sunday) or ``None`` for no digest."""
    if digest_weekday is not None and digest_weekday not in range(7):
        raise ValidationError({"digest_weekday": "Choose a day of the week, or no digest."})
    follower = follower_settings_for(user=user)
    follower.digest_weekday = digest_weekday
    follower.save(update_fields=["digest_weekday"])
    return follower


def calendar_token_rotate(*, user) -> FollowerSettings:
    """Give the user's calendar feed a new secret address; the old one stops working at once."""
    follower = follower_settings_for(user=user)
    follower.calendar_token = new_calendar_token()
    follower.calendar_token_rotated_at = timezone.now()
    follower.save(update_fields=["calendar_token", "calendar_token_rotated_at"])
    return follower


# --- Unsubscribing without signing in -----------------------------------------------------------------------------


def unsubscribe_token(*, user) -> str:
    """A signed token (``django.core.signing``, keyed with SECRET_KEY) that switches ``user``'s digest off."""
    return signing.dumps({"u": user.pk}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_url(*, user) -> str:
    return settings.SITE_URL + reverse("subscriptions:unsubscribe", args=[unsubscribe_token(user=user)])


def unsubscribe_user(*, token: str):
    """The user a token was signed for; raises ``signing.BadSignature`` for a forged or damaged one."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    user = get_user_model().objects.filter(pk=data.get("u") if isinstance(data, dict) else None).first()
    if user is None:
        raise signing.BadSignature("No such user.")
    return user


def digest_unsubscribe(*, token: str) -> FollowerSettings:
    """Switch off the digest of the user ``token`` was signed for (one click, no sign-in). Raises
    ``signing.BadSignature`` for a forged token, with nothing changed."""
    user = unsubscribe_user(token=token)
    follower = follower_settings_for(user=user)
    follower.digest_weekday = None
    follower.unsubscribed_at = timezone.now()
    follower.save(update_fields=["digest_weekday", "unsubscribed_at"])
    return follower


# --- The weekly digest --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestRunSummary:
    """What one run of :func:`digests_run` did."""

    on: date
    claimed: int
    sent: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"on": self.on.isoformat(), "claimed": self.claimed, "sent": self.sent}


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def digests_run(*, on: date | None = None) -> DigestRunSummary:
    """Claim the digests due on ``on`` (default: today in Brussels) for every user whose digest day it is and who
    follows something, take over digests an earlier run claimed and never sent (lease run out), and send them
    after commit. Each covers the time since the user's previous digest (at most the last 7 days the first time)
    up to the start of ``on``.

    Safe to run twice and twice at once: the (user, due_on) key lets only one run claim each digest.
    """
    on = on or timezone.localdate()
    now = timezone.now()
    run = uuid.uuid4()
    end = _start_of(on)
    sent: list[int] = []
    with transaction.atomic():
        due_users = list(
            FollowerSettings.objects.filter(
                digest_weekday=on.weekday(), user__is_active=True, user__follows__isnull=False
            )
            .values_list("user_id", flat=True)
            .distinct()
        )
        previous = dict(
            Digest.objects.filter(user_id__in=due_users, due_on__lt=on)
            .exclude(status=DigestStatus.PENDING)
            .order_by("user_id", "due_on")
            .values_list("user_id", "period_end")
        )  # the latest per user wins (ordered by due_on)
        Digest.objects.bulk_create(
            [
                Digest(
                    user_id=user_id,
                    due_on=on,
                    period_start=max(previous.get(user_id) or end - timedelta(days=7), end - timedelta(days=35)),
                    period_end=end,
                    claim_token=run,
                    claimed_at=now,
                )
                for user_id in due_users
            ],
            ignore_conflicts=True,
        )
        stale = Digest.objects.filter(
            status=DigestStatus.PENDING, claimed_at__lt=now - timedelta(minutes=settings.DIGEST_LEASE_MINUTES)
        )
        stale.filter(attempts__gte=settings.DIGEST_MAX_ATTEMPTS).update(status=DigestStatus.FAILED)
        # Conditional: of two runs taking over one stale digest, the second finds it re-claimed already.
        stale.filter(attempts__lt=settings.DIGEST_MAX_ATTEMPTS).update(
            claim_token=run, claimed_at=now, attempts=F("attempts") + 1
        )
        claimed = Digest.objects.filter(claim_token=run, status=DigestStatus.PENDING).count()
        if claimed:
            transaction.on_commit(lambda: sent.append(digests_send(claim_token=run)), robust=True)
    summary = DigestRunSummary(on=on, claimed=claimed, sent=sum(sent))
    logger.info("Digest run %s for %s: %d claimed, %d sent", run, on, summary.claimed, summary.sent)
    return summary


def digests_send(*, claim_token: uuid.UUID) -> int:
    """Send the digests claimed under ``claim_token``; mark each sent right after the server accepted it.

    A digest with nothing to report is marked ``empty`` and sends no e-mail; a user with no address is marked
    ``no_address``. A failure leaves the digest pending for a later run (after the lease).
    """
    digests = list(
        Digest.objects.filter(claim_token=claim_token, status=DigestStatus.PENDING)
        .select_related("user")
        .order_by("pk")
    )
    if not digests:
        return 0
    sent = 0
    connection = None
    try:
        for digest in digests:
            content = digest_content(
                scope=scope_of(user=digest.user), start=digest.period_start, end=digest.period_end
            )
            if not content.count:
                Digest.objects.filter(pk=digest.pk).update(status=DigestStatus.EMPTY, items=0)
                continue
            if not digest.user.email:
                Digest.objects.filter(pk=digest.pk).update(status=DigestStatus.NO_ADDRESS, items=content.count)
                continue
            try:
                if connection is None:
                    connection = get_connection()
                    connection.open()
                digest_email(digest=digest, content=content, connection=connection).send()
            except Exception as exc:  # SMTP down or refusing: a later run takes it over after the lease
                logger.exception("Could not send %s", digest)
                Digest.objects.filter(pk=digest.pk).update(last_error=f"{exc.__class__.__name__}: {exc}"[:2000])
                connection = None
                continue
            Digest.objects.filter(pk=digest.pk).update(
                status=DigestStatus.SENT,
                sent_at=timezone.now(),
                items=content.count,
                recipient=digest.user.email,
                last_error="",
            )
            sent += 1
    finally:
        if connection is not None:
            connection.close()
    return sent


def digest_email(*, digest: Digest, content: DigestContent, connection=None) -> EmailMultiAlternatives:
    """The digest as an e-mail: plain text and HTML, links to the tracker, a signed one-click unsubscribe."""
    user = digest.user
    unsubscribe = unsubscribe_url(user=user)
    context = {
        "user": user,
        "digest": digest,
        "content": content,
        "site_url": settings.SITE_URL,
        "following_url": settings.SITE_URL + reverse("subscriptions:following"),
        "unsubscribe_url": unsubscribe,
        "first_day": timezone.localdate(content.start),
        "last_day": timezone.localdate(content.end) - timedelta(days=1),
    }
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    subject = " ".join(render_to_string("subscriptions/email/digest_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("subscriptions/email/digest_body.txt", context),
        to=[user.email],
        connection=connection,
        headers={
            "Message-ID": f"<digest-{user.pk}-{digest.due_on.isoformat()}@{host}>",
            "Auto-Submitted": "auto-generated",
            "List-Unsubscribe": f"<{unsubscribe}>",
            # RFC 8058: mail programs unsubscribe with one POST, no page, no sign-in.
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(render_to_string("subscriptions/email/digest_body.html", context), "text/html")
    return message
