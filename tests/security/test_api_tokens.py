"""API tokens: an administrator revokes one in the admin, and from the next request on it gets 401."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, path, reverse
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from commitments.tests.factories import UserFactory
from core.roles import EDITORS

pytestmark = pytest.mark.django_db


class WhoAmI(APIView):
    """An endpoint with the project's default authentication and permission classes (settings.REST_FRAMEWORK)."""

    def get(self, request):
        return Response({"username": request.user.get_username()})


urlpatterns = [path("whoami/", WhoAmI.as_view()), path("admin/", admin.site.urls)]


@pytest.fixture
def token():
    return Token.objects.create(user=UserFactory(username="integration", role=EDITORS))


def api_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def real_api_url() -> str | None:
    """A list endpoint of the project's own API, once it has one."""
    try:
        return reverse("api:commitment-list")
    except NoReverseMatch:
        return None


@pytest.mark.urls(__name__)
def test_a_token_revoked_in_the_admin_gets_401(client, token):
    assert api_client(token.key).get("/whoami/").json() == {"username": "integration"}
    client.force_login(UserFactory(admin=True, username="root"))
    admin_list = client.get(reverse("admin:authtoken_tokenproxy_changelist")).content.decode()
    assert "integration" in admin_list
    response = client.post(reverse("admin:authtoken_tokenproxy_delete", args=[token.user.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Token.objects.filter(key=token.key).exists()
    refused = api_client(token.key).get("/whoami/")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == "Token"


def test_a_revoked_token_gets_401_from_the_real_api(token):
    url = real_api_url()
    if url is None:
        pytest.skip("the REST API is not there yet")
    assert api_client(token.key).get(url).status_code == 200
    token.delete()
    assert api_client(token.key).get(url).status_code == 401


@pytest.mark.urls(__name__)
def test_a_made_up_token_gets_401_and_no_hint(token):
    response = api_client("0" * 40).get("/whoami/")
    assert response.status_code == 401
    assert token.key not in response.content.decode()


@pytest.mark.urls(__name__)
def test_a_token_of_a_deactivated_user_gets_401(token):
    token.user.is_active = False
    token.user.save()
    assert api_client(token.key).get("/whoami/").status_code == 401
