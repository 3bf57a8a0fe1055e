"""Throughput under concurrent load: gunicorn on loopback, driven by wrk (or a bounded Python load generator).

Traffic only ever goes to 127.0.0.1, for a fixed number of seconds and (for the Python generator) a fixed maximum
number of requests; the server is a child process of the run, stopped by its own process id.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = {"127.0.0.1", "localhost"}


@dataclass
class LoadResult:
    url: str
    tool: str
    seconds: float
    requests: int
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _loopback_only(url: str) -> None:
    if urlsplit(url).hostname not in LOOPBACK:
        raise ValueError(f"load is only ever sent to this machine's loopback, not to {url}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(*, env: dict[str, str], workers: int = 2, threads: int = 1, startup_timeout: float = 30) -> Iterator[str]:
    """Start ``gunicorn tracker.wsgi`` on a free loopback port; yield its base URL; stop it (SIGTERM, then KILL)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "gunicorn", "tracker.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--threads", str(threads), "--log-level", "warning"]
    log = open(os.devnull, "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode} before answering")
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310 (loopback)
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer on {base}/healthz within {startup_timeout}s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


_UNITS = {"": 1, "k": 1e3, "K": 1e3, "M": 1e6}


def parse_wrk(output: str) -> tuple[int, float, int]:
    """(requests, seconds, errors) from wrk's report; non-2xx/3xx responses and socket errors count as errors."""
    match = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", output)
    if not match:
        raise ValueError(f"unexpected wrk output:\n{output}")
    requests, amount, unit = int(match[1]), float(match[2]), match[3]
    seconds = amount / 1000 if unit == "ms" else amount * 60 if unit == "m" else amount
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors += int(non_2xx[1])
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return requests, seconds, errors


def run_wrk(url: str, *, seconds: int, connections: int, headers: dict[str, str]) -> LoadResult:
    _loopback_only(url)
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 30, check=True).stdout
    requests, elapsed, errors = parse_wrk(output)
    return LoadResult(url, "wrk", elapsed, requests, errors)


def run_python(
    url: str, *, seconds: float, connections: int, headers: dict[str, str], max_requests: int = 200_000
) -> LoadResult:
    """A bounded load generator: ``connections`` threads with keep-alive, until ``seconds`` or ``max_requests``."""
    _loopback_only(url)
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lock = threading.Lock()
    counts = {"ok": 0, "errors": 0, "sent": 0}
    deadline = time.monotonic() + seconds

    def worker():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        try:
            while time.monotonic() < deadline:
                with lock:
                    if counts["sent"] >= max_requests:
                        return
                    counts["sent"] += 1
                try:
                    conn.request("GET", target, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    ok = 200 <= response.status < 400
                except (OSError, http.client.HTTPException):
                    ok = False
                    conn.close()
                    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
                with lock:
                    counts["ok" if ok else "errors"] += 1
        finally:
            conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    return LoadResult(url, "python", time.monotonic() - started, counts["ok"], counts["errors"])


def measure(url: str, *, seconds: int, connections: int, headers: dict[str, str] | None = None) -> LoadResult:
    """Throughput of ``url`` with wrk when installed, else with the Python generator."""
    headers = headers or {}
    if wrk_available():
        return run_wrk(url, seconds=seconds, connections=connections, headers=headers)
    return run_python(url, seconds=seconds, connections=connections, headers=headers)


class KeepAliveClient:
    """One keep-alive HTTP connection to a loopback server, for timing single requests one after another."""

    def __init__(self, base: str):
        _loopback_only(base)
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def get(self, target: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, float]:
        """(status, body, milliseconds) of ``GET target``."""
        started = time.perf_counter()
        try:
            self.conn.request("GET", target, headers=headers or {})
            response = self.conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            raise
        return response.status, body, (time.perf_counter() - started) * 1000

    def close(self) -> None:
        self.conn.close()
