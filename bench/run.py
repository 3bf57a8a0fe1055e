"""``make bench``: the tracker's pages, API and overdue sweep at 1,000, 10,000 and 100,000 commitments.

For each size it empties the benchmark database, generates the data (``commitments.synthetic``), and measures:
median and p95 latency and SQL queries per request of every case in ``bench/cases.py``; throughput of the API list
under concurrent load against gunicorn next to the trivial ``/healthz`` view on the same server; and the overdue sweep
next to one hand-written SQL query selecting the same bodies. Once, on the largest data set, the bulk import: the dry
run and the import of 2,000 and 10,000 rows, time and peak memory (``bench/imports.py``; ``--only-import`` for just
that). It prints a table and writes the figures as JSON to ``BENCH_OUT`` (default: a temporary file).

Environment: ``BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/tracker_bench``; created if
missing, and EMPTIED at every size: never point it at real data), ``BENCH_OUT``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tracker_bench"
DEFAULT_SIZES = (1_000, 10_000, 100_000)
TARGETS = {"growth": 3.0, "api_warm_vs_baseline_throughput": 0.5, "api_cold_vs_sql_floor": 2.0, "sweep_vs_sql": 2.0}


def ensure_database(url: str) -> None:
    """Create the benchmark database if it does not exist (PostgreSQL only)."""
    import environ
    import psycopg
    from psycopg import sql

    config = environ.Env.db_url_config(url)
    if not config["ENGINE"].endswith("postgresql"):
        return
    params = {k: v for k, v in {"host": config["HOST"], "port": config["PORT"], "user": config["USER"]}.items() if v}
    if config["PASSWORD"]:
        params["password"] = config["PASSWORD"]
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))


def measure_size(
    size: int,
    *,
    repeat: int,
    load_seconds: int,
    connections: int,
    workers: int,
    load: bool,
    explain: list[str] | None,
    progress: bool,
    profile: list[str] | None = None,
    sweep_bodies_per_commitment: float = 1.0,
    cases=None,
) -> dict[str, Any]:
    """Generate ``size`` commitments into the (emptied) database and measure every case on them."""
    from bench import load as load_tools
    from bench.cases import CASES, CASES_BY_NAME, Picks
    from bench.harness import Runner, api_token, bench_user, cold_versus_floor, sweep_versus_sql
    from bench.synthetic import SyntheticPlan, clear_tracker_data, estimate_rows, generate, progress_bar

    cases = cases or CASES
    clear_tracker_data()
    plan = SyntheticPlan(commitments=size)
    generated = generate(plan, progress=progress_bar(estimate_rows(plan), enabled=progress))
    out: dict[str, Any] = {
        "generate_seconds": round(generated.seconds, 2),
        "rows": dict(generated.counts),
        "plan": {"agreements": plan.agreements, "bodies": plan.bodies, "users": plan.users},
    }
    picks = Picks.choose()
    runner = Runner(picks, repeat=repeat)
    results = runner.run_all(cases)
    out["cases"] = {
        r.name: {**r.summary(), "queries": r.queries, "first_queries": r.first_queries, "skipped": r.skipped}
        for r in results
    }

    if explain is not None:
        for case in cases:
            for ms, sql, plan_text in runner.explain(case):
                explain.append(f"-- {case.name} @ {size:,}: {ms:.2f} ms\n{sql}\n{plan_text}\n")
    if profile is not None:
        for case in cases:
            text = runner.profile(case)
            if text:
                profile.append(f"== {case.name} @ {size:,} (5 warm calls, by own time)\n{text}")

    if load:
        user = bench_user()
        token = api_token(user)
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
        load_case = next((c for c in cases if "load" in c.tags), None)
        throughput: dict[str, Any] = {}
        with load_tools.gunicorn(env=env, workers=workers) as base:
            targets = {"healthz": (f"{base}/healthz", {})}
            if load_case is not None and not load_case.missing(picks):
                query = urlencode(load_case.params(picks, 0))
                headers = {"Authorization": f"Token {token}"} if token else {}
                targets[load_case.name] = (f"{base}{load_case.path(picks, 0)}?{query}", headers)
            elif load_case is not None:
                throughput["skipped"] = load_case.missing(picks)
            # Alternate the two so that a noisy neighbour hurts both alike.
            totals = {name: [0, 0.0, 0] for name in targets}
            rounds = 5  # short alternating windows: a change of load between two long ones would skew the ratio
            for _ in range(rounds):
                for name, (url, headers) in targets.items():
                    result = load_tools.measure(
                        url, seconds=max(1, load_seconds // rounds), connections=connections, headers=headers
                    )
                    totals[name][0] += result.requests
                    totals[name][1] += result.seconds
                    totals[name][2] += result.errors
                    throughput["tool"] = result.tool
            for name, (requests, seconds, errors) in totals.items():
                throughput[name] = {"rps": round(requests / seconds, 1) if seconds else 0.0, "errors": errors}
            throughput["workers"] = workers
            throughput["connections"] = connections
            # A fresh read: the API list right after a write, next to the hand-written floor for the same page.
            if load_case is not None and not load_case.missing(picks):
                query = urlencode(load_case.params(picks, 0))
                out["cold_vs_floor"] = cold_versus_floor(
                    base,
                    api_target=f"{load_case.path(picks, 0)}?{query}",
                    floor_target=f"/bench/floor/commitments/?{query}",
                    headers={"Authorization": f"Token {token}"} if token else {},
                    picks=picks,
                    repeat=repeat,
                    warmup=3,
                )
        out["throughput"] = throughput

    # The sweep against one hand-written query at "N bodies' worth of data": more bodies (with their meetings and
    # contacts) are added for this last measurement, so that selecting the bodies is real work at every size.
    from dialogues.models import DialogueBody

    extra = int(size * sweep_bodies_per_commitment) - DialogueBody.objects.count()
    if extra > 0:
        more = SyntheticPlan(commitments=1, agreements=1, bodies=extra, users=1, updates_per_commitment=0, seed=size)
        generate(more, progress=progress_bar(estimate_rows(more), enabled=progress))
    out["sweep_vs_sql"] = sweep_versus_sql(runner, CASES_BY_NAME["overdue_sweep"])
    return out


def measure_imports(rows: list[int] | None = None, *, apply: bool = True) -> dict[str, Any]:
    """Every case of ``bench.cases.IMPORT_CASES`` on the data set in the database (the largest one measured)."""
    from bench.cases import IMPORT_CASES
    from bench.imports import measure_import, memory_growth

    out: dict[str, Any] = {}
    for case in IMPORT_CASES:
        if case.missing():
            out[case.name] = {"skipped": case.missing()}
            continue
        results = []
        for count in rows or case.rows:
            print(f"== bulk import of {count:,} rows", file=sys.stderr)
            results.append(measure_import(count, apply=apply))
        out[case.name] = {"label": case.label, "files": results, "memory": memory_growth(results)}
    return out


def format_imports(imports: dict[str, Any]) -> list[str]:
    lines = []
    for name, entry in imports.items():
        if "skipped" in entry:
            lines.append(f"{name}: skipped: {entry['skipped']}")
            continue
        for result in entry["files"]:
            applied = result.get("apply")
            lines.append(
                f"{entry['label']}, {result['rows']:,} rows ({result['changed']:,} changed, {result['new']:,} new, "
                f"{result['file_bytes'] / 1e6:.1f} MB): dry run {result['dry_run']['seconds']} s, peak "
                f"{result['dry_run']['peak_mb']} MB ({result['peak_bytes_per_row']:,} B a row; preview "
                f"{result['preview_bytes'] / 1e6:.1f} MB)"
                + (f"; import {applied['seconds']} s" if applied else "")
                + (f", peak {applied['peak_mb']} MB" if applied and "peak_mb" in applied else "")
            )
        if entry["memory"]:
            memory = entry["memory"]
            lines.append(
                f"  peak memory per row {memory['rows']} rows: x{memory['peak_per_row_ratio']} "
                f"(peak / file size at the largest: x{memory['peak_vs_file_ratio']})"
            )
    return lines


def summarise(sizes: list[int], per_size: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """The JSON report: latency, queries, throughput, and the ratios the targets are about."""
    from bench.cases import CASES

    report: dict[str, Any] = {"sizes": sizes, "latency_ms": {}, "queries": {}, "skipped": {}, "ratios": {}}
    for case in CASES:
        latency, queries = {}, {}
        for size in sizes:
            entry = per_size[size]["cases"].get(case.name)
            if entry is None:
                continue
            if entry["skipped"]:
                report["skipped"][case.name] = entry["skipped"]
                continue
            latency[str(size)] = {"p50": entry["p50"], "p95": entry["p95"]}
            queries[str(size)] = entry["queries"]
            if entry.get("first_queries") != entry["queries"]:
                report.setdefault("first_run_queries", {}).setdefault(case.name, {})[str(size)] = entry[
                    "first_queries"
                ]
        if latency:
            report["latency_ms"][case.name] = latency
            report["queries"][case.name] = queries
    smallest, largest = str(min(sizes)), str(max(sizes))
    for name, latency in report["latency_ms"].items():
        if smallest in latency and largest in latency and latency[smallest]["p50"]:
            report["ratios"][f"growth_{name}"] = round(latency[largest]["p50"] / latency[smallest]["p50"], 2)
    top = per_size[max(sizes)]
    throughput = top.get("throughput") or {}
    api = next((v for k, v in throughput.items() if k.startswith("api_") and isinstance(v, dict)), None)
    if api and throughput.get("healthz", {}).get("rps"):
        # wrk repeats one URL: after the first request these are warm reads (the answer cache).
        report["ratios"]["api_warm_vs_baseline_throughput"] = round(api["rps"] / throughput["healthz"]["rps"], 3)
    if (top.get("cold_vs_floor") or {}).get("ratio") is not None:
        report["ratios"]["api_cold_vs_sql_floor"] = top["cold_vs_floor"]["ratio"]
    if top["sweep_vs_sql"].get("ratio") is not None:
        report["ratios"]["sweep_vs_sql"] = top["sweep_vs_sql"]["ratio"]
    report["throughput_rps"] = {str(size): dict(per_size[size].get("throughput") or {}) for size in sizes}
    report["sweep"] = {str(size): per_size[size]["sweep_vs_sql"] for size in sizes}
    report["cold_vs_floor"] = {str(size): per_size[size].get("cold_vs_floor") for size in sizes}
    report["generate_seconds"] = {str(size): per_size[size]["generate_seconds"] for size in sizes}
    report["rows"] = {str(size): per_size[size]["rows"] for size in sizes}
    report["plan"] = {str(size): per_size[size]["plan"] for size in sizes}
    report["targets"] = check_targets(report)
    return report


def check_targets(report: dict[str, Any]) -> dict[str, Any]:
    """Each target of the issue, met or not (``None`` when this run cannot tell)."""
    targets: dict[str, Any] = {}
    for name, queries in report["queries"].items():
        counts = set(queries.values())
        targets[f"constant_queries_{name}"] = len(counts) == 1 if len(queries) > 1 else None
    for key, value in report["ratios"].items():
        if key.startswith("growth_"):
            targets[key] = value <= TARGETS["growth"]
    ratio = report["ratios"].get("api_warm_vs_baseline_throughput")
    targets["api_warm_vs_baseline_throughput"] = (
        None if ratio is None else ratio >= TARGETS["api_warm_vs_baseline_throughput"]
    )
    ratio = report["ratios"].get("api_cold_vs_sql_floor")
    targets["api_cold_vs_sql_floor"] = None if ratio is None else ratio <= TARGETS["api_cold_vs_sql_floor"]
    ratio = report["ratios"].get("sweep_vs_sql")
    targets["sweep_vs_sql"] = None if ratio is None else ratio <= TARGETS["sweep_vs_sql"]
    return targets


def _fmt(value: float | None, width: int = 8) -> str:
    if value is None:
        return "—".rjust(width)
    return f"{value:{width}.1f}" if value >= 10 else f"{value:{width}.2f}"


def format_table(report: dict[str, Any]) -> str:
    """The human-readable table printed at the end of the run."""
    from bench.cases import CASES

    sizes = report["sizes"]
    lines = []
    head = f"{'case':<32}" + "".join(f"{f'{s:,}: p50 / p95 ms':>24}" for s in sizes)
    head += f"{'queries':>14}{'growth':>9}"
    lines += [head, "-" * len(head)]
    for case in CASES:
        if case.name in report["skipped"] and case.name not in report["latency_ms"]:
            lines.append(f"{case.label:<32}  skipped: {report['skipped'][case.name]}")
            continue
        latency = report["latency_ms"].get(case.name, {})
        cells = "".join(
            f"{_fmt(latency.get(str(s), {}).get('p50'), 11)} /{_fmt(latency.get(str(s), {}).get('p95'), 10)}"
            for s in sizes
        )
        queries = "/".join(str(report["queries"].get(case.name, {}).get(str(s), "—")) for s in sizes)
        growth = report["ratios"].get(f"growth_{case.name}")
        lines.append(f"{case.label:<32}{cells}{queries:>14}{(f'{growth:.2f}x' if growth else '—'):>9}")
    for name, counts in (report.get("first_run_queries") or {}).items():
        lines.append(f"{name}: first (one-off) run queries " + "/".join(str(counts.get(str(s), "—")) for s in sizes))
    lines.append("")
    for size in sizes:
        tp = report["throughput_rps"].get(str(size)) or {}
        if not tp:
            continue
        parts = [f"{k} {v['rps']:,.0f} req/s" for k, v in tp.items() if isinstance(v, dict)]
        extra = f" (API skipped: {tp['skipped']})" if tp.get("skipped") else ""
        lines.append(
            f"throughput @ {size:,} ({tp.get('tool')}, {tp.get('workers')} workers, {tp.get('connections')} "
            f"connections): " + ", ".join(parts) + extra
        )
    for size in sizes:
        cold = (report.get("cold_vs_floor") or {}).get(str(size))
        if cold:
            lines.append(
                f"API list right after a write @ {size:,}: {cold['api_cold_p50']:.2f} ms vs the SQL floor view "
                f"{cold['floor_p50']:.2f} ms = {cold['ratio']:.2f}x"
            )
    for size in sizes:
        sweep = report["sweep"][str(size)]
        if "sweep_p50" in sweep:
            text = f"sweep {sweep['sweep_p50']:.2f} ms vs SQL {sweep['sql_p50']:.2f} ms = {sweep['ratio']:.2f}x"
        else:
            text = f"SQL {sweep['sql_p50']:.2f} ms; sweep skipped: {sweep.get('skipped')}"
        lines.append(f"overdue sweep @ {size:,} ({sweep['overdue_bodies']} of {sweep['bodies']} bodies): {text}")
    lines += format_imports(report.get("imports") or {})
    lines.append("")
    lines.append("ratios: " + ", ".join(f"{k} {v}" for k, v in report["ratios"].items()))
    missed = [k for k, ok in report["targets"].items() if ok is False]
    unknown = [k for k, ok in report["targets"].items() if ok is None]
    lines.append("targets: " + ("all met" if not missed else "MISSED " + ", ".join(missed)))
    if unknown:
        lines.append("not measured in this run: " + ", ".join(unknown))
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--sizes",
        default=",".join(str(s) for s in DEFAULT_SIZES),
        help="Comma-separated numbers of commitments (default: 1000,10000,100000).",
    )
    parser.add_argument("--repeat", type=int, default=25, help="Timed requests per case and size (default 25).")
    parser.add_argument("--load-seconds", type=int, default=10, help="Seconds of load per URL and size (default 10).")
    parser.add_argument("--connections", type=int, default=8, help="Concurrent connections of the load test.")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2, one per core).")
    parser.add_argument("--no-load", action="store_true", help="Skip the throughput test.")
    parser.add_argument(
        "--cases", default="", help="Comma-separated names of bench/cases.py to measure (default: every case)."
    )
    parser.add_argument("--explain", action="store_true", help="Write EXPLAIN ANALYZE of the slowest queries.")
    parser.add_argument("--profile", action="store_true", help="Write a cProfile summary of every case and size.")
    parser.add_argument(
        "--sweep-bodies",
        type=float,
        default=1.0,
        help="Dialogue bodies per commitment for the sweep-versus-SQL measurement (default 1: 100,000 bodies at "
        "100,000 commitments).",
    )
    parser.add_argument("--no-progress", action="store_true", help="No progress bar while generating.")
    parser.add_argument("--no-import", action="store_true", help="Skip the bulk import (bench/imports.py).")
    parser.add_argument(
        "--only-import",
        action="store_true",
        help="Only the bulk import: generate the largest of --sizes and measure the import cases on it.",
    )
    parser.add_argument(
        "--import-rows", default="", help="Rows of the import files, e.g. 2000,10000 (default: the cases' own)."
    )
    args = parser.parse_args(argv)
    args.import_rows = [int(n) for n in args.import_rows.split(",") if n.strip()] or None
    try:
        args.sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        parser.error("--sizes takes comma-separated integers, e.g. 1000,10000")
    if not args.sizes or min(args.sizes) < 1:
        parser.error("--sizes needs at least one positive number")
    args.cases = [name.strip() for name in args.cases.split(",") if name.strip()]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    database_url = os.environ.setdefault("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    out_path = os.environ.get("BENCH_OUT") or _temp_json_path()
    ensure_database(database_url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        print(f"warning: {database_url} is not PostgreSQL; figures are not comparable", file=sys.stderr)
    from bench.cases import CASES_BY_NAME

    unknown = [name for name in args.cases if name not in CASES_BY_NAME]
    if unknown:
        print(f"--cases: no such case {', '.join(unknown)} (see bench/cases.py)", file=sys.stderr)
        return 2
    call_command("migrate", verbosity=0, interactive=False)
    if args.only_import:
        from bench.synthetic import SyntheticPlan, clear_tracker_data, estimate_rows, generate, progress_bar

        size = max(args.sizes)
        clear_tracker_data()
        plan = SyntheticPlan(commitments=size)
        generate(plan, progress=progress_bar(estimate_rows(plan), enabled=not args.no_progress))
        report = {"sizes": [size], "imports": measure_imports(args.import_rows), "machine": machine_facts()}
        Path(out_path).write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
        print(f"on {size:,} commitments ({report['machine'].get('db')}):")
        print("\n".join(format_imports(report["imports"])))
        print(f"JSON: {out_path}")
        return 0
    load_at_start = None
    with contextlib.suppress(OSError):
        load_at_start = [round(x, 2) for x in os.getloadavg()]
    explain: list[str] | None = [] if args.explain else None
    profile: list[str] | None = [] if args.profile else None
    per_size = {}
    started = time.monotonic()
    for size in args.sizes:
        print(f"== {size:,} commitments", file=sys.stderr)
        per_size[size] = measure_size(
            size,
            repeat=args.repeat,
            load_seconds=args.load_seconds,
            connections=args.connections,
            workers=args.workers,
            load=not args.no_load,
            explain=explain,
            progress=not args.no_progress,
            profile=profile,
            sweep_bodies_per_commitment=args.sweep_bodies,
            cases=[CASES_BY_NAME[name] for name in args.cases] or None,
        )
    report = summarise(args.sizes, per_size)
    if not args.no_import:
        report["imports"] = measure_imports(args.import_rows)
    report["machine"] = machine_facts()
    # The machine is shared: the load average (1, 5, 15 minutes) when the run started and when it ended.
    report["machine"]["load_average_start"] = load_at_start
    report["run_seconds"] = round(time.monotonic() - started, 1)
    Path(out_path).write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    print(format_table(report))
    if explain is not None:
        explain_path = Path(out_path).with_suffix(".explain.txt")
        explain_path.write_text("\n".join(explain), encoding="utf-8")
        print(f"EXPLAIN ANALYZE of the slowest queries: {explain_path}")
    if profile is not None:
        profile_path = Path(out_path).with_suffix(".profile.txt")
        profile_path.write_text("\n".join(profile), encoding="utf-8")
        print(f"Profiles: {profile_path}")
    print(f"JSON: {out_path}")
    return 0


def _temp_json_path() -> str:
    handle, path = tempfile.mkstemp(prefix="tracker-bench-", suffix=".json")
    os.close(handle)
    return path


def machine_facts() -> dict[str, Any]:
    from django.db import connection

    facts: dict[str, Any] = {"cpus": os.cpu_count(), "python": platform.python_version(), "db": connection.vendor}
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        facts["memory_gib"] = round(pages * page_size / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            facts["postgresql"] = cursor.fetchone()[0]
    with contextlib.suppress(OSError):
        facts["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return facts


if __name__ == "__main__":
    sys.exit(main())
