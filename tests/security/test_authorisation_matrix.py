"""The authorisation matrix: every URL the tracker serves, for every kind of client.

The URLs are DISCOVERED from the URL configuration, and every discovered pattern must have a declared
expectation in ``EXPECTED`` (or fall under the admin rule): a new page or endpoint that nobody thought about fails
``test_every_url_pattern_has_a_declared_expectation`` until someone decides who may use it.

Clients: anonymous, a reviewer, an editor, an administrator (superuser, staff), and an API client that sends an
editor's token and no session. Each is tried with GET and with POST (empty data: a write attempt), and on every
page that answers 200 with HTML the Content Security Policy's "no inline code" rule is checked as well.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_celery_beat.models import ClockedSchedule, IntervalSchedule, SolarSchedule
from rest_framework.authtoken.models import Token

from commitments.models import Agreement, Commitment, StatusUpdate
from commitments.tests.factories import CommitmentFactory, MilestoneFactory, StatusUpdateFactory, UserFactory
from core.roles import EDITORS, REVIEWERS
from dialogues.models import DialogueBody, Meeting
from dialogues.tests.factories import ContactFactory, DialogueBodyFactory, MeetingFactory, OverdueFlagFactory
from imports.models import ImportRun
from subscriptions.services import unsubscribe_token
from subscriptions.tests.factories import DigestFactory, FollowFactory
from webhooks.tests.factories import WebhookAttemptFactory, WebhookDeliveryFactory, WebhookFactory

from .inline_code import inline_code

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "reviewer", "editor", "admin", "token")

# Outcomes: what the client sees.
OK = "200 page"
LOGIN = "302 to the sign-in page"
ADMIN_LOGIN = "302 to the admin sign-in page"
REDIRECT = "302 elsewhere"
FORBIDDEN = "403"
UNAUTHORIZED = "401"
NOT_FOUND = "404"
NOT_ALLOWED = "405"
BAD_REQUEST = "400"


def every(outcome: str) -> dict[str, str]:
    return dict.fromkeys(ROLES, outcome)


def signed_in(outcome: str, otherwise: str = LOGIN) -> dict[str, str]:
    """``outcome`` for the three signed-in roles; ``otherwise`` for anonymous and for a token (no session)."""
    return {"anonymous": otherwise, "reviewer": outcome, "editor": outcome, "admin": outcome, "token": otherwise}


@dataclass
class Expect:
    """Who gets what at one URL pattern. ``url`` builds a concrete URL from the test data."""

    url: Callable[[dict], str]
    get: dict[str, str]
    post: dict[str, str] = field(default_factory=dict)
    public_read: bool = False  # with PUBLIC_READ=1, anonymous visitors may GET it (and still never POST)
    get_with_public_read: dict[str, str] | None = None  # when PUBLIC_READ=1 changes what a GET gets
    put_patch_delete: dict[str, str] = field(default_factory=dict)  # the API's other write methods
    patch: dict[str, str] | None = None  # where PATCH is a write of its own (a milestone), unlike PUT and DELETE


def read_only_page(url: Callable[[dict], str]) -> Expect:
    """A page of the site: staff read it, nobody writes through it, anonymous visitors sign in first."""
    return Expect(url, get=signed_in(OK), post=signed_in(NOT_ALLOWED), public_read=True)


def editor_form(url: Callable[[dict], str]) -> Expect:
    """A form that changes data: editors (and the administrator) only. Reviewers get 403, never the form; an
    empty submission is refused with 400 and the form's errors."""
    return Expect(
        url,
        get={"anonymous": LOGIN, "reviewer": FORBIDDEN, "editor": OK, "admin": OK, "token": LOGIN},
        post={"anonymous": LOGIN, "reviewer": FORBIDDEN, "editor": BAD_REQUEST, "admin": BAD_REQUEST, "token": LOGIN},
    )


