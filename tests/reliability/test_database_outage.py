"""A database that goes away: requests fail cleanly with a 503 (page or JSON), never a traceback, and service
resumes by itself once the database is back."""

from __future__ import annotations

import logging
from unittest import mock

import psycopg
import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import OperationalError, connection
from django.test import Client, RequestFactory
from django.urls import path, reverse

from tracker.errors import UNAVAILABLE_MESSAGE

LOST = OperationalError("server closed the connection unexpectedly")


def view_losing_the_database(request):
    """A view whose query fails as when PostgreSQL restarts under it."""
    raise LOST


def view_with_a_bug(request):
    raise ValueError("a bug")


# A URLconf for the tests that need a view to fail on its own (the rest use the project's real URLs).
urlpatterns = [path("lost/", view_losing_the_database), path("bug/", view_with_a_bug)]
handler500 = "tracker.errors.server_error"


@pytest.fixture
def quiet_client():
    """A client that shows what a browser would get instead of re-raising the server's exception."""
    return Client(raise_request_exception=False)


def assert_clean_503(response, *, json: bool = False):
    assert response.status_code == 503
    assert response["Retry-After"].isdigit()
    body = response.content.decode()
    assert "Traceback" not in body
    assert "OperationalError" not in body
    if json:
        assert response["Content-Type"] == "application/json"
        assert response.json() == {
            "status": 503,
            "code": "service_unavailable",
            "detail": UNAVAILABLE_MESSAGE,
            "errors": {},
        }
    else:
        assert "Temporarily unavailable" in body
        assert "<h1>" in body


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_view_losing_the_database_answers_503(quiet_client, reviewer, caplog):
    quiet_client.force_login(reviewer)
    with caplog.at_level(logging.WARNING):
        response = quiet_client.get("/lost/")
    assert_clean_503(response)
    # One line saying why, and no traceback: an outage must not flood the logs with stack dumps.
    assert ("tracker.errors", "WARNING") in [(r.name, r.levelname) for r in caplog.records]
    assert not [r for r in caplog.records if r.exc_info]


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_client_asking_for_json_gets_json(quiet_client, reviewer):
    quiet_client.force_login(reviewer)
    response = quiet_client.get("/lost/", HTTP_ACCEPT="application/json")
    assert_clean_503(response, json=True)


@pytest.mark.django_db
def test_losing_the_database_while_loading_the_session_answers_503(quiet_client, reviewer):
    """The failure happens in a middleware (session, signed-in user), before any view: handler500 answers."""
    quiet_client.force_login(reviewer)
    with mock.patch("django.contrib.sessions.backends.db.SessionStore.load", side_effect=LOST):
        response = quiet_client.get(reverse("commitments:commitment_list"))
    assert_clean_503(response)


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_any_other_error_is_a_plain_500_page(quiet_client, reviewer):
    quiet_client.force_login(reviewer)
    response = quiet_client.get("/bug/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Server error" in body
    assert "a bug" not in body
    assert "Traceback" not in body


class WSGIServer:
    """Calls the tracker exactly as gunicorn does, including the start/end-of-request connection handling that the
    test client switches off (``close_old_connections`` on ``request_started`` and ``request_finished``)."""

    def __init__(self, cookie: str = ""):
        self.app = WSGIHandler()
        self.cookie = cookie

    def get(self, path: str, accept: str = "text/html"):
        environ = RequestFactory()._base_environ(
            PATH_INFO=path, REQUEST_METHOD="GET", HTTP_COOKIE=self.cookie, HTTP_ACCEPT=accept
        )
        started = {}

        def start_response(status, headers, exc_info=None):
            started.update(status=int(status.split()[0]), headers=dict(headers))

        result = self.app(environ, start_response)
        try:
            body = b"".join(result).decode()
        finally:
            result.close()  # request_finished: Django closes a connection that had an error
        return started["status"], started["headers"], body


def terminate_backends_of_this_database() -> int:
    """What a PostgreSQL restart or failover does to every open connection: end it from the server side."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return len(rows)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_restart_and_outage(reviewer):
    client = Client()
    client.force_login(reviewer)
    server = WSGIServer(cookie=f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}")
    home = reverse("dashboards:home")

    status, _, _ = server.get(home)
    assert status == 200
    assert connection.connection is not None  # a persistent connection (CONN_MAX_AGE) is kept for the next request

    # The server restarts: every connection is cut. The kept connection is checked before use
    # (CONN_HEALTH_CHECKS), found dead and replaced: the next request does not even notice.
    assert terminate_backends_of_this_database() >= 1
    status, _, body = server.get(home)
    assert status == 200, body

    # The server is down for a while: every request gets a clean 503, as a page or as JSON.
    real_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"  # nothing listens there: connection refused, as during a restart
    try:
        status, headers, body = server.get(home)
        assert status == 503
        assert headers["Retry-After"].isdigit()
        assert "Temporarily unavailable" in body and "Traceback" not in body
        status, headers, body = server.get(home, accept="application/json")
        assert status == 503
        assert UNAVAILABLE_MESSAGE in body
    finally:
        connection.close()
        connection.settings_dict["PORT"] = real_port

    # It is back: the very next request is served, with the same session.
    status, _, body = server.get(home)
    assert status == 200
    assert reviewer.username in body


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_cut_mid_session_fails_one_request_at_most(reviewer, settings):
    """Without the health check a dead kept connection costs exactly one clean 503, then service resumes."""
    settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    connection.settings_dict["CONN_HEALTH_CHECKS"] = False
    connection.close()  # the setting is read when connecting
    try:
        client = Client()
        client.force_login(reviewer)
        server = WSGIServer(
            cookie=f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
        home = reverse("dashboards:home")
        assert server.get(home)[0] == 200
        terminate_backends_of_this_database()
        status, _, body = server.get(home)
        assert status == 503, body
        assert "Traceback" not in body
        assert server.get(home)[0] == 200
    finally:
        connection.settings_dict["CONN_HEALTH_CHECKS"] = True
        connection.close()


def test_the_project_uses_the_clean_error_handler():
    from tracker import urls

    assert urls.handler500 == "tracker.errors.server_error"
