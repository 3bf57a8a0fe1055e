"""Briefing packs: a server-rendered PDF (WeasyPrint) of one framework, one dialogue body or one policy area.

A pack has a cover (what it is about, the date, who prepared it), the key figures, the commitments with their
status and latest evidence, the dialogue bodies with their cadence and meetings, and what changed since a date.
:func:`agreement_briefing`, :func:`body_briefing` and :func:`area_briefing` gather the facts (a fixed number of
queries each);
:func:`render_pdf` turns the template ``dashboards/briefing_pack.html`` into PDF bytes. WeasyPrint fetches no
resource from the network: the stylesheet is read from the static files and every other URL is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.staticfiles import finders
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone

from commitments.choices import PolicyArea
from commitments.models import Agreement, Commitment, Milestone, StatusUpdate
from core.templatetags.facts import format_approx_date
from dialogues.choices import Level
from dialogues.models import DialogueBody, Meeting

from . import selectors

MEETINGS_PER_BODY = 6
# The facts of a dialogue body that the pack's bodies section prints, each marked where it is assumed.
BODY_FACTS_PRINTED = ("level", "reports_to", "cadence")
# A last page this little filled (a fraction of its height) holds a few lines a reader turns a page for: the pack
# is laid out once more, tighter (``render_pdf``).
SHORT_LAST_PAGE = 1 / 3
# The id of the empty element that ends the pack's template, whose position says where the text ends.
PACK_END = "pack-end"


@dataclass(frozen=True)
class CommitmentLine:
    """A commitment in the pack with its latest status update (``None``: never updated)."""

    commitment: Commitment
    latest: StatusUpdate | None

    @property
    def names_no_framework(self) -> bool:
        """True when the reference does not start with the framework's code (so the pack prints the code)."""
        return not self.commitment.reference.startswith(self.commitment.agreement.code)


@dataclass
class Briefing:
    """Everything one briefing pack prints."""

    kind: str  # "framework", "dialogue body" or "policy area"
    title: str
    code: str
    subtitle: str
    prepared_on: date
    prepared_by: str
    since: date
    total: selectors.StatusBreakdown
    commitments: list[CommitmentLine]
    bodies: list[DialogueBody]
    overdue: list[selectors.OverdueBody]
    changes: selectors.Changes
    facts: list[tuple[str, str]] = field(default_factory=list)

    @property
    def headline(self) -> selectors.Headline:
        return selectors.Headline(self.total)

    @property
    def shows_target(self) -> bool:
        """A target column only if some commitment of the pack has a target date (no column of dashes)."""
        return any(line.commitment.target_date for line in self.commitments)

    @property
    def marks_assumed_body_facts(self) -> bool:
        """True when the bodies section marks a level, reporting line or cadence "assumed" (so it says what that
        means, as the list of bodies does)."""
        return any(body.fact(name).is_assumed for body in self.bodies for name in BODY_FACTS_PRINTED)

    @property
    def shows_code(self) -> bool:
        """A framework's or body's code means something to the reader; a policy area's key does not."""
        return self.kind != "policy area"


class UnknownPolicyArea(ObjectDoesNotExist):
    """No policy area of the vocabulary (``PolicyArea``) has this key (a 404, like an unknown framework)."""


def default_since(today: date | None = None) -> date:
    """The default start of "what changed": the last ``DEFAULT_CHANGES_DAYS`` days."""
    return (today or timezone.localdate()) - timedelta(days=selectors.DEFAULT_CHANGES_DAYS)


def _latest_updates(commitments: list[Commitment]) -> dict[int, StatusUpdate]:
    """Each commitment's latest status update (1 query)."""
    today = timezone.localdate()
    latest = selectors.latest_updates_as_of(today).filter(commitment__in=[c.pk for c in commitments])
    return {update.commitment_id: update for update in latest.select_related("source_document")}


def _bodies_with_meetings(bodies) -> list[DialogueBody]:
    """Bodies in level order with their meetings held (not withdrawn), newest first, prefetched as ``all_meetings``
    (2 queries)."""
    held = Meeting.objects.held().order_by("-held_on")
    return list(
        bodies.select_related("reports_to")
        .with_last_meeting_precision()
        .prefetch_related(Prefetch("meetings", queryset=held, to_attr="all_meetings"))
        .order_by(selectors.choice_rank("level", Level.values), "name")
    )


def _with_milestones(commitments):
    """Each commitment's milestones that count, soonest due first, as ``milestone_list`` (1 query)."""
    return commitments.prefetch_related(
        Prefetch("milestones", queryset=Milestone.objects.effective().in_due_order(), to_attr="milestone_list")
    )


def _across_frameworks(commitments) -> list[Commitment]:
    """Commitments of several frameworks: frameworks by code, references in natural order within each, with their
    milestones (2 queries)."""
    return list(
        _with_milestones(commitments.select_related("agreement", "responsible_body")).order_by(
            "agreement__code", "reference_sort_key", "reference"
        )
    )


