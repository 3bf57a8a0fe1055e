"""An admin change form opened before someone else changed the record is refused (409, nothing saved) instead of
writing the values it was opened with back over theirs, whoever made that change: a staff page, an import, a job,
the person it belongs to, or another administrator (``core.admin_base.StaleFormGuard``).

Each test opens the change page, lets the other change happen, then sends the page back as a browser would, with
one edit of its own."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from commitments.models import Agreement
from commitments.tests.factories import AgreementFactory, SourceDocumentFactory, UserFactory
from core.admin_base import OPENED_STATE, StaleFormGuard
from core.models import SourceDocument
from core.roles import EDITORS
from dialogues.models import Contact, DialogueBody, Meeting
from dialogues.services import meeting_record
from dialogues.tests.factories import ContactFactory, DialogueBodyFactory, MeetingFactory
from imports.tests.support import csv_bytes, run_import
from tests.support import admin_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_admin_client():
    """A second administrator, in a browser of their own (``admin_client`` is pytest-django's)."""
    client = Client()
    client.force_login(UserFactory(admin=True, username="other-root"))
    return client


def change_url(record) -> str:
    opts = record._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk])


def opened(client, record) -> dict:
    """The change page of ``record`` as opened now: what it will send back."""
    return admin_form_data(client.get(change_url(record)))


def assert_refused(response, *changed: str) -> None:
    assert response.status_code == 409, response.status_code
    text = response.content.decode()
    assert "after you opened the form" in text and "nothing was saved" in text
    for label in changed:
        assert label in text, label


def confirm_fact(client, url: str, fact: str) -> None:
    """An editor confirms an assumed fact on its page (opened now) by naming the document that states it."""
    data = {**client.get(url).context["form"].initial, "fact": fact}
    data.update(source_document=SourceDocumentFactory().pk, locator="§2.4")
    assert client.post(url, data).status_code == 302


# -- Other paths change the record while the admin's form is open ---------------------------------------------------


def test_a_stale_framework_form_keeps_a_date_confirmed_on_the_framework_page(admin_client, editor):
    agreement = AgreementFactory(assumed_signature=True)
    form = opened(admin_client, agreement)
    editor_client = Client()
    editor_client.force_login(editor)
    confirm_fact(editor_client, reverse("commitments:agreement_confirm_fact", args=[agreement.code]), "signed_on")

    response = admin_client.post(change_url(agreement), {**form, "title": "Retitled in the admin"})

    assert_refused(response, "Signed on basis")
    stored = Agreement.objects.get(pk=agreement.pk)
    assert (stored.signed_on_basis, stored.signed_on_locator) == ("stated", "§2.4")
    assert stored.title == agreement.title


def test_a_stale_body_form_keeps_a_cadence_confirmed_on_the_body_page(admin_client, editor):
    body = DialogueBodyFactory(assumed_cadence=True)
    form = opened(admin_client, body)
    editor_client = Client()
    editor_client.force_login(editor)
    confirm_fact(editor_client, reverse("dialogues:body_confirm_fact", args=[body.short_name]), "cadence")

    response = admin_client.post(change_url(body), {**form, "eu_lead": "EEAS Deputy Secretary-General"})

    assert_refused(response, "Cadence basis")
    stored = DialogueBody.objects.get(pk=body.pk)
    assert (stored.cadence_basis, stored.cadence_reason, stored.eu_lead) == ("stated", "", body.eu_lead)


def test_a_stale_meeting_form_keeps_a_correction_imported_meanwhile(admin_client, editor):
    meeting = MeetingFactory(place="Tokyo", held_on=dt.date(2024, 5, 1))
    form = opened(admin_client, meeting)
    content = csv_bytes(["body", "held_on", "place"], [[meeting.body.short_name, "2024-05-01", "Osaka"]])
    run_import("meetings", "meetings.csv", content, editor, apply=True)

    response = admin_client.post(change_url(meeting), {**form, "summary": "Written in the admin"})

    assert_refused(response, "Place")
    stored = Meeting.objects.get(pk=meeting.pk)
    assert (stored.place, stored.summary) == ("Osaka", meeting.summary)


def test_a_stale_webhook_form_does_not_switch_a_hook_disabled_meanwhile_back_on(admin_client):
    from webhooks.models import Webhook
    from webhooks.services import webhook_disable
    from webhooks.tests.factories import WebhookFactory

    hook = WebhookFactory(target_url="https://hooks.example.eu/tracker")
    form = opened(admin_client, hook)
    webhook_disable(webhook=hook, reason="20 failed attempts in a row")  # the delivery task gives up on it

    response = admin_client.post(change_url(hook), {**form, "name": "renamed"})

    assert_refused(response, "Active")
    stored = Webhook.objects.get(pk=hook.pk)
    assert (stored.active, stored.name, stored.disabled_reason) == (False, hook.name, "20 failed attempts in a row")


def test_a_stale_settings_form_does_not_subscribe_again_someone_who_switched_the_digest_off(admin_client):
    from subscriptions.models import FollowerSettings
    from subscriptions.tests.factories import FollowerSettingsFactory

    person = UserFactory()
    settings = FollowerSettingsFactory(user=person, digest_weekday=0)
    form = opened(admin_client, settings)
    own = Client()
    own.force_login(person)
    assert own.post(reverse("subscriptions:digest_settings"), {"digest_day": "off"}).status_code == 302

    response = admin_client.post(change_url(settings), form)

    assert_refused(response)
    assert FollowerSettings.objects.get(pk=settings.pk).digest_weekday is None