EXPECTED: dict[str, Expect] = {
    # --- Site pages -------------------------------------------------------------------------------------------
    "dashboards:home": read_only_page(lambda d: reverse("dashboards:home")),
    "commitments:commitment_list": read_only_page(lambda d: reverse("commitments:commitment_list")),
    "commitments:commitment_detail": read_only_page(lambda d: d["commitment"].get_absolute_url()),
    "dashboards:agreement_detail": read_only_page(lambda d: d["commitment"].agreement.get_absolute_url()),
    "commitments:commitment_update_status": editor_form(
        lambda d: reverse("commitments:commitment_update_status", args=[d["commitment"].pk])
    ),
    "commitments:commitment_confirm": editor_form(
        lambda d: reverse("commitments:commitment_confirm", args=[d["commitment"].pk])
    ),
    "commitments:commitment_edit": editor_form(
        lambda d: reverse("commitments:commitment_edit", args=[d["commitment"].pk])
    ),
    "dialogues:meeting_create": editor_form(lambda d: reverse("dialogues:meeting_create")),
    "dialogues:meeting_withdraw": editor_form(lambda d: reverse("dialogues:meeting_withdraw", args=[d["meeting"].pk])),
    "commitments:status_update_withdraw": editor_form(
        lambda d: reverse("commitments:status_update_withdraw", args=[d["update"].commitment_id, d["update"].pk])
    ),
    "commitments:progress_source": editor_form(
        lambda d: reverse("commitments:progress_source", args=[d["commitment"].pk])
    ),
    "commitments:milestone_add": editor_form(
        lambda d: reverse("commitments:milestone_add", args=[d["commitment"].pk])
    ),
    "commitments:milestone_edit": editor_form(
        lambda d: reverse("commitments:milestone_edit", args=[d["commitment"].pk, d["milestone"].pk])
    ),
    "commitments:milestone_withdraw": editor_form(
        lambda d: reverse("commitments:milestone_withdraw", args=[d["commitment"].pk, d["milestone"].pk])
    ),
    "dialogues:meeting_detail": read_only_page(lambda d: d["meeting"].get_absolute_url()),
    "dialogues:body_confirm_fact": editor_form(
        lambda d: reverse("dialogues:body_confirm_fact", kwargs={"short_name": d["body"].short_name})
    ),
    "commitments:agreement_confirm_fact": editor_form(
        lambda d: reverse("commitments:agreement_confirm_fact", kwargs={"code": d["commitment"].agreement.code})
    ),
    "dashboards:changes": read_only_page(lambda d: reverse("dashboards:changes")),
    "dashboards:timeline": read_only_page(lambda d: reverse("dashboards:timeline")),
    # Briefing packs (PDF): read like the pages they summarise.
    "dashboards:agreement_briefing": read_only_page(
        lambda d: reverse("dashboards:agreement_briefing", args=[d["commitment"].agreement.code])
    ),
    "dashboards:body_briefing": read_only_page(
        lambda d: reverse("dashboards:body_briefing", args=[d["body"].short_name])
    ),
    "dashboards:area_briefing": read_only_page(
        lambda d: reverse("dashboards:area_briefing", args=[d["commitment"].area])
    ),
    "commitments:commitment_export_csv": read_only_page(lambda d: reverse("commitments:commitment_export_csv")),
    "commitments:commitment_export_xlsx": read_only_page(lambda d: reverse("commitments:commitment_export_xlsx")),
    "dialogues:body_list": read_only_page(lambda d: reverse("dialogues:body_list")),
    # --- Bulk import (imports/): editors only; an empty upload or a confirmation of a run not ready is a 400 -------
    "imports:import_start": editor_form(lambda d: reverse("imports:import_start")),
    "imports:run_detail": editor_form(lambda d: d["import_run"].get_absolute_url()),
    "imports:run_progress": Expect(
        lambda d: reverse("imports:run_progress", args=[d["import_run"].pk]),
        get={"anonymous": LOGIN, "reviewer": FORBIDDEN, "editor": OK, "admin": OK, "token": LOGIN},
        post={"anonymous": LOGIN, "reviewer": FORBIDDEN, "editor": NOT_ALLOWED, "admin": NOT_ALLOWED, "token": LOGIN},
    ),
    "imports:template_download": Expect(
        lambda d: reverse("imports:template_download", args=["commitments", "xlsx"]),
        get={"anonymous": LOGIN, "reviewer": FORBIDDEN, "editor": OK, "admin": OK, "token": LOGIN},
        post={"anonymous": LOGIN, "reviewer": FORBIDDEN, "editor": NOT_ALLOWED, "admin": NOT_ALLOWED, "token": LOGIN},
    ),
    "dialogues:body_detail": read_only_page(lambda d: d["body"].get_absolute_url()),
    # --- The liveness probe: open to every client, read-only, no data ------------------------------------------
    "healthz": Expect(lambda d: reverse("healthz"), get=every(OK), post=every(NOT_ALLOWED)),
    # --- Signing in and out, changing one's password; no reset by e-mail (tests/security/test_password_reset.py) ---
    "login": Expect(lambda d: reverse("login"), get=every(OK), post=every(OK)),
    "logout": Expect(
        lambda d: reverse("logout"),
        get=signed_in(NOT_ALLOWED),
        post=every(LOGIN),
        get_with_public_read=every(NOT_ALLOWED),  # the sign-out view itself answers: it takes a POST
    ),
    "password_change": Expect(lambda d: reverse("password_change"), get=signed_in(OK), post=signed_in(OK)),
    "password_change_done": Expect(
        lambda d: reverse("password_change_done"), get=signed_in(OK), post=signed_in(NOT_ALLOWED)
    ),
    # --- Following (subscriptions/): one's own follows, for every signed-in user, never under PUBLIC_READ alone ---
    # "What I follow": an empty POST (follow a policy area, none given) is a 400.
    "subscriptions:following": Expect(
        lambda d: reverse("subscriptions:following"), get=signed_in(OK), post=signed_in(BAD_REQUEST)
    ),
    "subscriptions:follow_toggle": Expect(
        lambda d: reverse("subscriptions:follow_toggle"), get=signed_in(NOT_ALLOWED), post=signed_in(BAD_REQUEST)
    ),
    "subscriptions:digest_settings": Expect(
        lambda d: reverse("subscriptions:digest_settings"), get=signed_in(NOT_ALLOWED), post=signed_in(BAD_REQUEST)
    ),
    # Rotating needs no input: it replaces one's own feed address and goes back to the page.
    "subscriptions:calendar_rotate": Expect(
        lambda d: reverse("subscriptions:calendar_rotate"), get=signed_in(NOT_ALLOWED), post=signed_in(REDIRECT)
    ),
    # The secret address is the key (calendar programs cannot sign in): anyone holding it reads, nobody writes.
    "subscriptions:calendar_feed": Expect(
        lambda d: reverse("subscriptions:calendar_feed", args=[d["calendar_token"]]),
        get=every(OK),
        post=every(NOT_ALLOWED),
        get_with_public_read=every(OK),
    ),
    # The digest's one-click unsubscribe: the signed token is the authority (no sign-in, no CSRF token).
    "subscriptions:unsubscribe": Expect(
        lambda d: reverse("subscriptions:unsubscribe", args=[d["unsubscribe_token"]]),
        get=every(OK),
        post=every(OK),
        get_with_public_read=every(OK),
    ),
}

