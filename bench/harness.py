"""Measuring one data set: latency and SQL queries of each case, the sweep against hand-written SQL, EXPLAIN.

Everything here works on the default database connection as configured, so the tests run it on their small test
data, and ``bench/run.py`` on the generated sizes.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.roles import REVIEWERS

from .cases import CASES, Case, Picks

BENCH_USERNAME = "bench-reviewer"


class CaseFailed(Exception):
    """A case ran but did not answer as a user would expect (e.g. a 500): the run reports it, never times it."""


@dataclass
class CaseResult:
    name: str
    label: str
    timings_ms: list[float] = field(default_factory=list)
    queries: int | None = None
    first_queries: int | None = None
    skipped: str | None = None

    @property
    def p50(self) -> float | None:
        return percentile(self.timings_ms, 50) if self.timings_ms else None

    @property
    def p95(self) -> float | None:
        return percentile(self.timings_ms, 95) if self.timings_ms else None

    def summary(self) -> dict[str, Any]:
        return {"p50": _round(self.p50), "p95": _round(self.p95), "n": len(self.timings_ms)}


def percentile(values: Iterable[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation between closest ranks (as numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def bench_user():
    """A reviewer (reads everything, changes nothing) with an API token: who the benchmark signs in as."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=BENCH_USERNAME, defaults={"first_name": "Benchmark", "email": "bench@example.eu"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get_or_create(name=REVIEWERS)[0])
    return user


def api_token(user) -> str | None:
    """The user's DRF token (created if needed), or ``None`` where token authentication is not installed."""
    try:
        from rest_framework.authtoken.models import Token
    except (ImportError, RuntimeError):
        return None
    return Token.objects.get_or_create(user=user)[0].key


def time_calls(fn: Callable[[int], Any], *, repeat: int, warmup: int = 2) -> list[float]:
    """Run ``fn(i)`` ``warmup`` times untimed, then ``repeat`` times; return the durations in milliseconds."""
    for i in range(warmup):
        fn(i)
    timings = []
    for i in range(repeat):
        started = time.perf_counter()
        fn(warmup + i)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


class Runner:
    """Runs cases against the current database as the benchmark user, in-process through Django's test client."""

    def __init__(self, picks: Picks, *, repeat: int = 25, warmup: int = 3, client: Client | None = None):
        self.picks = picks
        self.repeat = repeat
        self.warmup = warmup
        self.client = client or Client()
        self.client.force_login(bench_user())

    def _get(self, case: Case, i: int):
        response = self.client.get(case.path(self.picks, i), case.params(self.picks, i))
        if response.status_code != 200:
            raise CaseFailed(f"{case.name}: HTTP {response.status_code} for {response.request['PATH_INFO']}")
        return response

    def _call(self, case: Case, i: int):
        fn = case.function()
        if not case.rollback:
            return fn(**case.kwargs(self.picks, i))
        with transaction.atomic():
            result = fn(**case.kwargs(self.picks, i))
            transaction.set_rollback(True)
        return result

    def once(self, case: Case, i: int = 0):
        return self._get(case, i) if case.url is not None else self._call(case, i)

    def run(self, case: Case) -> CaseResult:
        """Warm up (the first call of a job such as the sweep does its one-off work there), count the queries of one
        call, then time ``repeat`` calls."""
        result = CaseResult(case.name, case.label)
        result.skipped = case.missing(self.picks)
        if result.skipped:
            return result
        with CaptureQueriesContext(connection) as first:
            self.once(case, 0)
        result.first_queries = len(first.captured_queries)
        for i in range(1, self.warmup):
            self.once(case, i)
        with CaptureQueriesContext(connection) as captured:
            self.once(case, self.warmup)
        result.queries = len(captured.captured_queries)
        result.timings_ms = time_calls(lambda i: self.once(case, i), repeat=self.repeat, warmup=0)
        return result

    def profile(self, case: Case, *, calls: int = 5, top: int = 25) -> str:
        """cProfile of ``calls`` warm calls, the ``top`` functions by own time: where a case spends its time."""
        if case.missing(self.picks):
            return ""
        self.once(case, 0)
        profiler = cProfile.Profile()
        profiler.enable()
        for i in range(calls):
            self.once(case, i + 1)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(top)
        return out.getvalue()

    def run_all(self, cases: Iterable[Case] = CASES) -> list[CaseResult]:
        return [self.run(case) for case in cases]

    def explain(self, case: Case, *, top: int = 2) -> list[tuple[float, str, str]]:
        """EXPLAIN ANALYZE of the ``top`` slowest queries of one request (PostgreSQL only)."""
        if connection.vendor != "postgresql" or case.missing(self.picks):
            return []
        with CaptureQueriesContext(connection) as captured:
            self.once(case, 0)
        queries = sorted(captured.captured_queries, key=lambda q: float(q["time"]), reverse=True)[:top]
        plans = []
        with connection.cursor() as cursor:
            for query in queries:
                sql = query["sql"]
                if not sql.lstrip().upper().startswith("SELECT"):
                    continue
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                plans.append((float(query["time"]) * 1000, sql, "\n".join(row[0] for row in cursor.fetchall())))
        return plans


