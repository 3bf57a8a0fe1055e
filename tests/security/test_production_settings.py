"""The production settings pass Django's deployment check and send the security headers a browser relies on.

Each test starts a fresh Python process with ``DJANGO_SETTINGS_MODULE=tracker.settings.production`` and only the
documented environment variables, exactly as gunicorn would be started.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json
import django
django.setup()
from django.conf import settings
from django.test import Client

client = Client()
plain = client.get("/accounts/login/", HTTP_HOST="tracker.example.eu")
secure = client.get("/accounts/login/", HTTP_HOST="tracker.example.eu", secure=True)
cookies = {name: dict(morsel.items()) for name, morsel in secure.cookies.items()}
print(json.dumps({
    "debug": settings.DEBUG,
    "plain": {"status": plain.status_code, "location": plain.get("Location", "")},
    "secure": {"status": secure.status_code, "headers": dict(secure.headers.items())},
    "cookies": cookies,
}))
"""


def production_env(tmp_path, **overrides) -> dict[str, str]:
    """The documented production variables, and nothing from the developer's environment that would mask a gap."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECRET_KEY", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="tracker.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="tracker.example.eu,testserver",
        DATABASE_URL=f"sqlite:///{tmp_path / 'production-check.sqlite3'}",
        CSRF_TRUSTED_ORIGINS="https://tracker.example.eu",
        SITE_URL="https://tracker.example.eu",
    )
    env.pop("REDIS_URL", None)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )


def test_check_deploy_passes_at_warning_level(tmp_path):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_with_a_weak_secret_key(tmp_path):
    """The check is meaningful: the same command fails when a protection it looks at is missing."""
    env = production_env(tmp_path, SECRET_KEY="short")
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_refuses_to_start_without_a_required_variable(tmp_path, missing):
    result = run(["manage.py", "check"], production_env(tmp_path, **{missing: None}))
    assert result.returncode != 0
    assert missing in result.stderr


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("production")
    result = run(["-c", PROBE], production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_debug_is_off_even_if_asked_for(tmp_path):
    result = run(
        ["-c", "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"],
        production_env(tmp_path, DJANGO_DEBUG="1"),
    )
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_plain_http_is_redirected_to_https(probe):
    assert probe["plain"]["status"] == 301
    assert probe["plain"]["location"].startswith("https://tracker.example.eu/")


def test_https_responses_carry_hsts(probe):
    hsts = probe["secure"]["headers"]["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts
    assert "includeSubDomains" in hsts
    assert "preload" in hsts


def test_cookies_are_secure_and_http_only(probe):
    assert probe["secure"]["status"] == 200
    csrf = probe["cookies"]["__Host-csrftoken"]
    assert csrf["secure"] is True
    assert csrf["httponly"] is True
    assert csrf["samesite"] == "Lax"


def test_content_security_policy_forbids_inline_code_and_framing(probe):
    csp = probe["secure"]["headers"]["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert "upgrade-insecure-requests" in directives
    assert "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp


def test_framing_and_referrer_headers(probe):
    headers = probe["secure"]["headers"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