# --- The REST API: no redirects, 401 without credentials, 403 for a signed-in non-editor -----------------------
API_READ = {"anonymous": UNAUTHORIZED, "reviewer": OK, "editor": OK, "admin": OK, "token": OK}
API_NO_WRITE = {
    "anonymous": UNAUTHORIZED,
    "reviewer": FORBIDDEN,
    "editor": NOT_ALLOWED,
    "admin": NOT_ALLOWED,
    "token": NOT_ALLOWED,
}
API_EMPTY_WRITE = {
    "anonymous": UNAUTHORIZED,
    "reviewer": FORBIDDEN,
    "editor": BAD_REQUEST,
    "admin": BAD_REQUEST,
    "token": BAD_REQUEST,
}


SUPERUSER_ONLY = {
    "anonymous": UNAUTHORIZED,
    "reviewer": FORBIDDEN,
    "editor": FORBIDDEN,
    "admin": OK,
    "token": FORBIDDEN,
}


def api_read(url: Callable[[dict], str]) -> Expect:
    """A read-only endpoint: readers (session or token) get JSON; every write method is refused."""
    return Expect(url, get=API_READ, post=API_NO_WRITE, public_read=True, put_patch_delete=API_NO_WRITE)


def api_collection_with_create(url: Callable[[dict], str]) -> Expect:
    """A list that editors append to with POST (an empty body is a 400 with field errors); nothing is edited."""
    return Expect(url, get=API_READ, post=API_EMPTY_WRITE, public_read=True, put_patch_delete=API_NO_WRITE)


