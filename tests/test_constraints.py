"""Every database rule of the tracker, tested in the database.

Each ``CheckConstraint``, ``UniqueConstraint`` and ``unique=True`` column of the project's models has a case here:
a write straight to the database (``QuerySet.update`` or ``bulk_create``, bypassing ``full_clean()`` as a bulk
import, a restore or a bug would) that the database must refuse with ``IntegrityError`` naming that very rule (the
constraint's name, or for a unique rule its columns), so that a test cannot pass because some other rule fired.
The cases run on SQLite and, marked ``postgres``, on PostgreSQL. ``test_every_constraint_has_a_case`` walks the
models and fails when a rule is added without a case here.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from commitments.choices import PolicyArea, Status, UpdateKind
from commitments.models import Agreement, Commitment, Milestone, StatusUpdate
from commitments.services import status_update_withdraw
from commitments.tests.factories import (
    AgreementFactory,
    CommitmentFactory,
    SourceDocumentFactory,
    StatusUpdateFactory,
)
from core.models import SourceDocument
from dialogues.choices import NotificationKind
from dialogues.models import Contact, DialogueBody, FlagNotification, Meeting, OverdueFlag
from dialogues.tests.factories import (
    ContactFactory,
    DialogueBodyFactory,
    FlagNotificationFactory,
    MeetingFactory,
    OverdueFlagFactory,
)
from subscriptions.choices import FollowKind
from subscriptions.models import Digest, Follow, FollowerSettings
from subscriptions.tests.factories import DigestFactory, FollowerSettingsFactory, FollowFactory
from webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from webhooks.tests.factories import WebhookAttemptFactory, WebhookDeliveryFactory, WebhookFactory

pytestmark = pytest.mark.django_db

PROJECT_APPS = {"core", "commitments", "dialogues", "dashboards", "subscriptions", "webhooks", "tracker", "bench"}

Write = Callable[[], object]
CASES: dict[str, tuple[type[models.Model], Callable[[], Write]]] = {}


def case(model: type[models.Model], rule: str):
    """Register the case for ``rule`` (a constraint name, or the name of a ``unique=True`` field) of ``model``: a
    function that sets up valid rows and returns the one write that breaks exactly that rule."""

    def register(setup: Callable[[], Write]) -> Callable[[], Write]:
        key = f"{model._meta.label}.{rule}"
        assert key not in CASES, key
        CASES[key] = (model, setup)
        return setup

    return register


def _update(instance: models.Model, **values) -> Write:
    return lambda: type(instance).objects.filter(pk=instance.pk).update(**values)


def _insert(*rows: models.Model) -> Write:
    return lambda: type(rows[0]).objects.bulk_create(list(rows))


# --- commitments -------------------------------------------------------------------------------------------------


@case(Agreement, "agreement_in_force_not_before_signature")
def _():
    return _update(AgreementFactory(signed_on=dt.date(2019, 2, 1)), in_force_on=dt.date(2019, 1, 31))


for _fact in ("signed_on", "in_force_on"):

    @case(Agreement, f"agreement_{_fact}_assumed_has_reason")
    def _(fact=_fact):
        agreement = AgreementFactory(in_force_on=dt.date(2019, 3, 1))
        return _update(agreement, **{f"{fact}_basis": "assumed", f"{fact}_reason": "", f"{fact}_source": None})

    @case(Agreement, f"agreement_{_fact}_stated_has_source")
    def _(fact=_fact):
        agreement = AgreementFactory(in_force_on=dt.date(2019, 3, 1))
        return _update(agreement, **{f"{fact}_basis": "stated", f"{fact}_source": None})

    @case(Agreement, f"agreement_{_fact}_precision_valid")
    def _(fact=_fact):
        return _update(AgreementFactory(in_force_on=dt.date(2019, 3, 1)), **{f"{fact}_precision": "week"})


# --- commitments: milestones, where it was made, who must act (issue 16) ------------------------------------------


@case(Commitment, "commitment_actor_valid")
def _():
    return _update(CommitmentFactory(), actor="china")


@case(Commitment, "commitment_progress_source_valid")
def _():
    return _update(CommitmentFactory(), progress_source="guess")


@case(Commitment, "commitment_made_at_source_needs_a_meeting")
def _():
    return _update(CommitmentFactory(), made_at_locator="§2")


for _date in ("status_changed", "last_reviewed", "target_date"):

    @case(Commitment, f"commitment_{_date}_precision_valid")
    def _(date=_date):
        return _update(CommitmentFactory(), **{f"{date}_precision": "week"})


@case(StatusUpdate, "statusupdate_evidence_date_precision_valid")
def _():
    return _insert(_history_entry(evidence_date=dt.date(2020, 5, 1), evidence_date_precision="week"))


@case(StatusUpdate, "statusupdate_party_status_with_its_party")
def _():
    return _insert(_history_entry(party="eu", party_status=""))


@case(StatusUpdate, "statusupdate_milestone_entry_names_its_milestone")
def _():
    return _insert(_history_entry(kind=UpdateKind.MILESTONE, milestone=None))


def _milestone() -> Milestone:
    from commitments.tests.factories import MilestoneFactory

    return MilestoneFactory(due_on=dt.date(2025, 5, 1), due_on_precision="month")


@case(Milestone, "milestone_done_needs_evidence")
def _():
    return _update(_milestone(), done_on=dt.date(2025, 5, 2))


@case(Milestone, "milestone_weight_1_1000")
def _():
    return _update(_milestone(), weight=1001)


@case(Milestone, "milestone_withdrawal_has_reason")
def _():
    return _update(_milestone(), withdrawn_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), withdrawal_reason="")


@case(Milestone, "milestone_due_by_ends_due_period")
def _():
    return _update(_milestone(), due_by=dt.date(2025, 4, 30))


@case(Milestone, "milestone_due_on_precision_valid")
def _():
    return _update(_milestone(), due_on_precision="week")


@case(Agreement, "code")
def _():
    AgreementFactory(code="SPA")
    return _update(AgreementFactory(code="EPA"), code="SPA")


@case(Commitment, "commitment_progress_0_100")
def _():
    return _update(CommitmentFactory(), status=Status.IN_PROGRESS, progress=101)


@case(Commitment, "commitment_achieved_is_100")
def _():
    return _update(CommitmentFactory(), status=Status.ACHIEVED, progress=99)


@case(Commitment, "reference")
def _():
    CommitmentFactory(reference="SPA §1")
    return _update(CommitmentFactory(reference="SPA §2"), reference="SPA §1")


def _history_entry(**values) -> StatusUpdate:
    """A history row written straight to the table, next in line after the factory's first update (StatusUpdate
    rows are inserted, never updated: PostgreSQL's triggers refuse any UPDATE of the history)."""
    first = StatusUpdateFactory(status=Status.IN_PROGRESS, progress=40)
    defaults = {"commitment": first.commitment, "version": 2, "status": Status.IN_PROGRESS, "note": "direct write"}
    return StatusUpdate(**{**defaults, **values})


