"""The commitment form's "made at" choice: the newest meetings of the responsible body and of the framework's
dialogue bodies, capped however many meetings are recorded, always with the current value; any other meeting is
refused with a form error and nothing is written."""

import datetime as dt

import pytest
from django.urls import reverse

from commitments.forms import MADE_AT_CHOICES, CommitmentForm
from commitments.tests.factories import AgreementFactory, CommitmentFactory, commitment_edit_data
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    agreement = AgreementFactory(code="SDP")
    framework_body = DialogueBodyFactory(short_name="SDP-JC")
    framework_body.agreements.add(agreement)
    responsible = DialogueBodyFactory(short_name="MARSEC")
    elsewhere = DialogueBodyFactory(short_name="HLIED")
    old = MeetingFactory(body=elsewhere, held_on=dt.date(2019, 5, 1))
    commitment = CommitmentFactory(agreement=agreement, responsible_body=responsible, made_at=old)
    return {
        "commitment": commitment,
        "framework_body": framework_body,
        "responsible": responsible,
        "elsewhere": elsewhere,
        "old": old,
    }


def choices(commitment) -> set:
    return {value for value, _ in CommitmentForm(instance=commitment).fields["made_at"].choices if value}


def test_the_choice_offers_the_bodies_meetings_and_the_current_one(world):
    framework = MeetingFactory(body=world["framework_body"], held_on=dt.date(2024, 3, 1))
    own = MeetingFactory(body=world["responsible"], held_on=dt.date(2024, 6, 1))
    other = MeetingFactory(body=world["elsewhere"], held_on=dt.date(2024, 9, 1))
    offered = choices(world["commitment"])
    assert {framework.pk, own.pk, world["old"].pk} == offered
    assert other.pk not in offered


def test_the_choice_stays_bounded_as_meetings_grow(world, django_assert_max_num_queries):
    start = dt.date(2000, 1, 1)
    for n in range(MADE_AT_CHOICES + 15):
        MeetingFactory(
            body=world["responsible" if n % 2 else "framework_body"], held_on=start + dt.timedelta(days=30 * n)
        )
    with django_assert_max_num_queries(4):
        offered = choices(world["commitment"])
    assert len(offered) == MADE_AT_CHOICES + 1  # the newest, and the current value though it is older
    newest = MeetingFactory(body=world["responsible"], held_on=dt.date(2026, 1, 1))
    assert newest.pk in choices(world["commitment"])
    assert len(choices(world["commitment"])) == MADE_AT_CHOICES + 1


def test_a_meeting_outside_the_choice_is_refused_with_a_form_error(editor_client, world):
    commitment = world["commitment"]
    other = MeetingFactory(body=world["elsewhere"], held_on=dt.date(2024, 9, 1))
    response = editor_client.post(
        reverse("commitments:commitment_edit", args=[commitment.pk]),
        commitment_edit_data(commitment, made_at=other.pk),
    )
    assert response.status_code == 400
    assert "Choose one of the meetings offered" in response.content.decode()
    commitment.refresh_from_db()
    assert commitment.made_at == world["old"] and commitment.edit_version == 0
