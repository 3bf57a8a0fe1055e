"""References sort in natural order (§4 < §5 < §10 < §12(b)(i)) in the database: lists, CSV and API alike."""

import csv
import io

import pytest
from django.urls import reverse

from commitments.models import Commitment
from commitments.references import reference_sort_key, roman_to_int
from commitments.tests.factories import CommitmentFactory

pytestmark = pytest.mark.django_db

NATURAL = [
    "SDP §4",
    "SDP §5",
    "SDP §5(a)",
    "SDP §5(f)",
    "SDP §10",
    "SDP §10(a)",
    "SDP §12",
    "SDP §12(a)",
    "SDP §12(b)(i)",
    "SDP §12(b)(ii)",
    "SDP §12(b)(iv)",
    "SDP §12(b)(ix)",
    "SDP §12(c)",
    "SDP §32",
]


def _paragraph(reference: str) -> str:
    return reference.split("§", 1)[1]


def test_the_key_orders_references_naturally():
    shuffled = NATURAL[::2] + NATURAL[1::2]
    assert sorted(shuffled, key=reference_sort_key) == NATURAL
    assert roman_to_int("ix") == 9 and roman_to_int("iv") == 4 and roman_to_int("b") is None
    # Only lower-case letters and digits: every collation (SQLite, PostgreSQL C or en_US) orders it the same way.
    assert all(ch.isascii() and (ch.isdigit() or ch.islower()) for ch in reference_sort_key("SDP §12(b)(ii)"))


def test_the_key_is_kept_on_save():
    commitment = CommitmentFactory(reference="XYZ §9")
    commitment.reference = "XYZ §10"
    commitment.save(update_fields=["reference"])
    commitment.refresh_from_db()
    assert commitment.reference_sort_key == reference_sort_key("XYZ §10")


def test_seed_sdp_commitments_list_in_natural_order(seed_data, reviewer_client):
    """On the seed data: the database orders SDP commitments §4, §5, §5(a), ..., §10, ..., §12(b)(i), ..., §32."""
    in_db = list(Commitment.objects.filter(agreement__code="SDP").values_list("reference", flat=True))
    assert in_db[:3] == ["SDP §4", "SDP §5", "SDP §5(a)"]
    assert in_db.index("SDP §9") < in_db.index("SDP §10(a)") < in_db.index("SDP §12(b)(i)")
    assert in_db.index("SDP §12(b)(i)") < in_db.index("SDP §12(b)(ii)") < in_db.index("SDP §12(c)")
    assert in_db == sorted(in_db, key=reference_sort_key)
    assert in_db[-1] == "SDP §32"

    page = reviewer_client.get(reverse("commitments:commitment_list"), {"agreement": "SDP", "ordering": "reference"})
    listed = [c.reference for c in page.context["commitments"]]
    assert listed == in_db[: len(listed)]

    descending = reviewer_client.get(
        reverse("commitments:commitment_list"), {"agreement": "SDP", "ordering": "-reference"}
    )
    assert [c.reference for c in descending.context["commitments"]][:2] == ["SDP §32", "SDP §31(b)"]

    response = reviewer_client.get(reverse("commitments:commitment_export_csv"), {"agreement": "SDP"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert [row["reference"] for row in csv.DictReader(io.StringIO(text))] == in_db


def test_api_ordering_by_reference_is_natural(seed_data, reviewer):
    from commitments.tests.api_support import token_client

    api = token_client(reviewer)
    body = api.get("/api/v1/commitments/", {"agreement": "SDP", "ordering": "reference", "page_size": 100}).json()
    references = [row["reference"] for row in body["results"]]
    assert [_paragraph(r) for r in references[:4]] == ["4", "5", "5(a)", "5(b)"]
    assert references == sorted(references, key=reference_sort_key)
