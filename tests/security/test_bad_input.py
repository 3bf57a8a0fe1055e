"""Bad input everywhere: property-based tests (hypothesis) of every staff form through its page.

Whatever an editor's browser sends (missing fields, junk, huge or negative numbers, impossible dates, NUL bytes,
forged versions, extra fields), the answer is never a server error: either the change is saved (302), or it is
refused with a clear message (400 with an error summary, 409 for a conflict) and NOTHING is written, checked by
comparing the whole database content before and after.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commitments.choices import PolicyArea, Status, Strength
from commitments.tests.factories import CommitmentFactory, UserFactory
from core.roles import EDITORS
from dialogues.tests.factories import DialogueBodyFactory
from tracker.backup import snapshot

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

junk_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=190, max_size=700),  # too long for a CharField
    st.sampled_from(["", " ", "\x00", "null", "<script>alert(1)</script>", "-1", "1e309", "٣", "NaN"]),
)
numbers = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12).map(str), st.sampled_from(["", "50", "100", "101", "-0", "3.5"])
)
dates = st.one_of(
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(lambda d: d.isoformat()),
    st.sampled_from(["", "2026-02-30", "31/12/2025", "0000-00-00", "tomorrow"]),
)
urls = st.one_of(
    st.sampled_from(["", "https://example.eu/doc", "javascript:alert(1)", "ftp://x", "http://"]), junk_text
)


def maybe(strategy):
    """The field sent with a value from ``strategy``, or left out of the request altogether."""
    return st.one_of(st.none(), strategy)


def post_data(**fields) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({name: maybe(strategy) for name, strategy in fields.items()}).map(
        lambda data: {name: value for name, value in data.items() if value is not None}
    )


@pytest.fixture
def setting():
    editor = UserFactory(username="fuzz-editor", role=EDITORS)
    body = DialogueBodyFactory(short_name="FUZZ")
    commitment = CommitmentFactory(responsible_body=body)
    client = Client(raise_request_exception=False)
    client.force_login(editor)
    return {"client": client, "commitment": commitment, "body": body}


def submit(setting, url: str, data: dict):
    before = snapshot()
    response = setting["client"].post(url, data)
    assert response.status_code in (302, 400, 409), (response.status_code, data)
    if response.status_code != 302:
        assert snapshot() == before, f"a refused request wrote something: {data}"
        page = response.content.decode()
        if response.status_code == 409:  # somebody else's change: said so, with what changed
            assert 'class="conflict" role="alert"' in page, data
        else:  # invalid: the error summary at the top lists what to correct
            assert 'class="error-summary"' in page, data
    return response


@given(data=st.data())
@FUZZ
def test_status_update_form(setting, data):
    commitment = setting["commitment"]
    commitment.refresh_from_db()
    payload = data.draw(
        post_data(
            status=st.one_of(st.sampled_from(Status.values), junk_text),
            progress=numbers,
            note=junk_text,
            evidence_url=urls,
            evidence_reference=junk_text,
            evidence_date=dates,
            expected_version=st.one_of(st.just(str(commitment.version)), numbers),
        )
    )
    submit(setting, reverse("commitments:commitment_update_status", args=[commitment.pk]), payload)


@given(data=st.data())
@FUZZ
def test_confirm_unchanged_form(setting, data):
    commitment = setting["commitment"]
    commitment.refresh_from_db()
    payload = data.draw(
        post_data(
            note=junk_text,
            evidence_url=urls,
            evidence_reference=junk_text,
            evidence_date=dates,
            expected_version=st.one_of(st.just(str(commitment.version)), numbers),
        )
    )
    submit(setting, reverse("commitments:commitment_confirm", args=[commitment.pk]), payload)


@given(data=st.data())
@FUZZ
def test_commitment_edit_form(setting, data):
    commitment = setting["commitment"]
    commitment.refresh_from_db()
    payload = data.draw(
        post_data(
            title=junk_text,
            description=junk_text,
            area=st.one_of(st.sampled_from(PolicyArea.values), junk_text),
            strength=st.one_of(st.sampled_from(Strength.values), junk_text),
            responsible_body=st.one_of(st.just(str(setting["body"].pk)), numbers),
            target_date=dates,
            expected_edit_version=st.one_of(st.just(str(commitment.edit_version)), numbers),
        )
    )
    submit(setting, reverse("commitments:commitment_edit", args=[commitment.pk]), payload)


@given(data=st.data())
@FUZZ
def test_meeting_form(setting, data):
    payload = data.draw(
        post_data(
            body=st.one_of(st.just(str(setting["body"].pk)), numbers, junk_text),
            held_on=dates,
            place=junk_text,
            summary=junk_text,
            commitments_advanced=st.one_of(
                st.just(str(setting["commitment"].pk)), numbers, st.lists(numbers, max_size=3)
            ),
        )
    )
    submit(setting, reverse("dialogues:meeting_create"), payload)


_examples = itertools.count()


@given(data=st.data())
@FUZZ
@pytest.mark.parametrize("kind", ["body", "agreement"])
def test_confirm_fact_forms(setting, data, kind):
    """The confirmation of an assumed fact (a body's cadence, an agreement's signature), through either page."""
    from commitments.tests.factories import AgreementFactory, SourceDocumentFactory

    # A record of its own for each example: the factories get or create by code, and an example that confirmed the
    # fact would leave the next one a record with nothing to confirm.
    code = f"GUESS-{next(_examples)}"
    if kind == "body":
        record = DialogueBodyFactory(short_name=code, assumed_cadence=True)
        url, fact = reverse("dialogues:body_confirm_fact", args=[record.short_name]), "cadence"
    else:
        record = AgreementFactory(code=code, assumed_signature=True)
        url, fact = reverse("commitments:agreement_confirm_fact", args=[record.code]), "signed_on"
    record.refresh_from_db()
    document = SourceDocumentFactory(key="fuzz-doc")
    payload = data.draw(
        post_data(
            fact=st.one_of(st.sampled_from([fact, "level", "in_force_on", "title"]), junk_text),
            source_document=st.one_of(st.just(str(document.pk)), numbers, junk_text),
            locator=junk_text,
            seen=st.one_of(st.just(f"{fact}={record.fact(fact).fingerprint}"), junk_text, st.just(f"{fact}=0")),
        )
    )
    submit(setting, url, payload)