def _breakdown(commitments: list[Commitment], key: str, label: str, list_query: str) -> selectors.StatusBreakdown:
    counts: dict[str, int] = {}
    states: dict[str, int] = {}
    today = timezone.localdate()
    for commitment in commitments:
        counts[commitment.status] = counts.get(commitment.status, 0) + 1
        state = commitment.state(on=today).code
        states[state] = states.get(state, 0) + 1
    return selectors.StatusBreakdown(key=key, label=label, counts=counts, list_query=list_query, states=states)


def _dated_fact(record, name: str, *, missing: str) -> str:
    """A date fact of ``record`` to its precision ("May 2020"), saying so where no document states it."""
    fact = record.fact(name)
    if not fact.known:
        return missing
    return _with_basis(fact.display_value, fact)


def _with_basis(value: str, fact) -> str:
    """``value`` as the pack prints it, followed for an assumed fact by the words its web page gives
    (``Fact.basis_text``): "Director (assumed by the tracker's editors: no document gives this body's level)"."""
    return f"{value} ({fact.basis_text})" if fact.is_assumed else value


def _who(user) -> str:
    if user is None or not user.is_authenticated:
        return "the EU–Japan commitment tracker"
    return user.get_full_name() or user.get_username()


def _changes_about(changes: selectors.Changes, commitment_ids: set[int], body_ids: set[int]) -> selectors.Changes:
    """The window's changes narrowed to this pack's commitments and bodies (in memory, over capped lists)."""
    transitions = [u for u in changes.transitions if u.commitment_id in commitment_ids]
    others = [u for u in changes.other_updates if u.commitment_id in commitment_ids]
    meetings = [m for m in changes.meetings if m.body_id in body_ids]
    became = [b for b in changes.became_overdue if b.body.pk in body_ids]
    return selectors.Changes(
        since=changes.since,
        until=changes.until,
        transitions=transitions,
        transition_count=len(transitions),
        other_updates=others,
        other_count=len(others),
        meetings=meetings,
        meeting_count=len(meetings),
        became_overdue=became,
        limit=changes.limit,
    )


def _pack(
    *,
    kind: str,
    title: str,
    code: str,
    label: str,
    list_query: str,
    subtitle: str,
    commitments: list[Commitment],
    bodies: list[DialogueBody],
    facts: list[tuple[str, str]],
    today: date,
    since: date,
    user,
) -> Briefing:
    """A pack from what it covers: the commitments' latest updates and status counts, and the overdue bodies and
    changes narrowed to those commitments and ``bodies``. The one assembly both packs share."""
    latest = _latest_updates(commitments)
    body_ids = {body.pk for body in bodies}
    changes = selectors.changes_since(since=since, until=today)
    return Briefing(
        kind=kind,
        title=title,
        code=code,
        subtitle=subtitle,
        prepared_on=today,
        prepared_by=_who(user),
        since=since,
        total=_breakdown(commitments, code, label, list_query),
        commitments=[CommitmentLine(c, latest.get(c.pk)) for c in commitments],
        bodies=bodies,
        overdue=[item for item in selectors.overdue_bodies(on=today) if item.body.pk in body_ids],
        changes=_changes_about(changes, {c.pk for c in commitments}, body_ids),
        facts=facts,
    )


def agreement_briefing(*, code: str, since: date, user=None) -> Briefing:
    """The pack of one framework: its commitments (and those of the instruments under it are left to their own
    packs), the bodies that serve it, and what changed since ``since``. Raises ``Agreement.DoesNotExist``."""
    agreement = Agreement.objects.select_related("parent").get(code=code)
    commitments = list(
        _with_milestones(
            Commitment.objects.filter(agreement=agreement).select_related("responsible_body").in_reference_order()
        )
    )
    facts = [
        ("Kind", agreement.get_kind_display()),
        ("Signed or adopted", _dated_fact(agreement, "signed_on", missing="not recorded")),
        ("In force since", _dated_fact(agreement, "in_force_on", missing="not recorded")),
    ]
    if agreement.parent:
        facts.append(("Builds on", str(agreement.parent)))
    return _pack(
        kind="framework",
        title=agreement.title,
        code=agreement.code,
        label=agreement.code,
        list_query=f"agreement={agreement.code}",
        subtitle=agreement.summary,
        commitments=commitments,
        bodies=_bodies_with_meetings(DialogueBody.objects.filter(agreements=agreement)),
        facts=facts,
        today=timezone.localdate(),
        since=since,
        user=user,
    )