# --- The sweep next to one hand-written query ----------------------------------------------------------------
OVERDUE_SQL = (
    "SELECT id FROM dialogues_dialoguebody "
    "WHERE active AND cadence_months IS NOT NULL AND overdue_after < %s ORDER BY id"
)


def overdue_ids_by_sql(on) -> list[int]:
    """The overdue bodies by one hand-written query: the baseline the sweep is measured against."""
    with connection.cursor() as cursor:
        cursor.execute(OVERDUE_SQL, [on])
        return [row[0] for row in cursor.fetchall()]


def sweep_versus_sql(runner: Runner, case: Case) -> dict[str, Any]:
    """Median of the sweep and of the hand-written query selecting the same bodies, and a check that they agree."""
    from dialogues.models import DialogueBody

    on = runner.picks.today
    by_sql = overdue_ids_by_sql(on)
    by_rule = sorted(DialogueBody.objects.overdue(on=on).values_list("pk", flat=True))
    if by_sql != by_rule:
        raise CaseFailed(f"the hand-written query selects {len(by_sql)} bodies, the cadence rule {len(by_rule)}")
    out: dict[str, Any] = {"overdue_bodies": len(by_sql), "bodies": DialogueBody.objects.count()}
    sql_ms = time_calls(lambda i: overdue_ids_by_sql(on), repeat=runner.repeat, warmup=runner.warmup)
    out["sql_p50"] = _round(statistics.median(sql_ms))
    missing = case.missing(runner.picks)
    if missing:
        out["skipped"] = missing
        return out
    sweep_ms = time_calls(lambda i: runner.once(case, i), repeat=runner.repeat, warmup=runner.warmup)
    out["sweep_p50"] = _round(statistics.median(sweep_ms))
    out["ratio"] = _round(statistics.median(sweep_ms) / statistics.median(sql_ms))
    return out


# --- A fresh API read next to the hand-written floor ------------------------------------------------------------
def touch_commitment(picks: Picks, i: int) -> None:
    """A real write between two reads: a reviewer's "unchanged" review of one sampled commitment (one more status
    update, a new version), through the service, as an Editor's system would record it."""
    from commitments.models import Commitment
    from commitments.services import commitment_confirm_unchanged

    commitment = Commitment.objects.get(pk=picks.commitment(i))
    commitment_confirm_unchanged(
        commitment=commitment, expected_version=commitment.version, author=bench_user(), note="Benchmark review."
    )


def cold_versus_floor(
    base: str, *, api_target: str, floor_target: str, headers: dict[str, str], picks: Picks, repeat: int, warmup: int
) -> dict[str, Any]:
    """Median latency of the API list right after a write, and of the floor view for the same page, over HTTP on
    the same server; the two pages are checked to hold the same rows."""
    import json

    from .load import KeepAliveClient

    api, floor = KeepAliveClient(base), KeepAliveClient(base)
    api_ms, floor_ms = [], []
    try:
        for i in range(warmup + repeat):
            touch_commitment(picks, i)
            status, body, took = api.get(api_target, headers)
            if status != 200:
                raise CaseFailed(f"API list after a write: HTTP {status}")
            floor_status, floor_body, floor_took = floor.get(floor_target)
            if floor_status != 200:
                raise CaseFailed(f"floor view: HTTP {floor_status}")
            if i == 0:
                got, want = json.loads(body), json.loads(floor_body)
                if [r["id"] for r in got["results"]] != [r["id"] for r in want["results"]] or got["count"] != want[
                    "count"
                ]:
                    raise CaseFailed("the floor view does not select the API's page")
            if i >= warmup:
                api_ms.append(took)
                floor_ms.append(floor_took)
    finally:
        api.close()
        floor.close()
    api_p50, floor_p50 = statistics.median(api_ms), statistics.median(floor_ms)
    return {
        "api_cold_p50": _round(api_p50),
        "api_cold_p95": _round(percentile(api_ms, 95)),
        "floor_p50": _round(floor_p50),
        "floor_p95": _round(percentile(floor_ms, 95)),
        "ratio": _round(api_p50 / floor_p50),
        "n": len(api_ms),
    }
