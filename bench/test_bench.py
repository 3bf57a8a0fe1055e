"""The benchmark harness on small data, so that ``make bench`` does not rot between runs."""

from __future__ import annotations

import json
import os
import urllib.request

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from bench import load
from bench.cases import CASES, CASES_BY_NAME, Case, Picks
from bench.harness import OVERDUE_SQL, CaseFailed, Runner, overdue_ids_by_sql, percentile, sweep_versus_sql
from bench.run import check_targets, format_table, measure_size, parse_args, summarise
from bench.synthetic import SyntheticPlan, generate
from dialogues.models import DialogueBody

WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:8000/healthz
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.10ms    1.02ms  20.11ms   90.00%
    Req/Sec     2.60k   150.00     2.90k    70.00%
  12934 requests in 5.01s, 3.10MB read
  Non-2xx or 3xx responses: 3
Requests/sec:   2581.64
Transfer/sec:    633.50KB
"""


@pytest.fixture
def small_data(db):
    generate(SyntheticPlan(commitments=60, agreements=4, bodies=8, users=3))
    return Picks.choose()


def test_percentile_interpolates_between_ranks():
    assert percentile([5.0], 95) == 5.0
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile(range(1, 101), 95) == pytest.approx(95.05)
    with pytest.raises(ValueError):
        percentile([], 50)


def test_wrk_report_is_parsed_with_its_errors():
    assert load.parse_wrk(WRK_OUTPUT) == (12934, 5.01, 3)
    with pytest.raises(ValueError):
        load.parse_wrk("wrk: connection refused")


def test_load_is_only_ever_sent_to_loopback():
    with pytest.raises(ValueError, match="loopback"):
        load.run_python("http://192.0.2.1/", seconds=0.1, connections=1, headers={})


def test_cases_are_unique_and_each_names_one_target():
    assert len(CASES_BY_NAME) == len(CASES)
    for case in CASES:
        assert (case.url is None) != (case.call is None), case.name
    wanted = {"overview", "changes_30d", "commitment_list", "commitment_detail", "api_commitments"}
    assert wanted | {"api_status_updates", "overdue_sweep"} <= set(CASES_BY_NAME)


def test_a_case_that_does_not_exist_yet_is_skipped_with_its_reason(small_data):
    ghost = Case("ghost", "Ghost", url="/api/v1/ghosts/", provided_by="issue 99")
    assert ghost.missing(small_data) == "no URL '/api/v1/ghosts/' in this code base (to come with issue 99)"
    ghost_call = Case("ghost_call", "Ghost", call="dialogues.services.no_such_function")
    assert "no function dialogues.services.no_such_function" in ghost_call.missing(small_data)
    result = Runner(small_data, repeat=2, warmup=0).run(ghost)
    assert result.skipped and result.timings_ms == [] and result.queries is None


def test_every_case_that_exists_is_timed_and_counted(small_data):
    results = Runner(small_data, repeat=3, warmup=1).run_all()
    assert [r.name for r in results] == [c.name for c in CASES]
    measured = {r.name for r in results if not r.skipped}
    assert {"overview", "commitment_list", "commitment_detail"} <= measured
    for result in results:
        if result.skipped:
            assert result.skipped.startswith("no ")
            continue
        assert len(result.timings_ms) == 3 and all(t > 0 for t in result.timings_ms)
        assert result.queries >= 1 and result.first_queries >= 1
        assert result.p50 <= result.p95


def test_a_page_that_fails_is_reported_never_timed(small_data):
    broken = Case("broken", "Broken", url="commitments:commitment_detail", url_kwargs=lambda p, i: {"pk": 10**9})
    with pytest.raises(CaseFailed, match="HTTP 404"):
        Runner(small_data, repeat=1, warmup=0).run(broken)


def test_the_hand_written_query_selects_the_bodies_of_the_cadence_rule(small_data):
    expected = sorted(DialogueBody.objects.overdue(on=small_data.today).values_list("pk", flat=True))
    assert expected, "the generated data has overdue bodies"
    assert overdue_ids_by_sql(small_data.today) == expected
    assert "overdue_after <" in OVERDUE_SQL
    result = sweep_versus_sql(Runner(small_data, repeat=3, warmup=0), CASES_BY_NAME["overdue_sweep"])
    assert result["overdue_bodies"] == len(expected)
    assert result["sql_p50"] > 0
    assert ("ratio" in result) != ("skipped" in result)


@override_settings(BENCHMARK_DATABASE=True)
def test_measure_size_and_the_report_have_the_promised_shape(db):
    per_size = {
        size: measure_size(
            size, repeat=2, load_seconds=1, connections=1, workers=1, load=False, explain=None, progress=False
        )
        for size in (20, 40)
    }
    report = summarise([20, 40], per_size)
    assert report["sizes"] == [20, 40]
    assert set(report["latency_ms"]["overview"]) == {"20", "40"}
    assert set(report["latency_ms"]["overview"]["40"]) == {"p50", "p95"}
    assert report["queries"]["commitment_detail"]["20"] == report["queries"]["commitment_detail"]["40"]
    assert "growth_overview" in report["ratios"]
    for name, reason in report["skipped"].items():
        assert name not in report["latency_ms"] and reason
    json.dumps(report)  # serialisable as written to BENCH_OUT
    table = format_table(report)
    assert "Overview dashboard /" in table and "targets:" in table


def test_a_profile_names_where_the_time_goes(small_data):
    text = Runner(small_data, repeat=1, warmup=0).profile(CASES_BY_NAME["commitment_detail"], calls=2, top=5)
    assert "tottime" in text and "function calls" in text


def test_targets_are_judged_from_the_ratios():
    report = {
        "queries": {"overview": {"1000": 4, "100000": 4}, "detail": {"1000": 6, "100000": 7}},
        "ratios": {
            "growth_overview": 1.2,
            "growth_detail": 3.4,
            "api_warm_vs_baseline_throughput": 0.6,
            "api_cold_vs_sql_floor": 2.1,
            "sweep_vs_sql": 2.5,
        },
    }
    assert check_targets(report) == {
        "constant_queries_overview": True,
        "constant_queries_detail": False,
        "growth_overview": True,
        "growth_detail": False,
        "api_warm_vs_baseline_throughput": True,
        "api_cold_vs_sql_floor": False,
        "sweep_vs_sql": False,
    }


@override_settings(BENCHMARK_DATABASE=True)
def test_only_the_named_cases_are_measured(db):
    from bench.cases import CASES_BY_NAME

    assert parse_args(["--cases", "api_milestones_overdue, commitment_list_milestones"]).cases == [
        "api_milestones_overdue",
        "commitment_list_milestones",
    ]
    out = measure_size(
        20,
        repeat=2,
        load_seconds=1,
        connections=1,
        workers=1,
        load=False,
        explain=None,
        progress=False,
        cases=[CASES_BY_NAME["api_milestones_overdue"]],
    )
    assert set(out["cases"]) == {"api_milestones_overdue"}
    assert out["cases"]["api_milestones_overdue"]["queries"] > 0


def test_sizes_are_parsed_and_checked():
    assert parse_args(["--sizes", "100000,1000,10_000"]).sizes == [1000, 10000, 100000]
    with pytest.raises(SystemExit):
        parse_args(["--sizes", "lots"])


def test_the_health_check_answers_anonymous_visitors(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_the_python_load_generator_is_bounded(live_server):
    result = load.run_python(f"{live_server.url}/healthz", seconds=1.0, connections=2, headers={}, max_requests=40)
    assert 0 < result.requests <= 40
    assert result.errors == 0
    assert result.rps > 0


def test_gunicorn_serves_the_app_and_stops():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    with load.gunicorn(env=env, workers=1) as base:
        result = load.measure(f"{base}/healthz", seconds=1, connections=1)
        assert result.requests > 0 and result.errors == 0
    with pytest.raises(OSError):  # stopped: the port no longer answers
        urllib.request.urlopen(f"{base}/healthz", timeout=2)  # noqa: S310 (loopback)


def test_the_floor_view_exists_only_under_the_benchmark_urls(client):
    from django.urls import Resolver404, resolve

    with pytest.raises(Resolver404):
        resolve("/bench/floor/commitments/")  # the tracker's own URLs (tests, production) never install it


@override_settings(ROOT_URLCONF="bench.urls")
def test_the_floor_view_selects_the_api_page(small_data, reviewer):
    from commitments.tests.api_support import token_client

    query = {"agreement": small_data.agreement_code, "status": small_data.status, "page_size": 50}
    api = token_client(reviewer).get("/api/v1/commitments/", query).json()
    floor = Client().get("/bench/floor/commitments/", query).json()
    assert floor["count"] == api["count"] > 0
    assert [row["id"] for row in floor["results"]] == [row["id"] for row in api["results"]]
    assert set(floor["results"][0]) == set(api["results"][0])