@case(StatusUpdate, "statusupdate_one_per_version")
def _():
    return _insert(_history_entry(version=1))


@case(StatusUpdate, "statusupdate_progress_0_100")
def _():
    return _insert(_history_entry(progress=101))


@case(StatusUpdate, "statusupdate_achieved_is_100")
def _():
    return _insert(_history_entry(status=Status.ACHIEVED, progress=99, evidence_reference="Joint statement"))


@case(StatusUpdate, "statusupdate_achieved_needs_evidence")
def _():
    return _insert(_history_entry(status=Status.ACHIEVED, progress=100))


@case(StatusUpdate, "statusupdate_withdrawal_names_its_entry")
def _():
    return _insert(_history_entry(kind=UpdateKind.WITHDRAWAL, withdraws=None))


@case(StatusUpdate, "withdraws")
def _():
    first = StatusUpdateFactory()
    status_update_withdraw(update=first, expected_version=1, author=first.author, reason="Wrong commitment.")
    again = StatusUpdate(
        commitment=first.commitment,
        version=3,
        kind=UpdateKind.WITHDRAWAL,
        status=Status.NOT_STARTED,
        note="Withdrawn twice.",
        withdraws=first,
    )
    return _insert(again)


@case(SourceDocument, "key")
def _():
    SourceDocumentFactory(key="SPA-2018")
    return _update(SourceDocumentFactory(key="EPA-2018"), key="SPA-2018")


# --- dialogues ---------------------------------------------------------------------------------------------------

