"""One commitment state, everywhere: the rule (``commitments.states``), its SQL twin, and the list, detail page,
CSV and API that show it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from commitments.choices import CommitmentState, Status
from commitments.models import Commitment
from commitments.states import commitment_state
from commitments.tests.api_support import _fresh_throttle_counters, reviewer_api
from commitments.tests.factories import CommitmentFactory

__all__ = ["_fresh_throttle_counters", "reviewer_api"]  # fixtures used by name

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 10)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.parametrize(
    ("status", "days_ago", "state"),
    [
        (Status.ACHIEVED, 900, CommitmentState.ACHIEVED),
        (Status.DISCONTINUED, 900, CommitmentState.DISCONTINUED),
        (Status.ONGOING, 30, CommitmentState.MOVING),
        (Status.IN_PROGRESS, 364, CommitmentState.MOVING),
        (Status.IN_PROGRESS, 366, CommitmentState.STALE),
        (Status.STALLED, 10, CommitmentState.STALLED),
        (Status.STALLED, 400, CommitmentState.STALE),
        (Status.NOT_STARTED, 10, CommitmentState.NOT_STARTED),
        (Status.NOT_STARTED, 400, CommitmentState.STALE),
    ],
)
def test_the_rule_decides_each_case(status, days_ago, state):
    decided = commitment_state(status=status, last_update_at=NOW - dt.timedelta(days=days_ago), on=TODAY)
    assert decided.code == state


def test_a_stale_state_names_the_status_it_last_recorded():
    stale = commitment_state(status=Status.IN_PROGRESS, last_update_at=NOW - dt.timedelta(days=500), on=TODAY)
    assert stale.text == "Stale: no update in 12 months (last recorded: in progress)"
    assert commitment_state(status=Status.ONGOING, last_update_at=NOW, on=TODAY).text == "Moving (ongoing)"


def _every_combination() -> list[Commitment]:
    """One commitment per status × (last update recent / old / never, entered recently / long ago)."""
    rows = []
    ages = [(None, 10), (None, 500), (10, 500), (500, 600), (364, 400), (366, 400)]
    for n, (status, (reviewed, entered)) in enumerate(itertools.product(Status.values, ages)):
        commitment = CommitmentFactory(reference=f"ST §{n}", created_at=NOW - dt.timedelta(days=entered))
        Commitment.objects.filter(pk=commitment.pk).update(
            status=status,
            progress=100 if status == Status.ACHIEVED else None,
            last_reviewed_at=None if reviewed is None else NOW - dt.timedelta(days=reviewed),
        )
        rows.append(commitment)
    return rows


def test_the_sql_twin_the_filter_and_the_python_rule_agree_on_every_combination():
    _every_combination()
    annotated = list(Commitment.objects.with_state())
    assert {c.state_code for c in annotated} == set(CommitmentState.values)
    for commitment in annotated:
        assert commitment.state_code == commitment.state().code, (commitment.status, commitment.last_reviewed_at)
    for state in CommitmentState.values:
        expected = {c.pk for c in annotated if c.state_code == state}
        assert set(Commitment.objects.in_state(state).values_list("pk", flat=True)) == expected, state
    # The stale rule is the one the "stale" filter and the overview's stale list use.
    stale = {c.pk for c in annotated if c.state_code == CommitmentState.STALE}
    assert set(Commitment.objects.stale().values_list("pk", flat=True)) == stale


def _stale_and_moving():
    old = CommitmentFactory(reference="OLD §1", created_at=NOW - dt.timedelta(days=800))
    long_ago = NOW - dt.timedelta(days=700)
    Commitment.objects.filter(pk=old.pk).update(status=Status.IN_PROGRESS, last_reviewed_at=long_ago)
    fresh = CommitmentFactory(reference="NEW §1")
    Commitment.objects.filter(pk=fresh.pk).update(status=Status.ONGOING, last_reviewed_at=NOW - dt.timedelta(days=5))
    return old, fresh


def test_the_list_the_page_the_csv_and_the_api_show_the_one_state(reviewer_client, reviewer_api):
    old, _fresh = _stale_and_moving()
    listing = reviewer_client.get(reverse("commitments:commitment_list"), {"state": "stale"})
    assert [c.reference for c in listing.context["commitments"]] == ["OLD §1"]
    html = listing.content.decode()
    assert 'class="badge state-stale"' in html and "recorded: in progress" in html
    page = reviewer_client.get(old.get_absolute_url()).content.decode()
    assert "<dt>State</dt>" in page and "no update in 12 months; last recorded: in progress" in page
    export = reviewer_client.get(reverse("commitments:commitment_export_csv")).getvalue().decode("utf-8-sig")
    rows = {row["reference"]: row for row in csv.DictReader(io.StringIO(export))}
    assert (rows["OLD §1"]["state"], rows["NEW §1"]["state"]) == ("stale", "moving")
    assert rows["OLD §1"]["status"] == "in_progress"  # the recorded status is still there, next to it
    api = {row["reference"]: row for row in reviewer_api.get("/api/v1/commitments/").json()["results"]}
    assert (api["OLD §1"]["state"], api["NEW §1"]["state"]) == ("stale", "moving")
    assert api["OLD §1"]["state_label"].startswith("Stale") and api["OLD §1"]["status"] == "in_progress"
    moving = reviewer_api.get("/api/v1/commitments/", {"state": "moving"}).json()["results"]
    assert [row["reference"] for row in moving] == ["NEW §1"]
    assert reviewer_api.get("/api/v1/commitments/", {"state": "later"}).status_code == 400


def test_the_schema_documents_the_state_as_read_only(reviewer_api):
    schema = reviewer_api.get(reverse("api:schema"), HTTP_ACCEPT="application/json").json()
    commitment = schema["components"]["schemas"]["Commitment"]
    assert "state" in commitment["properties"] and "state_label" in commitment["properties"]
    assert commitment["properties"]["state"].get("readOnly") or "$ref" in str(commitment["properties"]["state"])
    assert "stale" in str(schema) and "no update or review in 12 months" in str(schema)


def test_the_state_moves_with_the_day_not_with_a_write():
    commitment = CommitmentFactory(reference="DAY §1", created_at=NOW - dt.timedelta(days=300))
    assert commitment.state().code == CommitmentState.NOT_STARTED
    assert commitment.state(on=timezone.localdate() + dt.timedelta(days=70)).code == CommitmentState.STALE


def test_the_list_counts_a_bounded_number_of_queries(reviewer_client, django_assert_max_num_queries):
    _every_combination()
    with django_assert_max_num_queries(8):
        reviewer_client.get(reverse("commitments:commitment_list"), {"state": ["stale", "moving"]})
