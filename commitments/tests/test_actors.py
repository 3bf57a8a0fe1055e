"""Who must act (the EU, Japan or both): on the commitment, its edit form, the filters (page, CSV, API), the overview's
split by party, and the seed values that follow each paragraph's wording."""

import pytest
from django.urls import reverse

from commitments.choices import Actor, Status
from commitments.models import Commitment
from commitments.services import commitment_update
from commitments.tests.factories import CommitmentFactory, StatusUpdateFactory, UserFactory, commitment_edit_data

from .api_support import _fresh_throttle_counters, reviewer_api

__all__ = ["_fresh_throttle_counters", "reviewer_api"]  # fixtures used by name

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    eu = CommitmentFactory(reference="JS §2", actor=Actor.EU)
    StatusUpdateFactory(commitment=eu, status=Status.ACHIEVED, evidence_reference="Regulation")
    CommitmentFactory(reference="SDP §4", actor=Actor.BOTH)
    CommitmentFactory(reference="SDP §9", actor=Actor.BOTH)
    CommitmentFactory(reference="EPA §1")
    return eu


def refs(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["reference"] for row in response.json()["results"]}


def test_the_api_splits_by_party(reviewer_api, world):
    assert refs(reviewer_api.get("/api/v1/commitments/?actor=eu")) == {"JS §2"}
    assert refs(reviewer_api.get("/api/v1/commitments/?actor=both&actor=eu")) == {"JS §2", "SDP §4", "SDP §9"}
    assert refs(reviewer_api.get("/api/v1/commitments/?actor=none")) == {"EPA §1"}
    assert reviewer_api.get("/api/v1/commitments/?actor=china").status_code == 400
    detail = reviewer_api.get(f"/api/v1/commitments/{world.pk}/").json()
    assert detail["actor"] == "eu"


def test_the_overview_splits_progress_by_who_must_act(reviewer_client, world):
    page = reviewer_client.get(reverse("dashboards:home")).content.decode()
    section = page[page.index('id="actors-heading"') : page.index('id="stale-heading"')]
    assert 'data-key="eu"' in section and 'data-key="both"' in section and 'data-key="none"' in section
    both = section[section.index('data-key="both"') :]
    assert "<strong>2</strong> commitments" in both
    assert "?actor=none" in section


def test_an_editor_records_who_must_act_and_it_is_audited(editor_client, editor):
    commitment = CommitmentFactory(reference="SDP §30(a)")
    response = editor_client.post(
        reverse("commitments:commitment_edit", args=[commitment.pk]),
        commitment_edit_data(commitment, actor="japan", responsible_body=""),
    )
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.actor == Actor.JAPAN
    page = editor_client.get(commitment.get_absolute_url()).content.decode()
    assert "Who must act" in page and "Japan" in page


def test_a_value_outside_the_choices_is_refused(world):
    with pytest.raises(Exception):  # noqa: B017 - the model's choices (ValidationError) refuse it
        commitment_update(commitment=world, expected_edit_version=0, author=UserFactory(editor=True), actor="china")
    world.refresh_from_db()
    assert world.actor == Actor.EU


def test_seed_values_follow_the_wording(seed_data):
    def actor(reference: str) -> str:
        return Commitment.objects.get(reference=reference).actor

    assert actor("JS-2023 (PRESS ¶2)") == Actor.EU  # "The EU agreed to lift its remaining import restrictions"
    assert actor("JS-2023 (PRESS ¶4)") == Actor.BOTH  # "The leaders decided"
    # The subject names both parties, in any words: "The EU and Japan will deepen consultations" (SDP §20), "Tokyo and
    # the 27-member bloc also reiterated" (press ¶9), "both parties ... declare their intention" (Martens).
    for reference in ("SDP §20", "JS-2023 (PRESS ¶9)", "JS-2023 (MARTENS Summit 2023)(a)", "DP (EP-IDA §2.2)(a)"):
        assert actor(reference) == Actor.BOTH, reference
    # An indent takes its chapeau's subject: "The EU and Japan have decided to establish ...: - Upgrading ...".
    assert actor("SDP §5(c)") == actor("SDP §5(d)") == actor("SDP §12(a)") == Actor.BOTH
    # No party named, nothing recorded: "These dialogues will report" (SDP §5(f)), "The content ... will be reviewed"
    # (SDP §32), "The Joint Statement called to further develop" (SDP §2), a memorandum "launched in July 2017".
    for reference in ("SDP §5(f)", "SDP §32", "JS-2023 (SDP §2)", "LNG-MOC (EP-IDA §2.3)(a)"):
        assert actor(reference) == "", reference
    assert Commitment.objects.filter(actor=Actor.BOTH).count() == 82
    assert Commitment.objects.filter(actor="").count() == 40