for _fact in ("cadence", "level", "reports_to", "established_on"):

    @case(DialogueBody, f"body_{_fact}_assumed_has_reason")
    def _(fact=_fact):
        return _update(
            DialogueBodyFactory(), **{f"{fact}_basis": "assumed", f"{fact}_reason": "", f"{fact}_source": None}
        )

    @case(DialogueBody, f"body_{_fact}_stated_has_source")
    def _(fact=_fact):
        return _update(DialogueBodyFactory(), **{f"{fact}_basis": "stated", f"{fact}_source": None})


@case(DialogueBody, "body_established_on_precision_valid")
def _():
    return _update(DialogueBodyFactory(), established_on_precision="week")


@case(DialogueBody, "body_cadence_1_120_months")
def _():
    return _update(DialogueBodyFactory(), cadence_months=121)


@case(DialogueBody, "body_grace_at_most_365_days")
def _():
    return _update(DialogueBodyFactory(), grace_days=366)


@case(DialogueBody, "short_name")
def _():
    DialogueBodyFactory(short_name="SUMMIT")
    return _update(DialogueBodyFactory(short_name="CYBER"), short_name="SUMMIT")


@case(Contact, "contact_unique_email_per_body")
def _():
    contact = ContactFactory(email="desk@example.eu")
    return _insert(Contact(body=contact.body, name="Another desk officer", email="desk@example.eu"))


@case(Meeting, "meeting_held_on_precision_valid")
def _():
    return _update(MeetingFactory(), held_on_precision="week")


@case(Meeting, "meeting_unique_body_day")
def _():
    meeting = MeetingFactory()
    return _insert(Meeting(body=meeting.body, held_on=meeting.held_on, place="Brussels"))


@case(Meeting, "meeting_withdrawal_has_reason")
def _():
    return _update(MeetingFactory(), withdrawn_at=timezone.now(), withdrawal_reason="")


@case(OverdueFlag, "one_open_overdue_flag_per_body")
def _():
    flag = OverdueFlagFactory()
    second = OverdueFlag(
        body=flag.body, due_on=flag.due_on, overdue_since=flag.overdue_since, days_overdue_at_opening=70
    )
    return _insert(second)


@case(FlagNotification, "flag_notification_once")
def _():
    notice = FlagNotificationFactory()
    return _insert(FlagNotification(flag=notice.flag, kind=notice.kind, sequence=0, claim_token=uuid.uuid4()))


@case(FlagNotification, "flag_notification_sequence_matches_kind")
def _():
    return _update(FlagNotificationFactory(kind=NotificationKind.OPENED, sequence=0), sequence=1)


# --- subscriptions -----------------------------------------------------------------------------------------------

for _kind, _target in (
    (FollowKind.COMMITMENT, "commitment"),
    (FollowKind.BODY, "body"),
    (FollowKind.AGREEMENT, "agreement"),
    (FollowKind.AREA, "area"),
):

    @case(Follow, f"follow_once_per_{_target}")
    def _(kind=_kind, target=_target):
        traits = {FollowKind.BODY: "of_body", FollowKind.AGREEMENT: "of_agreement", FollowKind.AREA: "of_area"}
        follow = FollowFactory(**({traits[kind]: True} if kind in traits else {}))
        return _insert(Follow(user=follow.user, kind=kind, **{target: getattr(follow, target)}))


@case(Follow, "follow_target_fits_kind")
def _():
    return _update(FollowFactory(), kind=FollowKind.AREA, area=PolicyArea.CYBER)  # a commitment too


@case(FollowerSettings, "user")
def _():
    settings = FollowerSettingsFactory()
    return _insert(FollowerSettings(user=settings.user))


@case(FollowerSettings, "calendar_token")
def _():
    first = FollowerSettingsFactory()
    return _update(FollowerSettingsFactory(), calendar_token=first.calendar_token)


@case(Digest, "digest_once_per_user_and_period")
def _():
    digest = DigestFactory()
    duplicate = Digest(
        user=digest.user,
        due_on=digest.due_on,
        period_start=digest.period_start,
        period_end=digest.period_end,
        claim_token=uuid.uuid4(),
    )
    return _insert(duplicate)


# --- webhooks ----------------------------------------------------------------------------------------------------


@case(Webhook, "name")
def _():
    WebhookFactory(name="integrator-a")
    return _update(WebhookFactory(name="integrator-b"), name="integrator-a")


@case(WebhookDelivery, "webhook_delivery_once")
def _():
    delivery = WebhookDeliveryFactory()
    return _insert(
        WebhookDelivery(
            webhook=delivery.webhook,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            payload=delivery.payload,
        )
    )


