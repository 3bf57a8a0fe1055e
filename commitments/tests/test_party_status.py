"""A status per party on a joint commitment: each party's own status with its own evidence, the combined status as the
less advanced of the two unless an editor sets it, through the service, the form and the API."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from commitments.choices import Actor, Party, Status
from commitments.models import StatusUpdate
from commitments.services import (
    CommitmentConflict,
    commitment_confirm_unchanged,
    commitment_update_party_status,
    commitment_update_status,
    status_update_withdraw,
)
from commitments.tests.factories import CommitmentFactory, UserFactory

from .api_support import _fresh_throttle_counters, editor_api, reviewer_api

__all__ = ["_fresh_throttle_counters", "editor_api", "reviewer_api"]  # fixtures used by name

pytestmark = pytest.mark.django_db


@pytest.fixture
def author():
    return UserFactory(editor=True)


@pytest.fixture
def joint():
    return CommitmentFactory(reference="SDP §12(b)", actor=Actor.BOTH)


def party(commitment, author, who, status, **evidence):
    commitment.refresh_from_db()
    return commitment_update_party_status(
        commitment=commitment, expected_version=commitment.version, author=author, party=who, status=status, **evidence
    )


def test_a_party_status_that_lags_lowers_the_combined_one(joint, author):
    party(joint, author, Party.EU, Status.ACHIEVED, evidence_reference="Council decision")
    joint.refresh_from_db()
    assert (joint.eu_status, joint.status) == (Status.ACHIEVED, Status.NOT_STARTED)  # Japan not recorded yet
    entry = party(joint, author, Party.JAPAN, Status.IN_PROGRESS, note="Diet still debating")
    joint.refresh_from_db()
    assert (joint.japan_status, joint.status) == (Status.IN_PROGRESS, Status.IN_PROGRESS)
    assert (entry.party, entry.party_status, entry.status, entry.previous_status) == (
        Party.JAPAN,
        Status.IN_PROGRESS,
        Status.IN_PROGRESS,
        Status.NOT_STARTED,
    )
    # Japan stalls: the combined status goes down with it.
    party(joint, author, Party.JAPAN, Status.STALLED)
    joint.refresh_from_db()
    assert joint.status == Status.STALLED and joint.eu_status == Status.ACHIEVED


def test_both_achieved_make_it_achieved_at_100(joint, author):
    party(joint, author, Party.EU, Status.ACHIEVED, evidence_reference="EU text")
    party(joint, author, Party.JAPAN, Status.ACHIEVED, evidence_url="https://example.jp/cabinet")
    joint.refresh_from_db()
    assert (joint.status, joint.progress) == (Status.ACHIEVED, 100)


def test_an_editor_sets_the_combined_status_until_the_next_party_entry(joint, author):
    party(joint, author, Party.EU, Status.IN_PROGRESS)
    party(joint, author, Party.JAPAN, Status.NOT_STARTED)
    joint.refresh_from_db()
    commitment_update_status(
        commitment=joint, expected_version=joint.version, author=author, status=Status.ONGOING, note="Set by hand"
    )
    joint.refresh_from_db()
    assert joint.status == Status.ONGOING and joint.japan_status == Status.NOT_STARTED
    party(joint, author, Party.EU, Status.ONGOING)
    joint.refresh_from_db()
    assert joint.status == Status.NOT_STARTED


def test_invalid_party_entries_are_refused_and_write_nothing(joint, author):
    alone = CommitmentFactory(actor=Actor.EU)
    for commitment, kwargs, field, message in (
        (
            alone,
            {"party": Party.EU, "status": Status.IN_PROGRESS},
            "party",
            "Only a commitment both parties must act on takes a status per party.",
        ),
        (
            joint,
            {"party": Party.EU, "status": Status.ACHIEVED},
            "evidence_reference",
            "Evidence (a URL or a document reference) is required to mark it achieved.",
        ),
        (
            joint,
            {"party": Party.EU, "status": Status.IN_PROGRESS, "progress": 40},
            "progress",
            "A status per party takes no progress: the commitment has one progress.",
        ),
        (joint, {"party": "china", "status": Status.IN_PROGRESS}, "party", "Not a party: 'china'."),
        (joint, {"party": "", "status": Status.IN_PROGRESS}, "party", "Name the party: eu or japan."),
    ):
        with pytest.raises(ValidationError) as excinfo:
            commitment_update_party_status(commitment=commitment, expected_version=0, author=author, **kwargs)
        assert excinfo.value.message_dict == {field: [message]}
    assert not StatusUpdate.objects.exists()
    with pytest.raises(CommitmentConflict):
        commitment_update_party_status(
            commitment=joint, expected_version=5, author=author, party=Party.EU, status=Status.IN_PROGRESS
        )


def test_withdrawing_a_party_entry_works_the_combined_status_out_again(joint, author):
    party(joint, author, Party.EU, Status.IN_PROGRESS)
    party(joint, author, Party.JAPAN, Status.IN_PROGRESS)
    mistake = party(joint, author, Party.JAPAN, Status.STALLED)
    joint.refresh_from_db()
    assert joint.status == Status.STALLED
    status_update_withdraw(update=mistake, expected_version=joint.version, author=author, reason="Wrong party")
    joint.refresh_from_db()
    assert (joint.status, joint.japan_status, joint.eu_status) == (
        Status.IN_PROGRESS,
        Status.IN_PROGRESS,
        Status.IN_PROGRESS,
    )


def test_the_form_sends_a_party_status_without_the_progress_it_came_filled_with(editor_client, joint):
    joint.progress = 40
    joint.save(update_fields=["progress"])
    url = reverse("commitments:commitment_update_status", args=[joint.pk])
    assert 'value="40"' in editor_client.get(url).content.decode()
    form = {"party": "eu", "status": "stalled", "note": "Vote postponed", "expected_version": 0}
    response = editor_client.post(url, {**form, "progress": "40"})
    assert response.status_code == 302, response.content.decode()[:2000]
    joint.refresh_from_db()
    assert (joint.eu_status, joint.progress) == (Status.STALLED, 40)
    response = editor_client.post(url, {**form, "progress": "55", "expected_version": joint.version})
    assert response.status_code == 400
    assert "A status per party takes no progress" in response.content.decode()
    joint.refresh_from_db()
    assert joint.progress == 40


def test_the_form_records_a_party_status_and_the_page_shows_both(editor_client, joint):
    url = reverse("commitments:commitment_update_status", args=[joint.pk])
    assert 'name="party"' in editor_client.get(url).content.decode()
    response = editor_client.post(
        url,
        {"party": "eu", "status": "in_progress", "note": "Council adopted", "expected_version": 0},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    response = editor_client.post(
        url, {"party": "japan", "status": "achieved", "expected_version": 1, "note": "No evidence"}
    )
    assert response.status_code == 400
    page = editor_client.get(joint.get_absolute_url()).content.decode()
    assert "Status per party" in page and "for The EU" in page
    # The party's status and the combined one read "In progress; together", no space before the semicolon.
    assert re.search(r"for The EU: <span[^>]*>In progress</span>; together", page)
    alone = CommitmentFactory(actor=Actor.JAPAN)
    form = editor_client.get(reverse("commitments:commitment_update_status", args=[alone.pk])).content.decode()
    assert 'name="party"' not in form


def test_the_api_records_a_party_status_and_serves_both(editor_api, joint):
    response = editor_api.post(
        "/api/v1/status-updates/",
        {"commitment": joint.pk, "expected_version": 0, "party": "japan", "status": "stalled"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert (response.json()["party"], response.json()["party_status"]) == ("japan", "stalled")
    response = editor_api.post(
        "/api/v1/status-updates/",
        {"commitment": joint.pk, "expected_version": 1, "party": "eu", "status": "in_progress"},
        format="json",
    )
    detail = editor_api.get(f"/api/v1/commitments/{joint.pk}/").json()
    assert (detail["eu_status"], detail["japan_status"], detail["status"]) == ("in_progress", "stalled", "stalled")


def test_the_overview_splits_joint_commitments_by_each_partys_own_status(reviewer_client, joint, author):
    party(joint, author, Party.EU, Status.IN_PROGRESS)
    party(joint, author, Party.JAPAN, Status.STALLED)
    page = reviewer_client.get(reverse("dashboards:home")).content.decode()
    section = page[page.index('id="actors-heading"') : page.index('id="stale-heading"')]
    eu = section[section.index('data-key="both-eu"') : section.index('data-key="both-japan"')]
    japan = section[section.index('data-key="both-japan"') :]
    assert 'data-status="in_progress"' in eu and 'data-status="stalled"' in japan


def test_a_partys_status_on_a_commitment_an_editor_set_achieved_needs_evidence_only_if_achieved(joint, author):
    """The evidence backs what the entry records (the party's own status), not the combined status it carries."""
    commitment_update_status(
        commitment=joint, expected_version=0, author=author, status=Status.ACHIEVED, evidence_reference="Statement"
    )
    entry = party(joint, author, Party.EU, Status.IN_PROGRESS, note="Implementing act still pending")
    assert (entry.party_status, entry.status, entry.evidence_reference) == (Status.IN_PROGRESS, Status.ACHIEVED, "")
    with pytest.raises(ValidationError) as refused:
        party(joint, author, Party.JAPAN, Status.ACHIEVED)
    assert "evidence_reference" in refused.value.message_dict


def _party_rows(page: str) -> tuple[str, str]:
    section = page[page.index('id="actors-heading"') : page.index('id="stale-heading"')]
    eu = section[section.index('data-key="both-eu"') : section.index('data-key="both-japan"')]
    return eu, section[section.index('data-key="both-japan"') :]


def test_the_overview_as_of_a_past_day_splits_by_each_partys_status_then(reviewer_client, joint, author):
    day = timezone.now() - dt.timedelta(days=30)
    later = timezone.now() - dt.timedelta(days=10)
    party(joint, author, Party.EU, Status.IN_PROGRESS, recorded_at=day)
    party(joint, author, Party.JAPAN, Status.STALLED, recorded_at=day)
    party(joint, author, Party.JAPAN, Status.IN_PROGRESS, recorded_at=later)
    mistake = party(joint, author, Party.EU, Status.DISCONTINUED, recorded_at=day + dt.timedelta(hours=1))
    joint.refresh_from_db()
    status_update_withdraw(update=mistake, expected_version=joint.version, author=author, reason="Wrong row")
    as_of = (day + dt.timedelta(days=1)).date().isoformat()
    eu, japan = _party_rows(reviewer_client.get(reverse("dashboards:home"), {"as_of": as_of}).content.decode())
    # As it stood then: Japan stalled; the withdrawn EU entry does not count.
    assert 'data-status="stalled"' in japan and 'data-status="in_progress"' not in japan
    assert 'data-status="in_progress"' in eu and 'data-status="discontinued"' not in eu
    eu, japan = _party_rows(reviewer_client.get(reverse("dashboards:home")).content.decode())
    assert 'data-status="in_progress"' in japan and 'data-status="stalled"' not in japan
    # Before any party entry there is no split to show.
    before = (day - dt.timedelta(days=1)).date().isoformat()
    page = reviewer_client.get(reverse("dashboards:home"), {"as_of": before}).content.decode()
    assert 'data-key="both-eu"' not in page


def api_refs(client, query: str) -> set[str]:
    """The references of the commitments ``/api/v1/commitments/?{query}`` lists."""
    response = client.get(f"/api/v1/commitments/?{query}")
    assert response.status_code == 200, response.content
    return {row["reference"] for row in response.json()["results"]}


def test_a_partys_figure_links_to_the_list_filtered_by_that_partys_status(reviewer_client, joint, author):
    other = CommitmentFactory(reference="SDP §12(c)", actor=Actor.BOTH)
    party(joint, author, Party.EU, Status.IN_PROGRESS)
    party(joint, author, Party.JAPAN, Status.STALLED)
    party(other, author, Party.EU, Status.STALLED)
    _, japan = _party_rows(reviewer_client.get(reverse("dashboards:home")).content.decode())
    assert "?actor=both&amp;japan_status=stalled" in japan
    listing = reviewer_client.get(reverse("commitments:commitment_list"), {"actor": "both", "japan_status": "stalled"})
    page = listing.content.decode()
    assert "SDP §12(b)" in page and "SDP §12(c)" not in page
    assert "1 commitment match" in " ".join(page.split())


def test_the_api_filters_joint_commitments_by_each_partys_status(reviewer_api, joint, author):
    other = CommitmentFactory(reference="SDP §12(c)", actor=Actor.BOTH)
    party(joint, author, Party.EU, Status.ACHIEVED, evidence_reference="Council decision")
    party(joint, author, Party.JAPAN, Status.STALLED)
    party(other, author, Party.EU, Status.STALLED)

    def refs(query: str) -> set[str]:
        return api_refs(reviewer_api, query)

    assert refs("actor=both&japan_status=stalled") == {"SDP §12(b)"}
    assert refs("actor=both&eu_status=stalled") == {"SDP §12(c)"}
    assert refs("actor=both&japan_status=none") == {"SDP §12(c)"}
    assert refs("eu_status=achieved&eu_status=stalled") == {"SDP §12(b)", "SDP §12(c)"}
    assert reviewer_api.get("/api/v1/commitments/?japan_status=late").status_code == 400


def test_a_partys_status_none_lists_only_joint_commitments(reviewer_api, reviewer_client, joint):
    """No own status is recorded for a party on a commitment only one party must act on: it is not "joint, nothing
    recorded for Japan yet", so ``japan_status=none`` (or ``eu_status=none``) does not list it, even with its actor."""
    CommitmentFactory(reference="JS §2", actor=Actor.EU)
    CommitmentFactory(reference="JS §3", actor=Actor.JAPAN)
    CommitmentFactory(reference="EPA §1")  # who must act not recorded

    def refs(query: str) -> set[str]:
        return api_refs(reviewer_api, query)

    assert refs("japan_status=none") == {"SDP §12(b)"}
    assert refs("eu_status=none") == {"SDP §12(b)"}
    assert refs("actor=eu&japan_status=none") == set()
    assert refs("actor=japan&eu_status=none") == set()
    assert refs("actor=none&eu_status=none&eu_status=stalled") == set()
    # The web list reads the same filter.
    page = reviewer_client.get(reverse("commitments:commitment_list"), {"japan_status": "none"}).content.decode()
    assert "SDP §12(b)" in page and "JS §2" not in page and "EPA §1" not in page


def test_the_same_party_status_again_needs_a_note_or_evidence(joint, author):
    party(joint, author, Party.EU, Status.IN_PROGRESS)
    with pytest.raises(ValidationError) as excinfo:
        party(joint, author, Party.EU, Status.IN_PROGRESS)
    assert list(excinfo.value.message_dict) == ["status"]
    assert excinfo.value.message_dict["status"][0].startswith("Nothing changed: the status and progress")
    party(joint, author, Party.EU, Status.IN_PROGRESS, note="Reviewed at the committee.")
    party(joint, author, Party.EU, Status.IN_PROGRESS, evidence_url="https://example.eu/report")
    assert StatusUpdate.objects.filter(commitment=joint).count() == 3


def _state(commitment):
    commitment.refresh_from_db()
    return commitment.status, commitment.progress, commitment.eu_status, commitment.japan_status


def test_party_entries_keep_the_progress_until_both_achieve_and_drop_a_100_left_when_one_goes_back(joint, author):
    started = commitment_update_status(
        commitment=joint, expected_version=0, author=author, status=Status.IN_PROGRESS, progress=40
    )
    party(joint, author, Party.EU, Status.ACHIEVED, evidence_reference="Council decision")
    assert _state(joint) == (Status.IN_PROGRESS, 40, Status.ACHIEVED, "")
    both = party(joint, author, Party.JAPAN, Status.ACHIEVED, evidence_reference="Cabinet decision")
    assert _state(joint) == (Status.ACHIEVED, 100, Status.ACHIEVED, Status.ACHIEVED)
    back = party(joint, author, Party.JAPAN, Status.IN_PROGRESS, note="The Diet sent it back")
    # Nobody said how far it is now: a 100 % left over from "achieved" is not reported.
    assert _state(joint) == (Status.IN_PROGRESS, None, Status.ACHIEVED, Status.IN_PROGRESS)
    assert (both.progress, back.progress) == (100, None)

    # Withdrawing an unrelated review replays the same history: the same state, the date of the last change kept.
    joint.refresh_from_db()
    review = commitment_confirm_unchanged(commitment=joint, expected_version=joint.version, author=author, note="Ok")
    joint.refresh_from_db()
    status_update_withdraw(update=review, expected_version=joint.version, author=author, reason="Not reviewed")
    assert _state(joint) == (Status.IN_PROGRESS, None, Status.ACHIEVED, Status.IN_PROGRESS)
    assert joint.status_changed_at == back.recorded_at

    # Withdrawing the step back: achieved at 100 again, since both parties' achieving entry.
    joint.refresh_from_db()
    status_update_withdraw(update=back, expected_version=joint.version, author=author, reason="Wrong party")
    assert _state(joint) == (Status.ACHIEVED, 100, Status.ACHIEVED, Status.ACHIEVED)
    assert joint.status_changed_at == both.recorded_at

    # Withdrawing the EU's entry: Japan alone has a status; the combined one is the editor's, with its 40 %.
    eu_entry = StatusUpdate.objects.get(commitment=joint, party=Party.EU)
    status_update_withdraw(update=eu_entry, expected_version=joint.version, author=author, reason="Too early")
    assert _state(joint) == (Status.IN_PROGRESS, 40, "", Status.ACHIEVED)
    assert joint.status_changed_at == started.recorded_at


def test_an_achieved_entry_replayed_after_a_withdrawal_is_at_100(author):
    commitment = CommitmentFactory()
    achieved = commitment_update_status(
        commitment=commitment, expected_version=0, author=author, status=Status.ACHIEVED, evidence_reference="Text"
    )
    commitment.refresh_from_db()
    review = commitment_confirm_unchanged(commitment=commitment, expected_version=1, author=author, note="Checked")
    status_update_withdraw(update=review, expected_version=2, author=author, reason="Not a review")
    commitment.refresh_from_db()
    assert (commitment.status, commitment.progress, commitment.status_changed_at) == (
        Status.ACHIEVED,
        100,
        achieved.recorded_at,
    )


def test_party_entries_on_a_rolled_up_commitment_carry_the_roll_up_and_need_every_milestone_done_to_achieve(author):
    from commitments.choices import ProgressSource
    from commitments.services import commitment_set_progress_source, milestone_update
    from commitments.tests.factories import MilestoneFactory

    joint = CommitmentFactory(actor=Actor.BOTH)
    commitment_set_progress_source(
        commitment=joint, expected_version=0, author=author, source=ProgressSource.MILESTONES
    )
    joint.refresh_from_db()
    MilestoneFactory(commitment=joint, done=True)
    open_one = MilestoneFactory(commitment=joint)
    party(joint, author, Party.EU, Status.ACHIEVED, evidence_reference="Council decision")
    assert _state(joint) == (Status.NOT_STARTED, 50, Status.ACHIEVED, "")
    joint.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        party(joint, author, Party.JAPAN, Status.ACHIEVED, evidence_reference="Cabinet decision")
    assert excinfo.value.message_dict == {
        "status": [
            "Its progress is rolled up from its milestones and 1 of 2 are done: an achieved commitment has every"
            " milestone done."
        ]
    }
    joint.refresh_from_db()
    milestone_update(
        milestone=open_one,
        expected_version=joint.version,
        author=author,
        done_on=dt.date(2025, 6, 1),
        evidence_reference="Joint statement",
    )
    entry = party(joint, author, Party.JAPAN, Status.ACHIEVED, evidence_reference="Cabinet decision")
    assert _state(joint) == (Status.ACHIEVED, 100, Status.ACHIEVED, Status.ACHIEVED)
    assert entry.progress == 100