def api_object_action(url: Callable[[dict], str]) -> Expect:
    """A write on one object (withdraw): POST only, editors only (an empty body is a 400); readers get 405."""
    get = {"anonymous": UNAUTHORIZED, "reviewer": NOT_ALLOWED, "editor": NOT_ALLOWED, "admin": NOT_ALLOWED}
    return Expect(
        url,
        get={**get, "token": NOT_ALLOWED},
        post=API_EMPTY_WRITE,
        put_patch_delete=API_NO_WRITE,
        get_with_public_read={**get, "anonymous": NOT_ALLOWED, "token": NOT_ALLOWED},
    )


def api_is_there() -> bool:
    """Whether the project serves its REST API (its rules below apply as soon as it does)."""
    try:
        reverse("api:api-root")
    except NoReverseMatch:
        return False
    return True


API_EXPECTED = {
    "api:api-root": api_read(lambda d: reverse("api:api-root")),
    "api:schema": api_read(lambda d: reverse("api:schema")),
    "api:docs": Expect(
        lambda d: reverse("api:docs"),
        get={"anonymous": LOGIN, "reviewer": OK, "editor": OK, "admin": OK, "token": OK},
        post={**API_NO_WRITE, "anonymous": LOGIN},
        public_read=True,
    ),
    "api:agreement-list": api_read(lambda d: reverse("api:agreement-list")),
    "api:agreement-detail": api_read(lambda d: reverse("api:agreement-detail", args=[d["commitment"].agreement.code])),
    "api:commitment-list": api_read(lambda d: reverse("api:commitment-list")),
    "api:commitment-detail": api_read(lambda d: reverse("api:commitment-detail", args=[d["commitment"].pk])),
    "api:commitment-history": api_read(lambda d: reverse("api:commitment-history", args=[d["commitment"].pk])),
    "api:statusupdate-list": api_collection_with_create(lambda d: reverse("api:statusupdate-list")),
    "api:statusupdate-detail": api_read(lambda d: reverse("api:statusupdate-detail", args=[d["update"].pk])),
    "api:statusupdate-withdraw": api_object_action(
        lambda d: reverse("api:statusupdate-withdraw", args=[d["update"].pk])
    ),
    "api:milestone-list": api_collection_with_create(lambda d: reverse("api:milestone-list")),
    "api:milestone-detail": Expect(
        lambda d: reverse("api:milestone-detail", args=[d["milestone"].pk]),
        get=API_READ,
        post=API_NO_WRITE,
        public_read=True,
        put_patch_delete=API_NO_WRITE,
        patch=API_EMPTY_WRITE,  # a change needs at least expected_version: an empty body is a 400
    ),
    "api:milestone-withdraw": api_object_action(lambda d: reverse("api:milestone-withdraw", args=[d["milestone"].pk])),
    "api:dialogue-list": api_read(lambda d: reverse("api:dialogue-list")),
    "api:dialogue-detail": api_read(lambda d: reverse("api:dialogue-detail", args=[d["body"].short_name])),
    "api:meeting-list": api_collection_with_create(lambda d: reverse("api:meeting-list")),
    "api:meeting-detail": api_read(lambda d: reverse("api:meeting-detail", args=[d["meeting"].pk])),
    "api:meeting-withdraw": api_object_action(lambda d: reverse("api:meeting-withdraw", args=[d["meeting"].pk])),
    "api:calendar": api_read(lambda d: reverse("api:calendar")),
    # Webhooks: superusers only (the matrix's token belongs to an editor, who is refused like any non-superuser).
    "api:webhook-list": Expect(
        lambda d: reverse("api:webhook-list"),
        get=SUPERUSER_ONLY,
        post={**SUPERUSER_ONLY, "admin": BAD_REQUEST},
        put_patch_delete={**SUPERUSER_ONLY, "admin": NOT_ALLOWED},
        get_with_public_read=SUPERUSER_ONLY,
    ),
    "api:webhook-detail": Expect(
        lambda d: reverse("api:webhook-detail", args=[d["webhook"].pk]),
        get=SUPERUSER_ONLY,
        post={**SUPERUSER_ONLY, "admin": NOT_ALLOWED},
        put_patch_delete={**SUPERUSER_ONLY, "admin": NOT_ALLOWED},
        get_with_public_read=SUPERUSER_ONLY,
    ),
}
# Anything else under /api/ is no URL pattern any more: the site's 404 handler answers it with a JSON 404
# (commitments/tests/test_api.py::test_unknown_or_malformed_commitment_ids_are_json_404s).
if api_is_there():
    EXPECTED.update(API_EXPECTED)

