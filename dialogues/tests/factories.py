"""factory-boy factories for dialogue bodies, contacts, meetings and overdue flags."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from commitments.tests.factories import SourceDocumentFactory
from dialogues.choices import Level, NotificationKind, NotificationStatus
from dialogues.models import Contact, DialogueBody, FlagNotification, Meeting, OverdueFlag
from dialogues.services import dialogue_body_save


class DialogueBodyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DialogueBody
        django_get_or_create = ("short_name",)
        skip_postgeneration_save = True

    short_name = factory.Sequence(lambda n: f"BODY-{n}")
    name = factory.LazyAttribute(lambda b: f"Dialogue {b.short_name}")
    level = Level.SENIOR_OFFICIALS
    cadence_months = 12
    grace_days = 60
    established_on = dt.date(2020, 1, 1)
    active = True
    source_document = factory.SubFactory(SourceDocumentFactory)
    source_locator = "§4"
    # Every fact is stated by the body's own source document unless a trait says it is assumed.
    cadence_basis = factory.LazyAttribute(lambda b: "stated" if b.cadence_months else "")
    cadence_source = factory.LazyAttribute(lambda b: b.source_document if b.cadence_months else None)
    cadence_locator = "§4"
    level_basis = "stated"
    level_source = factory.SelfAttribute("source_document")
    level_locator = "§4"
    reports_to_basis = factory.LazyAttribute(lambda b: "stated" if getattr(b, "reports_to", None) else "")
    reports_to_source = factory.LazyAttribute(lambda b: b.source_document if getattr(b, "reports_to", None) else None)
    established_on_basis = factory.LazyAttribute(lambda b: "stated" if b.established_on else "")
    established_on_source = factory.LazyAttribute(lambda b: b.source_document if b.established_on else None)

    class Params:
        assumed_cadence = factory.Trait(
            cadence_basis="assumed",
            cadence_source=None,
            cadence_locator="",
            cadence_reason="dialogues meet annually",
            cadence_assumed_by="the tracker (its default)",
        )
        ad_hoc = factory.Trait(cadence_months=None)
        inactive = factory.Trait(active=False)
        overdue = factory.Trait(
            established_on=factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=3 * 365))
        )

    @factory.post_generation
    def agreements(self, create, extracted, **kwargs):
        if create and extracted:
            self.agreements.set(extracted)

    @factory.post_generation
    def schedule(self, create, extracted, **kwargs):
        """A created body has its schedule stored, as the services leave it (saving a body does not do that)."""
        if create:
            self.refresh_schedule()


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    body = factory.SubFactory(DialogueBodyFactory)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"desk{n}@example.eu")
    role = "Desk officer"


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting
        skip_postgeneration_save = True

    body = factory.SubFactory(DialogueBodyFactory)
    held_on = factory.Sequence(lambda n: dt.date(2023, 1, 1) + dt.timedelta(days=n))
    place = "Tokyo"
    summary = factory.Faker("sentence")
    source_document = factory.SubFactory(SourceDocumentFactory)
    source_locator = "section 2"

    @factory.post_generation
    def commitments(self, create, extracted, **kwargs):
        if create and extracted:
            self.commitments_advanced.set(extracted)

    @factory.post_generation
    def schedule(self, create, extracted, **kwargs):
        """The body's schedule follows the new meeting, as after ``meeting_record`` (saving does not do that)."""
        if create:
            self.body.refresh_schedule()

    class Params:
        withdrawn = factory.Trait(
            withdrawn_at=factory.LazyFunction(timezone.now), withdrawal_reason="Recorded for the wrong body."
        )


class OverdueFlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OverdueFlag
        skip_postgeneration_save = True

    body = factory.SubFactory(DialogueBodyFactory, overdue=True)
    due_on = factory.LazyAttribute(lambda f: f.body.next_due_on or timezone.localdate())
    overdue_since = factory.LazyAttribute(lambda f: f.due_on + dt.timedelta(days=61))
    days_overdue_at_opening = 61
    next_notice_on = factory.SelfAttribute("overdue_since")

    @factory.post_generation
    def mark_body(obj, create, extracted, **kwargs):
        """The body's ``has_open_flag`` as the services keep it."""
        if create:
            DialogueBody.objects.filter(pk=obj.body_id).update(
                has_open_flag=obj.body.overdue_flags.filter(closed_at=None).exists()
            )

    class Params:
        closed = factory.Trait(closed_at=factory.LazyFunction(timezone.now), close_reason="meeting")


class FlagNotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FlagNotification

    flag = factory.SubFactory(OverdueFlagFactory)
    kind = NotificationKind.OPENED
    sequence = 0
    claim_token = factory.Faker("uuid4", cast_to=None)

    class Params:
        sent = factory.Trait(
            status=NotificationStatus.SENT, sent_at=factory.LazyFunction(timezone.now), recipients="desk@example.eu"
        )


def change_body(body: DialogueBody, *, author=None, **changes) -> DialogueBody:
    """Change fields of ``body`` (e.g. ``cadence_months``) as the admin does: through ``dialogue_body_save``."""
    for name, value in changes.items():
        setattr(body, name, value)
    return dialogue_body_save(body=body, author=author)
