"""Briefing packs: server-rendered PDFs of a framework and of a dialogue body, read back as text (pypdf)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse

from commitments.models import Commitment, StatusUpdate
from dialogues.models import DialogueBody

pypdf = pytest.importorskip("pypdf")
pytest.importorskip("weasyprint")

pytestmark = pytest.mark.django_db


def pdf_text(response) -> tuple[str, int]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(text.split()), len(reader.pages)


def test_framework_pack_has_cover_key_figures_overdue_bodies_and_latest_evidence(seed_data, reviewer, reviewer_client):
    response = reviewer_client.get(reverse("dashboards:agreement_briefing", args=["SDP"]), {"since": "2024-01-01"})
    text, pages = pdf_text(response)
    assert "Security and Defence Partnership between the European Union and Japan (SDP)" in text
    assert (
        f"Prepared by {reviewer.get_full_name() or reviewer.get_username()}" in text
        and "Changes since 1 January 2024" in text
    )
    total = Commitment.objects.filter(agreement__code="SDP").count()
    assert f"Key figures {total} commitments" in text
    bodies = DialogueBody.objects.with_last_meeting_precision().filter(agreements__code="SDP")
    overdue = [body for body in bodies if body.is_overdue()]
    assert overdue, "the seed data has overdue SDP bodies"
    for body in overdue:
        assert f"{body.name}: {body.overdue_phrase}" in text
    # A commitment's latest evidence: SDP §5 was achieved on the evidence of the adopted text.
    latest = StatusUpdate.objects.filter(commitment__reference="SDP §5").order_by("-recorded_at", "-version").first()
    assert latest.evidence_reference and " ".join(latest.evidence_reference.split()) in text
    # Commitments in natural order.
    listed = text[text.index("Commitments, their state and latest evidence") :]
    assert listed.index("SDP §4 ") < listed.index("SDP §5 ") < listed.index("SDP §10(a)") < listed.index("SDP §32")
    assert pages >= 2
    # Each commitment's state by the one rule, the key figures counted by it.
    states = [c.state().code for c in Commitment.objects.filter(agreement__code="SDP")]
    assert f"{states.count('not_started')} not started" in text and f"{states.count('stale')} stale" in text


def test_body_pack_has_cadence_meetings_and_its_commitments(seed_data, reviewer_client):
    body = DialogueBody.objects.filter(meetings__isnull=False, commitments__isnull=False).distinct().first()
    text, _ = pdf_text(reviewer_client.get(reverse("dashboards:body_briefing", args=[body.short_name])))
    assert body.name in text and "dialogue body" in text.lower()
    assert "Dialogue bodies: cadence and meetings" in text and "Meetings:" in text
    assert f"Key figures {body.commitments.count()} commitment" in text
    assert body.commitments.first().reference in text


def test_a_bad_since_is_refused_with_400_and_unknown_codes_404(seed_data, reviewer_client):
    response = reviewer_client.get(reverse("dashboards:agreement_briefing", args=["SDP"]), {"since": "yesterday"})
    assert response.status_code == 400 and b"valid date" in response.content
    future = reviewer_client.get(reverse("dashboards:body_briefing", args=["SDD"]), {"since": "2999-01-01"})
    assert future.status_code == 400
    assert reviewer_client.get(reverse("dashboards:agreement_briefing", args=["NOPE"])).status_code == 404
    assert reviewer_client.get(reverse("dashboards:body_briefing", args=["NOPE"])).status_code == 404


def test_packs_need_sign_in(seed_data, client):
    response = client.get(reverse("dashboards:agreement_briefing", args=["SDP"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- The pack of a policy area ------------------------------------------------------------------------------


def squeezed(text: str) -> str:
    """Text without whitespace: a long evidence reference may wrap anywhere in a table cell."""
    return "".join(text.split())


def test_area_pack_has_cover_key_figures_overdue_bodies_and_latest_evidence(seed_data, reviewer, reviewer_client):
    area = "maritime_security"
    response = reviewer_client.get(reverse("dashboards:area_briefing", args=[area]), {"since": "2024-01-01"})
    text, _ = pdf_text(response)
    assert response["Content-Disposition"].startswith('inline; filename="briefing-maritime_security-')
    assert "briefing pack · policy area".upper() in text.upper() and "Maritime security" in text
    assert f"Prepared by {reviewer.get_full_name() or reviewer.get_username()}" in text
    assert "Changes since 1 January 2024" in text
    commitments = Commitment.objects.filter(area=area)
    achieved = commitments.filter(status="achieved").count()
    assert f"Key figures {commitments.count()} commitments {achieved} achieved" in text
    # The bodies responsible for the area's commitments, with the overdue ones named on the cover.
    bodies = DialogueBody.objects.filter(commitments__area=area).distinct()
    overdue = [b for b in bodies if b.is_overdue()]
    assert overdue, "the seed data has an overdue body responsible for maritime security"
    for body in overdue:
        if body.last_meeting_on:
            assert f"{body.name}: {body.days_overdue():,} days past due" in text
        else:  # overdue from its start: the tracker records no meeting, which is not to say it never met
            assert f"{body.name}: no meeting recorded since it started" in text
    assert "Dialogue bodies: cadence and meetings" in text
    for body in bodies:
        assert body.name in text
    # The cover names a body by its name, never by the tracker's code for it (the bodies section gives both).
    assert "ATALANTA-JMSDF" not in text[: text.index("Dialogue bodies: cadence and meetings")]
    # A commitment's latest evidence.
    update = (
        StatusUpdate.objects.filter(commitment__area=area)
        .exclude(evidence_reference="")
        .order_by("-recorded_at", "-version")
        .first()
    )
    assert squeezed(update.evidence_reference) in squeezed(text)
    # Only this area's commitments, in natural order within a framework.
    listed = text[text.index("Commitments, their state and latest evidence") :]
    assert listed.index("SDP §11 ") < listed.index("SDP §12(a)") < listed.index("SDP §12(b)(i)")
    assert listed.index("SDP §12(b)(i)") < listed.index("SDP §12(b)(ii)") < listed.index("SDP §12(c)")
    other = Commitment.objects.exclude(area=area).filter(agreement__code="SDP").in_reference_order().first()
    assert f"{other.reference} " not in listed


def test_area_pack_marks_an_assumed_cadence(seed_data, reviewer_client):
    body = next(
        b
        for b in DialogueBody.objects.filter(commitments__isnull=False, cadence_months__isnull=False).distinct()
        if b.fact("cadence").is_assumed
    )
    area = body.commitments.first().area
    text, _ = pdf_text(reviewer_client.get(reverse("dashboards:area_briefing", args=[area])))
    bodies = text[text.index("Dialogue bodies: cadence and meetings") :]
    section = bodies[bodies.index(body.name) :]
    assert section.split(body.name, 1)[1].lstrip(" (").startswith(body.short_name)
    assert f"Meets every {body.cadence_months} months assumed" in section


def test_area_pack_of_an_unknown_area_is_404_and_a_bad_since_400(seed_data, reviewer_client):
    assert reviewer_client.get("/areas/piracy/briefing.pdf").status_code == 404
    assert reviewer_client.get("/areas/Maritime_Security/briefing.pdf").status_code == 404
    bad = reviewer_client.get(reverse("dashboards:area_briefing", args=["cyber"]), {"since": "2024-13-01"})
    assert bad.status_code == 400 and bad["Content-Type"].startswith("text/plain")
    future = reviewer_client.get(reverse("dashboards:area_briefing", args=["cyber"]), {"since": "2999-01-01"})
    assert future.status_code == 400


def test_area_pack_of_an_area_with_no_commitment_says_so(seed_data, reviewer_client):
    text, _ = pdf_text(reviewer_client.get(reverse("dashboards:area_briefing", args=["health"])))
    assert "Key figures 0 commitments" in text
    assert "No commitment is recorded for this policy area." in text
    assert "No dialogue body is recorded for this policy area." in text


def test_area_packs_are_linked_wherever_policy_areas_are_shown(seed_data, reviewer, reviewer_client):
    from subscriptions.tests.factories import FollowFactory

    pack = reverse("dashboards:area_briefing", args=["maritime_security"])
    overview = reviewer_client.get(reverse("dashboards:home")).content.decode()
    assert overview.count('href="/areas/') == len({c.area for c in Commitment.objects.all()})
    assert f'href="{pack}"' in overview
    agreement = reviewer_client.get(reverse("dashboards:agreement_detail", args=["SDP"]))
    assert f'href="{pack}"' in agreement.content.decode()
    commitment = Commitment.objects.filter(area="maritime_security").first()
    assert f'href="{pack}"' in reviewer_client.get(commitment.get_absolute_url()).content.decode()
    listed = reviewer_client.get(reverse("commitments:commitment_list"), {"area": "maritime_security"})
    assert f'href="{pack}"' in listed.content.decode()
    # Two areas, or a wrong one, have no single pack to link.
    two = reviewer_client.get(reverse("commitments:commitment_list"), {"area": ["maritime_security", "cyber"]})
    assert 'href="/areas/' not in two.content.decode()
    wrong = reviewer_client.get(reverse("commitments:commitment_list"), {"area": "piracy"})
    assert 'href="/areas/' not in wrong.content.decode()
    FollowFactory(user=reviewer, of_area=True, area="maritime_security")
    assert f'href="{pack}"' in reviewer_client.get(reverse("subscriptions:following")).content.decode()


def test_area_pack_does_not_grow_in_queries_with_the_data(seed_data, reviewer_client, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from commitments.tests.factories import CommitmentFactory, StatusUpdateFactory
    from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory

    url = reverse("dashboards:area_briefing", args=["cyber"])
    # One change in the window (the seed has none: its updates are dated by their evidence or left undated), so the
    # first count includes the fixed queries of the change list too.
    StatusUpdateFactory(commitment=CommitmentFactory(area="cyber"))
    with CaptureQueriesContext(connection) as few:
        pdf_text(reviewer_client.get(url))
    for _ in range(5):
        body = DialogueBodyFactory()
        MeetingFactory(body=body)
        commitment = CommitmentFactory(area="cyber", responsible_body=body)
        StatusUpdateFactory(commitment=commitment)
    with django_assert_max_num_queries(len(few)):
        pdf_text(reviewer_client.get(url))
    assert len(few) <= 18


def test_a_framework_pack_lists_each_commitments_milestones_and_marks_the_overdue(reviewer_client):
    import datetime as dt

    import time_machine

    from commitments.tests.factories import AgreementFactory, CommitmentFactory, MilestoneFactory

    commitment = CommitmentFactory(agreement=AgreementFactory(code="SDP"), reference="SDP §12")
    with time_machine.travel(dt.datetime(2026, 12, 7, 10, 0), tick=False):
        MilestoneFactory(commitment=commitment, title="Plan agreed", due_on=dt.date(2025, 1, 1), done=True)
        MilestoneFactory(
            commitment=commitment, title="Exercise held", due_on=dt.date(2026, 5, 1), due_on_precision="month"
        )
        text, _ = pdf_text(reviewer_client.get(reverse("dashboards:agreement_briefing", args=["SDP"])))
    assert "Done 1 May 2025: Plan agreed" in text
    assert "Due May 2026: Exercise held (overdue)" in text


def test_the_framework_page_names_each_area_pack_as_the_area_is_written(seed_data, reviewer_client):
    """The link to an area's pack keeps the area's label as written ("Hybrid threats and FIMI", not "fimi")."""
    page = reviewer_client.get(reverse("dashboards:agreement_detail", args=["SDP"])).content.decode()
    url = reverse("dashboards:area_briefing", args=["hybrid_fimi"])
    assert f'<a href="{url}">Hybrid threats and FIMI across all frameworks: briefing pack (PDF)</a>' in page


# --- A date the documents give as a month is a month --------------------------------------------------------


def test_a_body_pack_shows_month_precise_meetings_as_their_month(reviewer_client):
    from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory

    space = DialogueBodyFactory(short_name="SPACE", name="Space Policy Dialogue", established_on=dt.date(2015, 1, 1))
    MeetingFactory(body=space, held_on=dt.date(2022, 10, 3), place="Brussels")
    MeetingFactory(body=space, held_on=dt.date(2023, 1, 1), held_on_precision="month", place="Tokyo")
    url = reverse("dashboards:body_briefing", args=["SPACE"])
    text, _ = pdf_text(reviewer_client.get(url, {"since": "2022-12-01"}))
    assert "Last met January 2023" in text  # the pack's facts and the body's paragraph
    assert "Last met January 2023; next meeting due by" in text
    assert "Meetings: Jan 2023 (Tokyo) · 3 Oct 2022 (Brussels)." in text
    assert "Meetings: SPACE in Jan 2023." in text  # what changed since 1 December 2022
    assert "1 January 2023" not in text and "1 Jan 2023" not in text
    # Due by 31 January 2024, a year after a meeting known to the month: the day it fell overdue is not known either.
    grace_ends = dt.date(2024, 1, 31) + dt.timedelta(days=space.grace_days + 1)
    assert f"1 body fell overdue (SPACE in {grace_ends:%b %Y})." in text
    assert f"{grace_ends.day} {grace_ends:%b %Y}" not in text


def test_a_framework_pack_gives_its_dates_to_their_precision_and_says_which_are_assumed(reviewer_client):
    from commitments.tests.factories import AgreementFactory

    AgreementFactory(
        code="STI-LOI", signed_on=dt.date(2020, 5, 1), signed_on_precision="month", assumed_signature=True
    )
    text, _ = pdf_text(reviewer_client.get(reverse("dashboards:agreement_briefing", args=["STI-LOI"])))
    assert (
        "Signed or adopted May 2020 (assumed by the tracker's editors: placeholder: the documents give no date)"
        in text
    )
    assert "In force since not recorded" in text
    assert "1 May 2020" not in text


# --- What a pack prints as assumed, it says is assumed -------------------------------------------------------


def test_a_body_pack_says_which_of_the_bodys_facts_are_assumed_and_why(seed_data, reviewer_client):
    cyber = DialogueBody.objects.select_related("reports_to").get(short_name="CYBER")
    assert all(cyber.fact(name).is_assumed for name in ("level", "reports_to", "cadence"))
    text, _ = pdf_text(reviewer_client.get(reverse("dashboards:body_briefing", args=["CYBER"])))
    # The cover gives each assumed fact in the words of the body's page: "assumed by <who>: <why>".
    assert f"Level Director ({cyber.fact('level').basis_text}) Reports to" in text
    assert f"Reports to {cyber.reports_to.name} ({cyber.fact('reports_to').basis_text}) Cadence" in text
    assert f"Cadence every 12 months ({cyber.fact('cadence').basis_text}) Started" in text
    # Its section among the bodies marks them, and says once what "assumed" means.
    bodies = text[text.index("Dialogue bodies: cadence and meetings") :]
    assert "Facts marked assumed are not stated by any of the tracker's documents" in bodies
    assert "Japan–EU Cyber Dialogue (CYBER) (Director assumed)" in bodies
    assert f"reports to {cyber.reports_to.name} assumed." in bodies
    # It has met regularly since 2014 by the documents, on no date they give: the tracker records no meeting of it.
    assert "Last met none recorded" in bodies and "never" not in text.lower()
    # The Space Dialogue's level, as the review read it in its pack: "Level: Director", without the assumption.
    space = DialogueBody.objects.get(short_name="SPACE")
    text, _ = pdf_text(reviewer_client.get(reverse("dashboards:body_briefing", args=["SPACE"])))
    assert f"Level Director ({space.fact('level').basis_text})" in text
    assert "(SPACE) (Director assumed)" in text


def test_a_framework_and_an_area_pack_mark_assumed_levels_and_reporting_lines_and_no_stated_one(
    seed_data, reviewer_client
):
    text, _ = pdf_text(reviewer_client.get(reverse("dashboards:agreement_briefing", args=["SDP"])))
    assert "last met none recorded" in text and "last met never" not in text  # the overdue Cyber Dialogue
    bodies = text[text.index("Dialogue bodies: cadence and meetings") :]
    sdd = "Japan–EU Security and Defence Dialogue (DG/MD level)"
    assert f"(CYBER) (Director assumed) Meets every 12 months assumed; reports to {sdd} assumed." in bodies
    # Stated by a document: no mark.
    assert "(SUMMIT) (Leaders) Meets" in bodies
    assert f"THEMATIC) (Director assumed) Meets ad hoc; reports to {sdd}. Last met" in bodies
    assert DialogueBody.objects.get(short_name="SDP-THEMATIC").fact("reports_to").is_stated
    text, _ = pdf_text(reviewer_client.get(reverse("dashboards:area_briefing", args=["space"])))
    assert "(SPACE) (Director assumed) Meets every 12 months assumed." in text


def test_a_body_pack_gives_an_assumed_start_date_as_assumed(reviewer_client):
    from dialogues.tests.factories import DialogueBodyFactory

    DialogueBodyFactory(
        short_name="BODY-X",
        established_on=dt.date(2014, 1, 1),
        established_on_precision="year",
        established_on_basis="assumed",
        established_on_source=None,
        established_on_reason="the documents give only the year of the first meeting",
        established_on_assumed_by="the tracker's editors",
    )
    text, _ = pdf_text(reviewer_client.get(reverse("dashboards:body_briefing", args=["BODY-X"])))
    assert (
        "Started 2014 (assumed by the tracker's editors: the documents give only the year of the first meeting)"
        in text
    )
    stated = DialogueBodyFactory(
        short_name="BODY-Y", established_on=dt.date(2014, 1, 1), established_on_precision="year"
    )
    text, _ = pdf_text(reviewer_client.get(reverse("dashboards:body_briefing", args=[stated.short_name])))
    assert "Started 2014 Last met" in text and "assumed" not in text


# --- No pack ends on a page that holds a few lines -------------------------------------------------------------

# The seeded packs' last pages, read back as text lines (pypdf, the footer left out), measured when the packs were
# laid out without regard to their length: 5 lines for a framework with no commitment and no body (FPA, SOIA), 7
# for a body with none (ASEP, EP-DIET, SD-CONS), 7 and 8 for two bodies spilling onto a page of their own (SDP's
# 7th page, the economic-security and maritime-security areas). Now the shortest last page of a pack longer than
# one page has 13 lines (a third of the page: the SP-2003 dialogue's commitments and body); a pack that would end
# on less is laid out tighter. Ten lines lies between the two.
FEWEST_LINES_ON_A_LAST_PAGE = 10


def last_page_lines(response) -> tuple[int, int]:
    assert response.status_code == 200
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    lines = [line for line in reader.pages[-1].extract_text().splitlines() if line.strip()]
    footer = [line for line in lines if line.startswith("EU–Japan commitment tracker · briefing pack")]
    return len(reader.pages), len(lines) - len(footer)


def test_no_seeded_pack_ends_on_a_page_that_holds_only_a_few_lines(seed_data, reviewer_client):
    from commitments.choices import PolicyArea
    from commitments.models import Agreement

    urls = [reverse("dashboards:agreement_briefing", args=[a.code]) for a in Agreement.objects.all()]
    urls += [reverse("dashboards:body_briefing", args=[b.short_name]) for b in DialogueBody.objects.all()]
    urls += [reverse("dashboards:area_briefing", args=[area]) for area in PolicyArea.values]
    short = {}
    for url in urls:
        pages, lines = last_page_lines(reviewer_client.get(url))
        if pages > 1 and lines < FEWEST_LINES_ON_A_LAST_PAGE:
            short[url] = f"page {pages} holds {lines} lines"
    assert not short
    # A pack with nothing to list fits on its first page.
    assert last_page_lines(reviewer_client.get(reverse("dashboards:area_briefing", args=["health"])))[0] == 1
