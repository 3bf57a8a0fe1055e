"""Following from the pages: the buttons (POST, CSRF, no JavaScript), "What I follow", the digest day."""

from __future__ import annotations

import pytest

from commitments.choices import PolicyArea
from commitments.tests.factories import AgreementFactory, CommitmentFactory, UserFactory
from dialogues.tests.factories import DialogueBodyFactory
from subscriptions.choices import FollowKind
from subscriptions.models import Follow, FollowerSettings

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(client):
    user = UserFactory(reviewer=True, username="reader")
    client.force_login(user)
    return user


@pytest.fixture
def targets():
    agreement = AgreementFactory(code="SDP")
    body = DialogueBodyFactory(short_name="SDD", agreements=[agreement])
    commitment = CommitmentFactory(
        agreement=agreement, reference="SDP §7", area=PolicyArea.CYBER, responsible_body=body
    )
    return {"commitment": commitment, "body": body, "agreement": agreement}


def _toggle(client, kind, target, action="follow", next_url="/"):
    return client.post("/follow/toggle/", {"kind": kind, "target": target, "action": action, "next": next_url})


@pytest.mark.parametrize(
    ("name", "kind", "key"),
    [
        ("commitment", "commitment", lambda t: t.pk),
        ("body", "body", lambda t: t.short_name),
        ("agreement", "agreement", lambda t: t.code),
    ],
)
def test_each_page_has_a_follow_button_that_works_without_javascript(client, reader, targets, name, kind, key):
    target = targets[name]
    page = client.get(target.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200 and 'action="/follow/toggle/"' in html and "csrfmiddlewaretoken" in html
    assert 'aria-pressed="false"' in html
    response = _toggle(client, kind, key(target), next_url=target.get_absolute_url())
    assert response.status_code == 302 and response["Location"] == target.get_absolute_url()
    assert Follow.objects.filter(user=reader, kind=kind).count() == 1
    assert 'aria-pressed="true"' in client.get(target.get_absolute_url()).content.decode()
    _toggle(client, kind, key(target))  # twice: still one follow (unique per user and target)
    assert Follow.objects.filter(user=reader, kind=kind).count() == 1
    _toggle(client, kind, key(target), action="unfollow")
    assert not Follow.objects.filter(user=reader).exists()


def test_the_commitment_page_also_follows_its_policy_area(client, reader, targets):
    html = client.get(targets["commitment"].get_absolute_url()).content.decode()
    assert 'name="target" value="cyber"' in html
    _toggle(client, "area", "cyber")
    assert Follow.objects.get(user=reader).area == PolicyArea.CYBER


def test_follows_are_per_user(client, reader, targets):
    other = UserFactory(username="other")
    Follow.objects.create(user=other, kind=FollowKind.BODY, body=targets["body"])
    _toggle(client, "body", "SDD", action="unfollow")
    assert Follow.objects.filter(user=other).count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "planet", "target": "1", "action": "follow"},
        {"kind": "commitment", "target": "999999", "action": "follow"},
        {"kind": "commitment", "target": "not-a-number", "action": "follow"},
        {"kind": "body", "target": "NOPE", "action": "follow"},
        {"kind": "area", "target": "astrology", "action": "follow"},
        {"kind": "body", "target": "SDD", "action": "explode"},
        {},
    ],
)
def test_bad_input_is_a_400_and_writes_nothing(client, reader, targets, data):
    response = client.post("/follow/toggle/", data)
    assert response.status_code == 400 and b"error-summary" in response.content
    assert not Follow.objects.exists()


def test_an_outside_next_address_is_not_followed(client, reader, targets):
    response = _toggle(client, "body", "SDD", next_url="https://evil.example/")
    assert response["Location"] == "/follow/"


def test_anonymous_visitors_are_sent_to_sign_in_even_with_public_read(client, targets, settings):
    settings.PUBLIC_READ = True
    assert client.get("/follow/").status_code == 302
    assert _toggle(client, "body", "SDD").status_code == 302
    assert not Follow.objects.exists()
    assert "/follow/toggle/" not in client.get(targets["body"].get_absolute_url()).content.decode()


def test_what_i_follow_lists_follows_and_manages_the_digest(client, reader, targets):
    _toggle(client, "commitment", targets["commitment"].pk)
    _toggle(client, "body", "SDD")
    page = client.get("/follow/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "SDP §7" in html and "(SDD)" in html and "Unfollow" in html
    assert "/follow/calendar/" in html and ".ics" in html
    assert client.post("/follow/digest/", {"digest_day": "4"}).status_code == 302
    assert FollowerSettings.objects.get(user=reader).digest_weekday == 4
    client.post("/follow/digest/", {"digest_day": "off"})
    assert FollowerSettings.objects.get(user=reader).digest_weekday is None
    bad = client.post("/follow/digest/", {"digest_day": "9"})
    assert bad.status_code == 400 and FollowerSettings.objects.get(user=reader).digest_weekday is None


def test_a_policy_area_is_followed_from_what_i_follow(client, reader):
    assert client.post("/follow/", {"area": "space"}).status_code == 302
    assert Follow.objects.get(user=reader).area == "space"
    assert client.post("/follow/", {"area": "nonsense"}).status_code == 400
    assert Follow.objects.count() == 1


def test_the_page_reads_the_follows_once_for_all_buttons(client, reader, targets, django_assert_max_num_queries):
    _toggle(client, "commitment", targets["commitment"].pk)
    client.get(targets["commitment"].get_absolute_url())
    with django_assert_max_num_queries(12):
        client.get(targets["commitment"].get_absolute_url())
