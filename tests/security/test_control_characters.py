"""NUL and other control characters in every path segment and query parameter of every URL: never a 500.

PostgreSQL refuses NUL in text (SQLite accepts it), so before the fix ``/agreements/SDP%00/``, ``/dialogues/SDD%00/``
and the admin's ``?status__exact=%00`` were 500s on PostgreSQL only. The walk below discovers every URL pattern
from the URLconf (with the concrete URLs of the authorisation matrix), and the query parameters each page really
takes from the page itself: the fields of its GET forms and the parameters of its links (the admin's list
filters, sort and search; the site's filters), the API's filters from its viewsets. It runs on whichever database
the suite runs on (PostgreSQL in CI); the issue's own URLs also have a PostgreSQL-only test.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from django.test import Client
from django.urls import resolve

from core.converters import CodeConverter
from core.models import code_validator

from .test_authorisation_matrix import EXPECTED, admin_urls, data  # noqa: F401  (data: the fixture)

pytestmark = pytest.mark.django_db

NUL = "\x00"
# The other C0 controls that a client can put in a URL (percent-encoded), and DEL; tab and line feed included.
OTHER_CONTROLS = "\x01\x08\x09\x0a\x0b\x1b\x1f\x7f"
# Parameters every page is tried with, whether or not it names them: sign-in's redirect, paging, format, search.
GENERIC_PARAMETERS = {"next", "page", "page_size", "format", "q", "o", "search", "ordering"}
REFUSED = {400, 404}


class _ParameterNames(HTMLParser):
    """The names of the fields of GET forms and of the query parameters of links, in an HTML page."""

    def __init__(self):
        super().__init__()
        self.names: set[str] = set()
        self._in_get_form = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self._in_get_form = (attributes.get("method") or "get").lower() == "get"
        elif tag in ("input", "select", "textarea") and self._in_get_form and attributes.get("name"):
            self.names.add(attributes["name"])
        elif tag == "a" and "?" in (attributes.get("href") or ""):
            self.names.update(name for name, _ in parse_qsl(urlsplit(attributes["href"]).query, True))

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_get_form = False


def parameters_of(client: Client, url: str) -> set[str]:
    """The query parameters that the page at ``url`` takes: from its HTML, or from its API view's filters."""
    names = {name for name, _ in parse_qsl(urlsplit(url).query, True)}
    view = resolve(urlsplit(url).path).func
    viewset = getattr(view, "cls", None)
    filterset = getattr(viewset, "filterset_class", None) or getattr(
        getattr(view, "view_class", None), "filterset_class", None
    )
    if filterset is not None:
        names |= set(filterset.base_filters)
    response = client.get(url)
    if "text/html" in response.get("Content-Type", "") and not getattr(response, "streaming", False):
        parser = _ParameterNames()
        parser.feed(response.content.decode())
        names |= parser.names
    return (names | GENERIC_PARAMETERS) - {"csrfmiddlewaretoken"}


def path_variants(url: str):
    """``url`` with NUL, then the other control characters, appended to each of its path segments in turn."""
    parts = urlsplit(url)
    segments = parts.path.split("/")
    for index, segment in enumerate(segments):
        if not segment:
            continue
        for characters in (NUL, OTHER_CONTROLS):
            changed = [*segments[:index], quote(segment + characters, safe="%"), *segments[index + 1 :]]
            yield characters, "/".join(changed) + (f"?{parts.query}" if parts.query else "")


def query_variants(url: str, names: set[str], *, others_alone: bool = True):
    """``url`` with each query parameter in turn set to NUL, then to the other control characters (each parameter
    alone, or all parameters at once: the admin's hundred pages, where a full page per parameter is slow)."""
    parts = urlsplit(url)
    kept = parse_qsl(parts.query, True)
    for name in sorted(names):
        for characters in (NUL, OTHER_CONTROLS) if others_alone else (NUL,):
            query = urlencode([(key, value) for key, value in kept if key != name] + [(name, f"a{characters}")])
            yield characters, f"{parts.path}?{query}"
    if not others_alone:
        yield OTHER_CONTROLS, f"{parts.path}?{urlencode([(name, f'a{OTHER_CONTROLS}') for name in sorted(names)])}"