# --- The admin ------------------------------------------------------------------------------------------------
# Every URL under /admin/ is for staff only: everybody else is sent to the admin's sign-in page, whatever the
# method. For the administrator, each model's pages open, except the actions its ModelAdmin refuses on purpose:
ADMIN_REFUSED_ACTIONS = {
    "commitments.statusupdate": {"add", "delete"},  # the status history is append-only
    "commitments.milestone": {"add", "delete"},  # milestones are written by their services (and their history)
    "dialogues.overdueflag": {"add"},  # flags are opened by the sweep only
    "subscriptions.digest": {"add"},  # digests are claimed by the digest run only
    "webhooks.webhookdelivery": {"add"},  # deliveries are written by the event subscriber only
    "imports.importrun": {"add", "delete"},  # the audit record of bulk imports, written by the import only
    "axes.accessattempt": {"add"},
    "axes.accesslog": {"add"},
    "axes.accessfailurelog": {"add"},
}


def discover(patterns=None, prefix: str = "", namespace: str | None = None):
    """Every URL pattern of the project: (route as written, name with namespace or None, pattern)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from discover(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
            yield prefix + str(pattern.pattern), name, pattern


def is_admin(route: str) -> bool:
    return route.startswith("admin/")


def url_key(route: str, name: str | None) -> str:
    """How EXPECTED names a pattern: by its URL name, or by its route when it has no name."""
    return name or route


def test_every_url_pattern_has_a_declared_expectation():
    undeclared = [
        route if name is None else f"{name} ({route})"
        for route, name, _ in discover()
        if not is_admin(route) and url_key(route, name) not in EXPECTED
    ]
    assert undeclared == [], "Declare who may use these URLs in EXPECTED: " + ", ".join(undeclared)
    discovered = {url_key(route, name) for route, name, _ in discover()}
    stale = sorted(set(EXPECTED) - discovered)
    assert stale == [], f"EXPECTED names URLs that no longer exist: {stale}"


# --- Clients and data -------------------------------------------------------------------------------------------


@pytest.fixture
def data():
    body = DialogueBodyFactory(short_name="SDD")
    commitment = CommitmentFactory(reference="SDP §7", responsible_body=body)
    update = StatusUpdateFactory(commitment=commitment)
    meeting = MeetingFactory(body=body, commitments=[commitment])
    milestone = MilestoneFactory(commitment=commitment)
    update.refresh_from_db()
    ContactFactory(body=body)
    OverdueFlagFactory(body=DialogueBodyFactory(overdue=True))
    users = {
        "reviewer": UserFactory(username="matrix-reviewer", role=REVIEWERS),
        "editor": UserFactory(username="matrix-editor", role=EDITORS),
        "admin": UserFactory(username="matrix-admin", admin=True),
    }
    token = Token.objects.create(user=users["editor"])
    # A follower who is none of the clients (so that a client rotating its own feed leaves this one alone).
    follower = FollowFactory(user__username="matrix-follower", commitment=commitment).user.follower_settings
    DigestFactory(user=follower.user)
    webhook = WebhookFactory()
    WebhookAttemptFactory(delivery=WebhookDeliveryFactory(webhook=webhook))
    AccessAttempt.objects.create(
        username="someone",
        ip_address="192.0.2.1",
        user_agent="test",
        failures_since_start=1,
        get_data="",
        post_data="",
        http_accept="*/*",
        path_info="/accounts/login/",
    )
    AccessFailureLog.objects.create(
        username="someone",
        ip_address="192.0.2.1",
        user_agent="test",
        http_accept="*/*",
        path_info="/accounts/login/",
        locked_out=False,
    )
    # One object of every model that has admin pages, so that each change, history and delete page opens.
    AccessLog.objects.create(
        username="someone", ip_address="192.0.2.1", user_agent="test", http_accept="*/*", path_info="/accounts/login/"
    )
    IntervalSchedule.objects.create(every=1, period=IntervalSchedule.DAYS)
    SolarSchedule.objects.create(event="sunrise", latitude="50.85", longitude="4.35")
    ClockedSchedule.objects.create(clocked_time=timezone.now())
    return {
        "commitment": commitment,
        "body": body,
        "update": update,
        "meeting": meeting,
        "milestone": milestone,
        "users": users,
        "token": token.key,
        "webhook": webhook,
        "calendar_token": follower.calendar_token,
        "unsubscribe_token": unsubscribe_token(user=follower.user),
        "import_run": ImportRun.objects.create(kind="commitments", file_name="matrix.csv", created_by=users["editor"]),
    }


def client_for(role: str, data: dict, *, fresh: bool = False) -> Client:
    """One client per role and test (signing in is the slow part); ``fresh`` for requests that sign out."""
    cache = data.setdefault("clients", {})
    if role in cache and not fresh:
        return cache[role]
    client = Client(raise_request_exception=True)
    if role in data["users"]:
        client.force_login(data["users"][role])
    elif role == "token":
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {data['token']}"
    if not fresh:
        cache[role] = client
    return client


def outcome_of(response) -> str:
    status = response.status_code
    if status == 302:
        location = response["Location"]
        if location.startswith(reverse("admin:login")):
            return ADMIN_LOGIN
        if location.startswith(reverse("login")):
            return LOGIN
        return REDIRECT
    return {
        200: OK,
        400: BAD_REQUEST,
        401: UNAUTHORIZED,
        403: FORBIDDEN,
        404: NOT_FOUND,
        405: NOT_ALLOWED,
    }.get(status, f"{status} (unexpected)")


def counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in (Agreement, Commitment, StatusUpdate, DialogueBody, Meeting)}


def check(client: Client, method: str, url: str, expected: str, problems: list[str], label: str):
    if method == "GET":
        response = client.get(url)
    elif method == "POST" and not url.startswith("/api/"):
        response = client.post(url, {})  # a form submission
    else:  # the API takes JSON
        response = client.generic(method, url, b"{}", content_type="application/json")
    got = outcome_of(response)
    if got != expected:
        problems.append(f"{label}: {method} {url}: expected {expected}, got {got}")
    elif got == OK and "text/html" in response.get("Content-Type", ""):
        found = inline_code(response.content.decode())
        if found:
            problems.append(f"{label}: {method} {url}: inline code the CSP blocks: {found}")


@pytest.mark.parametrize("role", ROLES)
def test_site_and_api_urls(role, data):
    problems: list[str] = []
    before = counts()
    for name, expect in EXPECTED.items():
        url = expect.url(data)
        tables = [("GET", expect.get), ("POST", expect.post)]
        tables += [
            (method, expect.patch if method == "PATCH" and expect.patch is not None else expect.put_patch_delete)
            for method in ("PUT", "PATCH", "DELETE")
        ]
        for method, table in tables:
            if table:
                client = client_for(role, data, fresh="logout" in name)
                check(client, method, url, table[role], problems, f"{role} at {name}")
    assert problems == [], "\n".join(problems)
    # Nothing on the list is a write that succeeds with an empty body: the records are untouched.
    assert counts() == before


@pytest.mark.parametrize("role", ["anonymous", "reviewer", "editor", "token"])
def test_anonymous_visitors_read_but_never_write_with_public_read(role, data, settings):
    settings.PUBLIC_READ = True
    problems: list[str] = []
    for name, expect in EXPECTED.items():
        url = expect.url(data)
        if expect.public_read:
            check(client_for(role, data), "GET", url, OK, problems, f"{role} at {name}")
            check(client_for(role, data), "POST", url, expect.post[role], problems, f"{role} at {name}")
        else:  # everything else is exactly as without PUBLIC_READ
            get = expect.get_with_public_read or expect.get
            for method, table in (("GET", get), ("POST", expect.post)):
                if table:
                    client = client_for(role, data, fresh="logout" in name)
                    check(client, method, url, table[role], problems, f"{role} at {name}")
    assert problems == [], "\n".join(problems)


# --- The admin ----------------------------------------------------------------------------------------------------


def admin_urls(data) -> list[tuple[str, str | None, str, str | None, str | None]]:
    """(route, name, url, model label, action) for every admin pattern, with real objects where one is named."""
    labels = {f"{m._meta.app_label}/{m._meta.model_name}": m for m in admin.site._registry}
    urls = []
    for route, name, pattern in discover():
        if not is_admin(route):
            continue
        match = re.match(r"admin/([a-z_]+)/([a-z_]+)/", route)
        model = labels.get(f"{match[1]}/{match[2]}") if match else None
        obj = model._base_manager.order_by("pk").first() if model else None
        assert model is None or obj is not None, f"add a {model.__name__} to the data fixture"
        values = {
            "object_id": str(obj.pk if obj is not None else data["commitment"].pk),
            "id": str(obj.pk) if obj is not None else "1",
            "content_type_id": str(ContentType.objects.get_for_model(Commitment).pk),
            "app_label": "commitments",
            "url": "no-such-page/",
        }
        if obj is not None and hasattr(obj, "history"):
            values["version_id"] = str(obj.history.order_by("history_id").first().history_id)
        regex = pattern.pattern.regex
        kwargs = {key: values[key] for key in regex.groupindex}
        if name and regex.groups > len(regex.groupindex):  # positional groups: simple_history's version page
            url = reverse(name, args=[values["object_id"], values.get("version_id", "1")][: regex.groups])
        elif name:
            url = reverse(name, kwargs=kwargs)
        else:  # unnamed: the "object id only" redirect and the admin's catch-all
            url = "/" + route.replace("(?P<url>.*)$", kwargs.get("url", "")).replace(
                "<path:object_id>", kwargs.get("object_id", "")
            )
        if name == "admin:autocomplete":
            url += "?app_label=commitments&model_name=commitment&field_name=agreement&term=a"
        action = name.rsplit("_", 1)[-1] if name and model is not None else None
        urls.append((route, name, url, model._meta.label_lower if model else None, action))
    return urls


def test_the_admin_walk_covers_every_admin_pattern(data):
    routes = {route for route, *_ in admin_urls(data)}
    assert routes == {route for route, _, _ in discover() if is_admin(route)}
    assert len(routes) > 50


@pytest.mark.parametrize("role", ["anonymous", "reviewer", "editor", "token"])
def test_the_admin_is_closed_to_everyone_but_staff(role, data):
    problems: list[str] = []
    before = counts()
    for route, name, url, _, _ in admin_urls(data):
        for method in ("GET", "POST"):
            client = client_for(role, data, fresh=name == "admin:logout")
            response = client.get(url) if method == "GET" else client.post(url, {})
            got = outcome_of(response)
            if name == "admin:login":
                allowed = {OK}
            elif name == "admin:logout" and role in ("reviewer", "editor"):
                allowed = {REDIRECT, NOT_ALLOWED}  # signing oneself out is no privilege
            else:
                # Sent to sign in: by the site (no session at all) or by the admin (signed in, but not staff).
                allowed = {LOGIN, ADMIN_LOGIN}
            if got not in allowed:
                problems.append(f"{role} at {route}: {method} {url}: expected one of {sorted(allowed)}, got {got}")
    assert problems == [], "\n".join(problems)
    assert counts() == before


def test_the_admin_opens_for_the_administrator(data):
    client = client_for("admin", data)
    problems: list[str] = []
    for route, name, url, label, action in admin_urls(data):
        if route.endswith("(?P<url>.*)$"):
            expected = NOT_FOUND
        elif name == "admin:logout":
            expected = NOT_ALLOWED  # signing out takes a POST
        elif name in ("admin:login", "admin:view_on_site") or name is None:
            expected = REDIRECT  # already signed in; "view on site"; an object id alone goes to its change page
        elif label and action in ADMIN_REFUSED_ACTIONS.get(label, set()):
            expected = FORBIDDEN
        else:
            expected = OK
        check(client, "GET", url, expected, problems, f"admin at {route}")
    assert problems == [], "\n".join(problems)