@case(WebhookAttempt, "webhook_attempt_number_once")
def _():
    attempt = WebhookAttemptFactory(number=1)
    return _insert(WebhookAttempt(delivery=attempt.delivery, number=1, outcome=attempt.outcome))


# --- the checks --------------------------------------------------------------------------------------------------


def _rule(model: type[models.Model], name: str) -> models.BaseConstraint | models.Field:
    for constraint in model._meta.constraints:
        if constraint.name == name:
            return constraint
    return model._meta.get_field(name)


def _columns(model: type[models.Model], rule) -> list[str]:
    names = rule.fields if isinstance(rule, models.UniqueConstraint) else [rule.name]
    return [model._meta.get_field(name).column for name in names]


def _refused_by(exc: IntegrityError, model: type[models.Model], rule) -> bool:
    """Whether the database's refusal names ``rule``: PostgreSQL reports the constraint's name (for a unique
    column, its key); SQLite names a check constraint, and a unique rule by its table's columns."""
    diag = getattr(exc.__cause__, "diag", None)
    if diag is not None:  # PostgreSQL (psycopg)
        if isinstance(rule, models.Field):
            return (diag.message_detail or "").startswith(f"Key ({_columns(model, rule)[0]})=")
        return diag.constraint_name == rule.name
    message = str(exc)
    if isinstance(rule, models.CheckConstraint):
        return message == f"CHECK constraint failed: {rule.name}"
    table = model._meta.db_table
    return message == "UNIQUE constraint failed: " + ", ".join(f"{table}.{c}" for c in _columns(model, rule))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request) -> str:
    """The database the case runs on: each variant runs in the test run on that database (``DATABASE_URL``)."""
    if request.param == "sqlite" and connection.vendor != "sqlite":
        pytest.skip("this run is on PostgreSQL: the postgresql variant tests the rule there")
    return request.param


@pytest.mark.parametrize("key", sorted(CASES))
def test_the_database_refuses_a_direct_write_that_breaks_the_rule(database, key):
    model, setup = CASES[key]
    write = setup()
    rule = _rule(model, key.rsplit(".", 1)[1])
    before = list(model.objects.order_by("pk").values())
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        write()
    assert _refused_by(refused.value, model, rule), f"refused, but not by {key}: {refused.value}"
    assert list(model.objects.order_by("pk").values()) == before  # nothing was written


@pytest.mark.parametrize(
    ("values", "allowed"),
    [
        ({"cadence_months": 1}, True),
        ({"cadence_months": 120}, True),
        ({"cadence_months": None}, True),  # meets ad hoc
        ({"cadence_months": 0}, False),
        ({"cadence_months": 121}, False),
        ({"grace_days": 0}, True),
        ({"grace_days": 365}, True),
        ({"grace_days": 366}, False),
    ],
)
def test_the_cadence_is_1_to_120_months_and_the_grace_at_most_a_year_in_the_database(database, values, allowed):
    body = DialogueBodyFactory()
    write = _update(body, **values)
    if allowed:
        write()
        body.refresh_from_db()
        assert all(getattr(body, name) == value for name, value in values.items())
        return
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


def test_the_database_and_full_clean_agree_on_the_cadence_bounds():
    """The form, the API and the services (full_clean) refuse what the database refuses, with the field named."""
    from django.core.exceptions import ValidationError

    for values, field in (({"cadence_months": 0}, "cadence_months"), ({"grace_days": 366}, "grace_days")):
        body = DialogueBodyFactory.build(source_document=SourceDocumentFactory(), **values)
        with pytest.raises(ValidationError) as refused:
            body.full_clean()
        assert field in refused.value.message_dict


def _project_rules() -> set[str]:
    rules = set()
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS or model._meta.label.split(".")[1].startswith("Historical"):
            continue
        rules |= {f"{model._meta.label}.{c.name}" for c in model._meta.constraints}
        rules |= {f"{model._meta.label}.{f.name}" for f in model._meta.local_fields if f.unique and not f.primary_key}
    return rules


def test_every_constraint_has_a_case():
    """A new CheckConstraint, UniqueConstraint or unique column fails here until it has a database-level case."""
    rules = _project_rules()
    assert sorted(rules - set(CASES)) == [], "database rules without a case in tests/test_constraints.py"
    assert sorted(set(CASES) - rules) == [], "cases for rules that no longer exist"
