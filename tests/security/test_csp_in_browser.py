"""The Content Security Policy in a real browser: no page of the site, the admin or the API documentation triggers
a CSP violation (Chromium reports each one on the console), so nothing that needs JavaScript or CSS is broken."""

from __future__ import annotations

import contextlib

import pytest
from django.urls import NoReverseMatch, reverse

from commitments.tests.factories import CommitmentFactory, StatusUpdateFactory, UserFactory
from core.roles import EDITORS
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def visit_and_collect(page, urls: list[str]) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: violations.append(f"{page.url}: script error {error}"))
    for url in urls:
        # "load": every script and style of the page has been fetched and run, so any violation is reported.
        response = page.goto(url, wait_until="load")
        assert response.status < 400, (url, response.status)
    return violations


def test_site_pages_and_forms_run_without_csp_violations(new_page):
    body = DialogueBodyFactory(short_name="SDD")
    commitment = CommitmentFactory(responsible_body=body)
    StatusUpdateFactory(commitment=commitment)
    MeetingFactory(body=body)
    editor = UserFactory(username="csp-editor", role=EDITORS)
    page = new_page(editor)
    urls = [
        reverse("dashboards:home"),
        reverse("commitments:commitment_list"),
        commitment.get_absolute_url(),
        reverse("commitments:commitment_update_status", args=[commitment.pk]),
        reverse("commitments:commitment_edit", args=[commitment.pk]),
        body.get_absolute_url(),
        reverse("dialogues:meeting_create"),
    ]
    for name in ("dashboards:changes", "dashboards:timeline"):
        with contextlib.suppress(NoReverseMatch):
            urls.append(reverse(name))
    assert visit_and_collect(page, urls) == []


def test_admin_and_api_docs_run_without_csp_violations(new_page):
    CommitmentFactory()
    admin = UserFactory(username="csp-admin", admin=True)
    page = new_page(admin)
    urls = [
        reverse("admin:index"),
        reverse("admin:commitments_commitment_changelist"),
        reverse("admin:commitments_commitment_add"),
        reverse("admin:django_celery_beat_periodictask_add"),
    ]
    with contextlib.suppress(NoReverseMatch):
        urls.append(reverse("api:docs"))
    assert visit_and_collect(page, urls) == []
    if urls[-1].startswith("/api/"):
        # Swagger UI really started (its start-up script is a separate file, allowed by the policy).
        page.wait_for_selector(".opblock", timeout=15_000)