def body_briefing(*, short_name: str, since: date, user=None) -> Briefing:
    """The pack of one dialogue body: its cadence and meetings, the bodies reporting to it, the commitments it is
    responsible for, and what changed since ``since``. Raises ``DialogueBody.DoesNotExist``."""
    body = DialogueBody.objects.select_related("reports_to").with_last_meeting_precision().get(short_name=short_name)
    today = timezone.localdate()
    commitments = _across_frameworks(Commitment.objects.filter(responsible_body=body))
    cadence = (
        _with_basis(f"every {body.cadence_months} months", body.fact("cadence")) if body.cadence_months else "ad hoc"
    )
    reports_to = _with_basis(body.reports_to.name, body.fact("reports_to")) if body.reports_to else "no other body"
    facts = [
        ("Level", _with_basis(body.get_level_display(), body.fact("level"))),
        ("Reports to", reports_to),
        ("Cadence", cadence),
        ("Started", _dated_fact(body, "established_on", missing="not recorded")),
        ("Last met", format_approx_date(body.last_meeting_on, body.last_meeting_precision) or "none recorded"),
        ("Next meeting due", body.next_due_display or "—"),
    ]
    if body.is_overdue(on=today):
        facts.append(("Overdue", body.overdue_phrase))
    return _pack(
        kind="dialogue body",
        title=body.name,
        code=body.short_name,
        label=body.name,
        list_query=f"body={body.short_name}",
        subtitle="",
        commitments=commitments,
        bodies=_bodies_with_meetings(DialogueBody.objects.filter(pk=body.pk) | body.reporting_bodies.all()),
        facts=facts,
        today=today,
        since=since,
        user=user,
    )


def area_briefing(*, area: str, since: date, user=None) -> Briefing:
    """The pack of one policy area across all frameworks: its commitments, the dialogue bodies responsible for
    them with their cadence and meetings, and what changed since ``since``. Raises :class:`UnknownPolicyArea`."""
    if area not in PolicyArea.values:
        raise UnknownPolicyArea(area)
    label = PolicyArea(area).label
    commitments = _across_frameworks(Commitment.objects.filter(area=area))
    bodies = _bodies_with_meetings(
        DialogueBody.objects.filter(pk__in=Commitment.objects.filter(area=area).values("responsible_body"))
    )
    per_framework: dict[str, int] = {}
    for commitment in commitments:
        per_framework[commitment.agreement.code] = per_framework.get(commitment.agreement.code, 0) + 1
    unassigned = sum(1 for commitment in commitments if commitment.responsible_body_id is None)
    facts = [
        ("Frameworks", ", ".join(f"{code} ({n})" for code, n in per_framework.items()) or "none"),
        ("Responsible bodies", "; ".join(b.name for b in bodies) or "none recorded"),
    ]
    if unassigned:
        facts.append(("No responsible body", f"{unassigned} commitment{'s' if unassigned != 1 else ''}"))
    return _pack(
        kind="policy area",
        title=label,
        code=area,
        label=label,
        list_query=f"area={area}",
        subtitle="",
        commitments=commitments,
        bodies=bodies,
        facts=facts,
        today=timezone.localdate(),
        since=since,
        user=user,
    )


def _refuse_fetch(url: str, *args, **kwargs):
    """WeasyPrint's URL fetcher: a briefing pack loads nothing (no network, no file), whatever its text says."""
    raise ValueError(f"A briefing pack fetches no resource ({url}).")


def _layout(briefing: Briefing, *, tight: bool):
    """The pack laid out in pages (a WeasyPrint ``Document``), in the normal or the tighter print style."""
    from weasyprint import CSS, HTML  # imported here: loading Pango costs time that only this view should pay

    context = {"b": briefing, "meetings_per_body": MEETINGS_PER_BODY, "tight": tight}
    html = render_to_string("dashboards/briefing_pack.html", context)
    stylesheet = CSS(filename=finders.find("css/briefing.css"))
    return HTML(string=html, url_fetcher=_refuse_fetch, base_url="/").render(stylesheets=[stylesheet])


def _last_page_fill(document) -> float:
    """How far down its last page the pack's text ends (0 to 1): the position of the empty ``#pack-end`` anchor
    at the foot of ``briefing_pack.html``, read from WeasyPrint's public ``Page.anchors``."""
    page = document.pages[-1]
    return page.anchors[PACK_END][1] / page.height


def render_pdf(briefing: Briefing) -> bytes:
    """The pack as PDF bytes, from ``dashboards/briefing_pack.html`` and ``static/css/briefing.css``.

    Page breaks fall between whole rows and whole bodies, so a pack a little longer than its pages can end on a
    page that holds a few lines (``SHORT_LAST_PAGE``). Then the pack is laid out once more in the stylesheet's
    tighter style (``html.tight``: the same content, a little smaller and closer, the commitments going on under
    the cover), and that layout is kept if it needs a page fewer."""
    document = _layout(briefing, tight=False)
    if len(document.pages) > 1 and _last_page_fill(document) < SHORT_LAST_PAGE:
        tighter = _layout(briefing, tight=True)
        if len(tighter.pages) < len(document.pages):
            document = tighter
    return document.write_pdf()