def site_and_api_urls(data) -> list[tuple[str, str]]:  # noqa: F811  (the fixture's value)
    return [(name, expect.url(data)) for name, expect in EXPECTED.items() if name != "logout"]


def walk(client: Client, label: str, url: str, problems: list[str], *, others_alone: bool = True) -> int:
    """Send every variant of ``url``; note every 500 and every NUL that was not refused. Returns the requests."""
    sent = 0
    names = parameters_of(client, url)
    variants = [*path_variants(url), *query_variants(url, names, others_alone=others_alone)]
    for characters, variant in variants:
        response = client.get(variant)
        sent += 1
        if response.status_code >= 500:
            problems.append(f"{label}: GET {variant} -> {response.status_code}")
        elif characters == NUL and response.status_code not in REFUSED:
            problems.append(f"{label}: GET {variant} -> {response.status_code}, expected 400 or 404")
    return sent


@pytest.fixture
def admin_client_(data):  # noqa: F811
    client = Client(raise_request_exception=False)
    client.force_login(data["users"]["admin"])
    return client


def test_every_site_and_api_url(data, admin_client_):  # noqa: F811
    problems: list[str] = []
    sent = sum(walk(admin_client_, name, url, problems) for name, url in site_and_api_urls(data))
    assert problems == [], "\n".join(problems)
    assert sent > 300


@pytest.mark.parametrize("part", range(4))
def test_every_admin_url(part, data, admin_client_):  # noqa: F811
    """The admin's patterns (over a hundred), in four parts so that parallel workers share them."""
    urls = [(name or route, url) for route, name, url, _, _ in admin_urls(data)][part::4]
    problems: list[str] = []
    sent = sum(walk(admin_client_, label, url, problems, others_alone=False) for label, url in urls)
    assert problems == [], "\n".join(problems)
    assert sent > 100


def test_the_walk_finds_the_parameters_each_page_takes(data, admin_client_):  # noqa: F811
    """The discovery is real: the list filters of the admin and the site's filter forms are among them."""
    assert {"status__exact", "q", "o"} <= parameters_of(admin_client_, "/admin/commitments/commitment/")
    assert {"status", "area", "strength", "agreement", "search"} <= parameters_of(admin_client_, "/commitments/")
    assert {"level", "overdue"} <= parameters_of(admin_client_, "/api/v1/dialogues/")


@pytest.mark.postgres
@pytest.mark.parametrize(
    "url",
    [
        "/agreements/SDP%00/",
        "/dialogues/SDD%00/",
        "/admin/commitments/commitment/?status__exact=%00",
        "/admin/commitments/commitment/?q=%00",
        "/admin/authtoken/tokenproxy/%00/change/",
        "/dialogues/meetings/new/?body=%00",
        "/commitments/?search=%00",
        "/api/v1/commitments/?search=%00",
    ],
)
def test_the_urls_of_the_issue_are_refused_on_postgresql(url, data, admin_client_, settings):  # noqa: F811
    """The findings themselves, on the database that showed them; anonymous under PUBLIC_READ as well."""
    assert admin_client_.get(url).status_code in REFUSED
    settings.PUBLIC_READ = True
    if not url.startswith("/admin/") and "meetings/new" not in url:
        assert Client(raise_request_exception=False).get(url).status_code in REFUSED | {401}


def test_codes_in_page_urls_go_through_the_models_pattern(data, admin_client_):  # noqa: F811
    """Path converters: a code that cannot be one does not resolve (404), a real one does."""
    body = data["body"]
    agreement = data["commitment"].agreement
    assert admin_client_.get(f"/dialogues/{body.short_name}/").status_code == 200
    assert admin_client_.get(f"/agreements/{agreement.code}/").status_code == 200
    for bad in ("sdd", "SDD%01", "SDD%0A", "A" * 21, "SDD%20X", "%C3%A9"):
        assert admin_client_.get(f"/dialogues/{bad}/").status_code == 404, bad
        assert admin_client_.get(f"/agreements/{bad}/").status_code == 404, bad
    for code in ("SDP", "JS-2023", "A" * 20):
        assert re.fullmatch(CodeConverter.regex, code)
        code_validator(code)
    assert not re.fullmatch(CodeConverter.regex, "A" * 21)
