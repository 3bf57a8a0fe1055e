"""Helpers the test suites of several apps share."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError


def assert_clean_errors(record, errors: dict[str, list[str]]) -> None:
    """``record.clean()`` refuses with exactly ``errors`` (field: messages), or accepts when ``errors`` is empty."""
    if not errors:
        record.clean()
        return
    with pytest.raises(ValidationError) as refused:
        record.clean()
    assert refused.value.message_dict == errors


@dataclass
class PageSection:
    """What a reader sees under one ``<h2>`` of a page: its tables' column headers and rows (cell texts), the
    sentences that say a list is empty (``<p class="empty">``), and the summary line (``.outcome-summary``)."""

    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    summary: str = ""


class _Sections(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, PageSection] = {}
        self.current = PageSection()
        self.text: list[str] | None = None  # the text of the element being read (h2, th, td, p.empty)
        self.kind = ""

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag in ("h2", "th", "td") or (tag == "p" and ("empty" in classes or "outcome-summary" in classes)):
            self.text, self.kind = [], tag if tag != "p" else ("empty" if "empty" in classes else "summary")
        elif tag == "tr":
            self.row: list[str] = []

    def handle_data(self, data):
        if self.text is not None:
            self.text.append(data)

    def handle_endtag(self, tag):
        if tag == "tr" and getattr(self, "row", None):
            self.current.rows.append(self.row)
            self.row = []
        if self.text is None or tag != {"empty": "p", "summary": "p"}.get(self.kind, self.kind):
            return
        text = " ".join("".join(self.text).split())
        self.text = None
        if self.kind == "h2":
            self.current = self.sections.setdefault(text, PageSection())
        elif self.kind == "th":
            self.current.headers.append(text)
        elif self.kind == "td":
            self.row.append(text)
        elif self.kind == "empty":
            self.current.empty.append(text)
        else:
            self.current.summary = text


def page_sections(html: str) -> dict[str, PageSection]:
    """The sections of a page by their ``<h2>`` text, as a reader sees them (see :class:`PageSection`)."""
    parser = _Sections()
    parser.feed(html)
    return parser.sections


def registered_task(name: str):
    """The Celery task ``name`` as a worker finds it at start-up, after autodiscovery of the installed apps' tasks
    modules: not only if an earlier test in the same process happened to import its module."""
    from tracker.celery import app

    app.loader.import_default_modules()
    return app.tasks[name]


def a_record_in_each_admin_list():
    """A status update, its commitment advanced at a meeting, the body's contact and overdue flag, a milestone: a
    record in each list of the tracker's admin. Returns the status update."""
    from commitments.tests.factories import MilestoneFactory, StatusUpdateFactory
    from dialogues.tests.factories import ContactFactory, MeetingFactory, OverdueFlagFactory

    update = StatusUpdateFactory()
    meeting = MeetingFactory(commitments=[update.commitment])
    ContactFactory(body=meeting.body)
    OverdueFlagFactory(body=meeting.body)
    MilestoneFactory(commitment=update.commitment)
    update.refresh_from_db()
    return update


def admin_form_data(response) -> dict:
    """The data an admin change page (``response``) sends back unchanged: the main form, its inlines and their
    management forms, and the hidden field with what the form was opened on (``core.admin_base.StaleFormGuard``)."""
    from django import forms

    data = {}
    page_forms = [response.context["adminform"].form]
    for inline in response.context.get("inline_admin_formsets", []):
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
        page_forms.extend(formset.forms)
    for form in page_forms:
        for name, form_field in form.fields.items():
            value = form[name].value()
            if value is None:
                continue
            key = form.add_prefix(name)
            if isinstance(form_field.widget, forms.MultiWidget) and not isinstance(value, list | tuple):
                # A date and a time in two inputs (a user's "date joined"): key_0, key_1.
                for index, part in enumerate(form_field.widget.decompress(value)):
                    if part is not None:
                        data[f"{key}_{index}"] = part.isoformat()
            elif isinstance(value, list | tuple):
                data[key] = [str(v.pk if hasattr(v, "pk") else v) for v in value]
            elif isinstance(value, bool):
                if value:
                    data[key] = "on"
            else:
                data[key] = value
    return data


def wait_until_a_query_waits_on_a_lock(responses: list, timeout: float = 20) -> None:
    """On PostgreSQL, from the transaction that holds a lock: return once another connection waits on a lock (the
    request under test, in its own thread, which appends its answer to ``responses`` when done). A request that
    answers without ever waiting fails the test."""
    import time

    from django.db import connection

    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline and not responses:
            # Inside a transaction the statistics views keep their first snapshot: take a fresh one each time.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
        cursor.execute(
            "SELECT datname, state, wait_event_type, wait_event, left(query, 80) FROM pg_stat_activity "
            "WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        activity = cursor.fetchall()
    raise AssertionError(f"the second request never waited for the first: {responses} {activity}")


class _FormValues(HTMLParser):
    """What a browser sends for the first ``<form class="form">`` of a page, untouched: every named input (a radio
    button or a checkbox only when checked), textarea and selected option."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self.state = "before"  # before, in, after the form
        self.textarea: str | None = None
        self.select: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.state == "before" and "form" in (attrs.get("class") or "").split():
            self.state = "in"
        if self.state != "in" or (not attrs.get("name") and tag != "option"):
            return
        if tag == "input" and attrs.get("type") not in ("submit", "button"):
            if attrs.get("type") in ("radio", "checkbox") and "checked" not in attrs:
                return
            self.values.setdefault(attrs["name"], []).append(attrs.get("value") or "")
        elif tag == "textarea":
            self.textarea, self.text = attrs["name"], []
        elif tag == "select":
            self.select = attrs["name"]
        elif tag == "option" and self.select and "selected" in attrs:
            self.values.setdefault(self.select, []).append(attrs.get("value") or "")

    def handle_data(self, data):
        if self.textarea is not None:
            self.text.append(data)

    def handle_endtag(self, tag):
        if tag == "textarea" and self.textarea is not None:
            # A textarea's content starts after one newline, which the browser drops.
            self.values[self.textarea] = ["".join(self.text).removeprefix("\n")]
            self.textarea = None
        elif tag == "select":
            self.select = None
        elif tag == "form" and self.state == "in":
            self.state = "after"


def form_values(html: str) -> dict[str, list[str]]:
    """The values the page's form would send as it is shown (see :class:`_FormValues`), for the test client's
    ``post``: change some, post the rest as the person left them."""
    parser = _FormValues()
    parser.feed(html)
    return parser.values
