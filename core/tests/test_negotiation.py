"""Content negotiation is DRF's, its answers kept per renderer classes, format and Accept header
(core.api.negotiation): a kept answer is the one DRF gives, for that view's renderers, and refusals stay refusals."""

from __future__ import annotations

import pytest

from commitments.tests.api_support import _fresh_throttle_counters, token_client  # noqa: F401 (fixture)
from commitments.tests.factories import CommitmentFactory
from core.api import negotiation

pytestmark = pytest.mark.django_db

COMMITMENTS = "/api/v1/commitments/"  # JSON and CSV
MILESTONES = "/api/v1/milestones/"  # JSON only


@pytest.fixture(autouse=True)
def _fresh_choices():
    negotiation._choices.clear()
    yield
    negotiation._choices.clear()


def test_the_same_accept_header_is_answered_per_view(reviewer):
    CommitmentFactory(title="Joint exercises")
    client = token_client(reviewer)
    for _ in range(2):  # the second round is answered from what the first kept
        csv = client.get(COMMITMENTS, HTTP_ACCEPT="text/csv")
        assert csv.status_code == 200
        assert csv["Content-Type"].startswith("text/csv")
        assert "Joint exercises" in csv.getvalue().decode()
        refused = client.get(MILESTONES, HTTP_ACCEPT="text/csv")
        assert refused.status_code == 406
        assert refused["Content-Type"].startswith("application/json")


def test_json_and_its_parameters_and_format_override(reviewer):
    CommitmentFactory(title="Joint exercises")
    client = token_client(reviewer)
    for _ in range(2):
        plain = client.get(COMMITMENTS, HTTP_ACCEPT="application/json")
        assert plain["Content-Type"] == "application/json"
        indented = client.get(COMMITMENTS, HTTP_ACCEPT="application/json; indent=4")
        assert indented["Content-Type"] == "application/json; indent=4"
        assert b'\n    "count": 1' in indented.content
        overridden = client.get(COMMITMENTS, {"format": "csv"}, HTTP_ACCEPT="application/json")
        assert overridden.status_code == 406  # the format asks for CSV, the header for JSON only
        assert client.get(COMMITMENTS, {"format": "yaml"}).status_code == 406  # a format not offered, named
        anything = client.get(COMMITMENTS, HTTP_ACCEPT="*/*")
        assert anything["Content-Type"] == "application/json"
