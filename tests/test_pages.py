"""Every page requires sign-in unless PUBLIC_READ, renders for each role, and keeps its queries bounded."""

import pytest
from django.urls import reverse

from commitments.tests.factories import CommitmentFactory, StatusUpdateFactory
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    body = DialogueBodyFactory(short_name="SDD", name="Security and Defence Dialogue")
    commitment = CommitmentFactory(reference="SDP §7", responsible_body=body)
    StatusUpdateFactory(commitment=commitment, note="Exercise held in the Gulf of Aden")
    MeetingFactory(body=body)
    return commitment


def page_urls(commitment):
    return [
        reverse("dashboards:home"),
        reverse("commitments:commitment_list"),
        commitment.get_absolute_url(),
        commitment.agreement.get_absolute_url(),
        reverse("dialogues:body_list"),
        commitment.responsible_body.get_absolute_url(),
    ]


def test_anonymous_visitors_are_sent_to_sign_in(client, data):
    for url in page_urls(data):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_public_read_opens_pages_to_anonymous_visitors(client, data, settings):
    settings.PUBLIC_READ = True
    for url in page_urls(data):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["editor_client", "reviewer_client"])
def test_signed_in_staff_see_every_page(request, who, data):
    client = request.getfixturevalue(who)
    for url in page_urls(data):
        assert client.get(url).status_code == 200, url


def test_commitment_page_shows_its_timeline(reviewer_client, data):
    content = reviewer_client.get(data.get_absolute_url()).content.decode()
    assert "Exercise held in the Gulf of Aden" in content
    assert "SDP §7" in content


def test_login_page_signs_in(client, editor):
    response = client.post(reverse("login"), {"username": "editor-user", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert client.get(reverse("dashboards:home")).status_code == 200


def test_unknown_objects_are_404(reviewer_client, db):
    assert reviewer_client.get("/commitments/999999/").status_code == 404
    assert reviewer_client.get("/agreements/NOPE/").status_code == 404
    assert reviewer_client.get("/dialogues/NOPE/").status_code == 404