def test_a_stale_user_form_keeps_a_role_given_meanwhile(admin_client, other_admin_client):
    person = UserFactory(username="desk-officer")
    editors = Group.objects.get_or_create(name=EDITORS)[0]
    form = opened(admin_client, person)
    given = {**opened(other_admin_client, person), "groups": [str(editors.pk)]}
    assert other_admin_client.post(change_url(person), given).status_code == 302

    response = admin_client.post(change_url(person), {**form, "first_name": "Renamed"})

    assert_refused(response, "Groups")
    stored = get_user_model().objects.get(pk=person.pk)
    assert list(stored.groups.all()) == [editors]
    assert stored.first_name == person.first_name


def test_a_stale_periodic_task_form_keeps_a_one_off_task_that_ran_disabled(admin_client):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every_day = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.DAYS)
    task = PeriodicTask.objects.create(
        name="one sweep", task="dialogues.tasks.flag_overdue_dialogues", interval=every_day, one_off=True
    )
    form = opened(admin_client, task)
    PeriodicTask.objects.filter(pk=task.pk).update(enabled=False)  # what beat does once a one-off task has run

    response = admin_client.post(change_url(task), {**form, "description": "Described in the admin"})

    assert_refused(response, "Enabled")
    assert not PeriodicTask.objects.get(pk=task.pk).enabled


# -- Two administrators ----------------------------------------------------------------------------------------------


def test_a_stale_body_form_keeps_a_contact_another_administrator_corrected(admin_client, other_admin_client):
    body = DialogueBodyFactory()
    contact = ContactFactory(body=body, email="desk@example.eu")
    form = opened(admin_client, body)
    corrected = {**opened(other_admin_client, body), "contacts-0-email": "new-desk@example.eu"}
    assert other_admin_client.post(change_url(body), corrected).status_code == 302

    response = admin_client.post(change_url(body), {**form, "japan_lead": "MOFA"})

    assert_refused(response, "Contacts")
    assert Contact.objects.get(pk=contact.pk).email == "new-desk@example.eu"
    assert DialogueBody.objects.get(pk=body.pk).japan_lead == body.japan_lead


@pytest.mark.parametrize(
    ("make", "field", "label"),
    [
        (lambda: SourceDocumentFactory(title="EP in-depth analysis"), "title", "Title"),
        (lambda: Group.objects.create(name="Briefing team"), "name", "Name"),
        (lambda: MeetingFactory(place="Tokyo"), "place", "Place"),
    ],
    ids=["source document", "group", "meeting"],
)
def test_of_two_administrators_the_one_with_the_stale_form_is_refused(
    admin_client, other_admin_client, make, field, label
):
    record = make()
    form = opened(admin_client, record)
    first = {**opened(other_admin_client, record), field: "Saved first"}
    assert other_admin_client.post(change_url(record), first).status_code == 302

    response = admin_client.post(change_url(record), {**form, field: "Saved second"})

    assert_refused(response, label)
    record.refresh_from_db()
    assert getattr(record, field) == "Saved first"


# -- What does not make a form stale, and a form that does not say ---------------------------------------------------


def test_a_meeting_recorded_while_the_body_form_is_open_does_not_make_it_stale(admin_client, editor):
    """The form does not show the schedule a meeting moves: it saves, and the schedule stays the meeting's."""
    body = DialogueBodyFactory(cadence_months=12, established_on=dt.date(2020, 1, 1))
    form = opened(admin_client, body)
    meeting_record(body=body, held_on=dt.date(2024, 3, 1), recorded_by=editor)

    response = admin_client.post(change_url(body), {**form, "eu_lead": "EEAS"})

    assert response.status_code == 302
    stored = DialogueBody.objects.get(pk=body.pk)
    assert (stored.eu_lead, stored.last_meeting_on, stored.next_due_on) == (
        "EEAS",
        dt.date(2024, 3, 1),
        dt.date(2025, 3, 1),
    )


def test_a_form_that_does_not_say_what_it_was_opened_on_saves_nothing(admin_client):
    document = SourceDocumentFactory(title="EP in-depth analysis")
    form = opened(admin_client, document)
    del form[OPENED_STATE]

    response = admin_client.post(change_url(document), {**form, "title": "Retitled"})

    assert response.status_code == 409
    assert "did not say which version of the source document it was opened on" in response.content.decode()
    assert SourceDocument.objects.get(pk=document.pk).title == "EP in-depth analysis"


def test_every_admin_change_form_is_guarded():
    """The project's admins and the third-party ones (users, groups, tokens, periodic tasks, ...) alike; the
    commitment's form carries its own version instead (``edit_version``, checked by ``commitment_update``)."""
    unguarded = {
        model._meta.label_lower
        for model, model_admin in admin.site._registry.items()
        if not (isinstance(model_admin, StaleFormGuard) and model_admin.guard_stale_forms)
    }
    assert unguarded == {"commitments.commitment"}
    from commitments.models import Commitment

    assert "expected_edit_version" in admin.site.get_model_admin(Commitment).form.base_fields
