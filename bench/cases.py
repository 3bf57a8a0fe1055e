"""What ``make bench`` measures: one small declarative entry per page, endpoint or job.

A case names a URL (a URL name, or a path under ``/api/``) or a function, and how to build its parameters from the
:class:`Picks` of the data set being measured. A case whose URL or function does not exist (yet) is skipped with
the reason printed, never faked.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import timezone

from commitments.choices import Status
from commitments.models import Agreement, Commitment


@dataclass(frozen=True)
class Picks:
    """The records a run asks for, chosen once per data set so that every size is asked the same question."""

    agreement_code: str
    status: str
    commitment_ids: list[int]
    since: datetime
    today: date

    @classmethod
    def choose(cls, *, samples: int = 50) -> Picks:
        """The largest framework, the commonest live status, and commitments with a full timeline.

        Every sampled commitment has the same shape (a history of five updates or more, and meetings that advanced
        it), so that its page runs the same queries at every size: a prefetch with nothing to fetch is skipped.
        """
        agreement = Agreement.objects.annotate(n=Count("commitments")).order_by("-n", "code").first()
        if agreement is None:
            raise LookupError("No agreement: generate data first (manage.py generate_synthetic).")
        shaped = Commitment.objects.filter(version__gte=5, responsible_body__isnull=False, meetings__isnull=False)
        ids = list(shaped.order_by("pk").values_list("pk", flat=True).distinct())
        if not ids:
            ids = list(Commitment.objects.order_by("pk").values_list("pk", flat=True))
        step = max(1, len(ids) // samples)
        return cls(
            agreement_code=agreement.code,
            status=Status.IN_PROGRESS.value,
            commitment_ids=ids[::step][:samples],
            since=timezone.now() - timedelta(days=30),
            today=timezone.localdate(),
        )

    def commitment(self, i: int) -> int:
        return self.commitment_ids[i % len(self.commitment_ids)]


def _none(picks: Picks, i: int) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Case:
    """One measured thing. Exactly one of ``url`` (a URL name or a path) and ``call`` (``module.function``)."""

    name: str
    label: str
    url: str | None = None
    call: str | None = None
    params: Callable[[Picks, int], dict[str, Any]] = _none
    url_kwargs: Callable[[Picks, int], dict[str, Any]] = _none
    kwargs: Callable[[Picks, int], dict[str, Any]] = _none
    provided_by: str = ""
    #: For ``call`` cases: run inside a transaction that is rolled back, so every run does the same work.
    rollback: bool = False
    tags: frozenset[str] = field(default_factory=frozenset)

    def path(self, picks: Picks, i: int) -> str:
        assert self.url is not None
        if self.url.startswith("/"):
            # Resolver404 when nothing matches; a match without a name is a catch-all (the API's JSON 404).
            if resolve(self.url).url_name is None:
                raise Resolver404(self.url)
            return self.url
        return reverse(self.url, kwargs=self.url_kwargs(picks, i) or None)

    def function(self) -> Callable[..., Any]:
        assert self.call is not None
        module, _, name = self.call.rpartition(".")
        return getattr(importlib.import_module(module), name)

    def missing(self, picks: Picks) -> str | None:
        """Why this case cannot run on this code base, or ``None``."""
        where = f" (to come with {self.provided_by})" if self.provided_by else ""
        if self.url is not None:
            try:
                self.path(picks, 0)
            except (NoReverseMatch, Resolver404):
                return f"no URL {self.url!r} in this code base{where}"
            return None
        try:
            self.function()
        except (ImportError, AttributeError):
            return f"no function {self.call} in this code base{where}"
        return None


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


CASES: list[Case] = [
    Case("overview", "Overview dashboard /", url="dashboards:home"),
    Case(
        "changes_30d",
        "What changed since (30 days)",
        url="dashboards:changes",
        params=lambda p, i: {"since": p.since.date().isoformat()},
        provided_by="issue 4",
    ),
    Case(
        "commitment_list",
        "Commitments ?agreement&status",
        url="commitments:commitment_list",
        params=lambda p, i: {"agreement": p.agreement_code, "status": p.status},
    ),
    Case(
        "commitment_search",
        "Commitments ?search (full text)",
        url="commitments:commitment_list",
        params=lambda p, i: {"search": "maritime awareness"},
    ),
    Case(
        "commitment_detail",
        "Commitment detail + timeline",
        url="commitments:commitment_detail",
        url_kwargs=lambda p, i: {"pk": p.commitment(i)},
    ),
    Case(
        "api_commitments",
        "API commitments, 50, filtered",
        url="/api/v1/commitments/",
        params=lambda p, i: {"page_size": 50, "agreement": p.agreement_code, "status": p.status},
        provided_by="issue 5",
        tags=frozenset({"load"}),
    ),
    Case(
        "commitment_list_milestones",
        "Commitments ?agreement (milestone counts per row)",
        url="commitments:commitment_list",
        params=lambda p, i: {"agreement": p.agreement_code},
        provided_by="issue 16",
    ),
    Case(
        "api_milestones_overdue",
        "API milestones ?overdue=true, 50",
        url="/api/v1/milestones/",
        params=lambda p, i: {"overdue": "true", "page_size": 50},
        provided_by="issue 16",
    ),
    Case(
        "api_status_updates",
        "API status-updates ?since",
        url="/api/v1/status-updates/",
        params=lambda p, i: {"since": _iso(p.since)},
        provided_by="issue 5",
    ),
    Case(
        "overdue_sweep",
        "Overdue sweep",
        call="dialogues.services.overdue_sweep",
        kwargs=lambda p, i: {"on": p.today},
        provided_by="issue 6",
        # The daily run as it happens every morning: the first (untimed, warm-up) run opens the flags and claims
        # the e-mails; the timed runs find the same bodies already flagged.
        rollback=False,
    ),
]

CASES_BY_NAME = {case.name: case for case in CASES}


@dataclass(frozen=True)
class ImportCase:
    """A bulk import measured once per run, on the largest data set: the dry run and the application of a file of
    each number of ``rows`` (time and peak memory, ``bench/imports.py``). Two sizes show whether memory follows the
    rows only (streamed reading) or the whole file."""

    name: str
    label: str
    rows: tuple[int, ...] = (2_000, 10_000)
    call: str = "bench.imports.measure_import"
    provided_by: str = "issue 14"

    def missing(self) -> str | None:
        try:
            importlib.import_module("imports.services")
        except ImportError:
            return f"no bulk import in this code base (to come with {self.provided_by})"
        return None


IMPORT_CASES: list[ImportCase] = [ImportCase("bulk_import", "Bulk import of commitments (CSV)")]
