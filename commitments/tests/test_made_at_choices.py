"""Where a commitment was made: one rule (``Commitment.made_at_candidates``: a meeting of the responsible body or of a
dialogue body of its framework or of a framework above it) applied by the edit form, the edit and create services and
so the admin; the form offers the newest of them, capped however many meetings are recorded, always with the current
value; any other meeting is refused with a clear error and nothing is written."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from commitments.forms import MADE_AT_CHOICES, CommitmentForm
from commitments.models import MADE_AT_REFUSED
from commitments.services import commitment_create, commitment_update
from commitments.tests.factories import AgreementFactory, CommitmentFactory, UserFactory, commitment_edit_data
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


def post_made_at(client, commitment, meeting):
    return client.post(
        reverse("commitments:commitment_edit", args=[commitment.pk]),
        commitment_edit_data(commitment, made_at=meeting.pk),
    )


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
    response = post_made_at(editor_client, commitment, other)
    assert response.status_code == 400
    assert "Choose a meeting of the responsible body" in response.content.decode()
    commitment.refresh_from_db()
    assert commitment.made_at == world["old"] and commitment.edit_version == 0


def test_the_edit_service_refuses_a_meeting_of_an_unrelated_body_and_writes_nothing(world):
    commitment = world["commitment"]
    other = MeetingFactory(body=world["elsewhere"], held_on=dt.date(2024, 9, 1))
    with pytest.raises(ValidationError) as refused:
        commitment_update(
            commitment=commitment, expected_edit_version=0, author=UserFactory(editor=True), made_at=other
        )
    assert refused.value.message_dict == {"made_at": [MADE_AT_REFUSED]}
    commitment.refresh_from_db()
    assert commitment.made_at == world["old"] and commitment.edit_version == 0
    with pytest.raises(ValidationError):
        commitment_create(author=None, reference="SDP §99", agreement=commitment.agreement, title="New", made_at=other)


def test_a_meeting_of_a_framework_above_it_is_accepted_by_service_and_form(world, editor_client):
    """The Green Alliance sits under the Strategic Partnership Agreement and was launched at a summit, a dialogue
    body of that agreement: a meeting the form accepts and the service writes."""
    parent = AgreementFactory(code="SPA")
    child = AgreementFactory(code="GA", parent=parent)
    summit_body = DialogueBodyFactory(short_name="SUMMIT")
    summit_body.agreements.add(parent)
    summit = MeetingFactory(body=summit_body, held_on=dt.date(2021, 5, 27))
    commitment = CommitmentFactory(agreement=child, responsible_body=world["responsible"])
    assert summit.pk in choices(commitment)
    response = post_made_at(editor_client, commitment, summit)
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.made_at == summit


def test_the_form_accepts_a_candidate_older_than_those_it_offers(world, editor_client):
    """The cap keeps the list short; it is not a rule: the form accepts what the service accepts."""
    commitment = world["commitment"]
    oldest = MeetingFactory(body=world["responsible"], held_on=dt.date(1990, 1, 1))
    for n in range(MADE_AT_CHOICES):
        MeetingFactory(body=world["responsible"], held_on=dt.date(2000, 1, 1) + dt.timedelta(days=30 * n))
    assert oldest.pk not in choices(commitment)
    response = post_made_at(editor_client, commitment, oldest)
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.made_at == oldest


def test_every_meeting_the_seed_names_is_one_the_rule_accepts(seed_data):
    from commitments.models import Commitment

    made = Commitment.objects.exclude(made_at=None).select_related("agreement__parent")
    assert made.count() == 32
    refused = [c.reference for c in made if not c.made_at_candidates().filter(pk=c.made_at_id).exists()]
    assert refused == []
