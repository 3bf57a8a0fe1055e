"""The OpenAPI schema at /api/v1/schema/ describes the API as it behaves, and the documentation page works offline.

The schemathesis run at the end generates requests from the schema (valid and invalid ones) against the WSGI
application in-process, with a token, and checks every answer: no server error, status codes, content types,
headers and bodies as documented, invalid input refused.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from drf_spectacular.validation import validate_schema
from jsonschema import Draft202012Validator
from schemathesis.checks import CHECKS, load_all_checks

from commitments.choices import Status
from commitments.filtersets import CommitmentFilterSet, MilestoneFilterSet, StatusUpdateFilterSet
from commitments.tests.api_support import _fresh_throttle_counters, anon_api, reviewer_api
from commitments.tests.factories import AgreementFactory, CommitmentFactory, StatusUpdateFactory
from core.filters import MultipleChoiceFilter
from dialogues.filtersets import DialogueBodyFilterSet, MeetingFilterSet
from dialogues.tests.factories import DialogueBodyFactory, MeetingFactory

__all__ = ["_fresh_throttle_counters", "anon_api", "reviewer_api"]  # fixtures used by name

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "/api/v1/agreements/": {"get"},
    "/api/v1/agreements/{code}/": {"get"},
    "/api/v1/commitments/": {"get"},
    "/api/v1/commitments/{id}/": {"get"},
    "/api/v1/commitments/{id}/history/": {"get"},
    "/api/v1/status-updates/": {"get", "post"},
    "/api/v1/status-updates/{id}/": {"get"},
    "/api/v1/status-updates/{id}/withdraw/": {"post"},
    "/api/v1/milestones/": {"get", "post"},
    "/api/v1/milestones/{id}/": {"get", "patch"},
    "/api/v1/milestones/{id}/withdraw/": {"post"},
    "/api/v1/dialogues/": {"get"},
    "/api/v1/dialogues/{short_name}/": {"get"},
    "/api/v1/meetings/": {"get", "post"},
    "/api/v1/meetings/{id}/": {"get"},
    "/api/v1/meetings/{id}/withdraw/": {"post"},
    "/api/v1/calendar.ics": {"get"},
    "/api/v1/webhooks/": {"get", "post"},
    "/api/v1/webhooks/{id}/": {"get"},
}
FILTERS = {
    "/api/v1/commitments/": {
        "agreement",
        "status",
        "state",
        "area",
        "strength",
        "actor",
        "eu_status",
        "japan_status",
        "body",
        "overdue_body",
        "target_passed",
        "stale",
        "deadline_passed",
        "search",
        "updated_since",
        "ordering",
        "format",
    },
    "/api/v1/status-updates/": {"since", "commitment", "agreement", "kind"},
    "/api/v1/milestones/": {"commitment", "overdue", "due_before", "due_after", "withdrawn"},
    "/api/v1/dialogues/": {"level", "agreement", "overdue", "active", "search"},
    "/api/v1/meetings/": {"dialogue", "held_after", "held_before"},
}
# Lists that are not paginated (one document).
UNPAGINATED = {"/api/v1/calendar.ics"}


@pytest.fixture
def schema(reviewer_api) -> dict:
    response = reviewer_api.get("/api/v1/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return response.json()


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, operation


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)


def test_schema_lists_exactly_the_endpoints(schema):
    assert {path: set(item) - {"parameters"} for path, item in schema["paths"].items()} == ENDPOINTS


@pytest.mark.parametrize("path", sorted(FILTERS))
def test_every_filter_and_pagination_parameter_is_documented(schema, path):
    names = {parameter["name"] for parameter in schema["paths"][path]["get"]["parameters"]}
    assert FILTERS[path] | {"page", "page_size", "If-None-Match"} <= names


def test_every_operation_documents_its_errors_in_the_shared_shape(schema):
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        expected = {"401", "412", "414", "429", "431"}  # 412: If-Match (or If-Unmodified-Since) does not hold
        if method == "get":
            expected |= {"200", "304", "404"}
            if "{" not in path or path.endswith("/history/"):
                expected |= {"400"}
        else:
            expected |= {"400", "403", "409", "413", "415"}
            # 201 for what creates an entry (a withdrawal of a status update is one); 200 for a meeting withdrawn.
            assert {"200", "201"} & set(responses), (path, method, sorted(responses))
            if "{" in path:
                expected |= {"404"}
        assert expected <= set(responses), (path, method, sorted(responses))
        for code, response in responses.items():
            if code.startswith(("4", "5")):
                ref = response["content"]["application/json"]["schema"]["$ref"]
                component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
                assert {"status", "code", "detail", "errors"} <= set(component["properties"]), (path, code)
        if method == "get":
            assert "ETag" in responses["200"]["headers"]
            assert "ETag" in responses["304"]["headers"]
        assert "Retry-After" in responses["429"]["headers"]


def test_every_write_takes_if_match(schema):
    for path, method, operation in operations(schema):
        if method == "get":
            continue
        headers = {p["name"] for p in [*schema["paths"][path].get("parameters", []), *operation.get("parameters", [])]}
        assert "If-Match" in headers, (path, method)
        assert "412" in operation["responses"], (path, method)


def test_conflict_answer_carries_the_current_state(schema):
    conflict = schema["paths"]["/api/v1/status-updates/"]["post"]["responses"]["409"]
    ref = conflict["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    properties = schema["components"]["schemas"][ref]["properties"]
    assert properties["current"]["allOf"][0]["$ref"].endswith("/Commitment")


def test_dialogue_items_document_the_cadence_fields(schema):
    properties = schema["components"]["schemas"]["DialogueBody"]["properties"]
    for name in ("cadence_months", "last_meeting_on", "next_meeting_due", "days_overdue", "reports_to"):
        assert name in properties
    assert properties["days_overdue"]["nullable"] is True


def test_commitment_list_documents_csv(schema):
    content = schema["paths"]["/api/v1/commitments/"]["get"]["responses"]["200"]["content"]
    assert content["text/csv"]["schema"] == {"type": "string"}
    assert content["application/json"]["schema"]["$ref"].endswith("/PaginatedCommitmentList")


def test_write_payloads_document_their_limits(schema):
    request = schema["components"]["schemas"]["StatusUpdateCreateRequest"]
    assert set(request["required"]) == {"commitment", "expected_version"}
    assert (request["properties"]["progress"]["minimum"], request["properties"]["progress"]["maximum"]) == (0, 100)
    assert schema["components"]["schemas"]["MeetingCreateRequest"]["required"] == ["dialogue", "held_on"]


FILTERSETS = {
    "/api/v1/commitments/": CommitmentFilterSet,
    "/api/v1/status-updates/": StatusUpdateFilterSet,
    "/api/v1/milestones/": MilestoneFilterSet,
    "/api/v1/dialogues/": DialogueBodyFilterSet,
    "/api/v1/meetings/": MeetingFilterSet,
}


@pytest.mark.parametrize("path", sorted(FILTERSETS))
def test_every_repeatable_filter_is_a_repeated_array_of_its_choices(schema, path):
    parameters = {parameter["name"]: parameter for parameter in schema["paths"][path]["get"]["parameters"]}
    repeatable = {
        name: filter_
        for name, filter_ in FILTERSETS[path].base_filters.items()
        if isinstance(filter_, MultipleChoiceFilter)
    }
    for name, filter_ in repeatable.items():
        parameter = parameters[name]
        assert (parameter["schema"]["type"], parameter.get("style"), parameter.get("explode")) == (
            "array",
            "form",
            True,
        ), name
        assert sorted(parameter["schema"]["items"]["enum"]) == sorted(value for value, _ in filter_.extra["choices"])


def test_month_only_dates_are_served_with_their_precision(schema):
    components = schema["components"]["schemas"]
    update = components["StatusUpdate"]["properties"]
    body = components["DialogueBody"]["properties"]
    for properties, date, precision in [
        (update, "evidence_date", "evidence_date_precision"),
        (update, "recorded_at", "recorded_precision"),
        (body, "last_meeting_on", "last_meeting_on_precision"),
        (body, "next_meeting_due", "next_meeting_due_precision"),
        (components["Meeting"]["properties"], "held_on", "held_on_precision"),
    ]:
        assert precision in properties, precision
        assert precision in properties[date]["description"], date
    assert "The day of" not in body["last_meeting_on"]["description"]
    assert "held_on_precision" in components["MeetingCreateRequest"]["properties"]


def test_reading_webhooks_documents_the_403_for_non_administrators(schema):
    for path in ("/api/v1/webhooks/", "/api/v1/webhooks/{id}/"):
        for method, operation in schema["paths"][path].items():
            if method in ("get", "post"):
                assert "superusers" in operation["responses"]["403"]["description"], (path, method)
    # Elsewhere a reader is never refused a read.
    assert "403" not in schema["paths"]["/api/v1/commitments/"]["get"]["responses"]


def _json_schema(node):
    """An OpenAPI 3.0 schema as JSON Schema: ``nullable`` becomes "or null"."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def _examples(schema):
    """Every example in the schema, with the schema it illustrates: (where, value, schema)."""
    for path, method, operation in operations(schema):
        bodies = [("request", operation.get("requestBody", {}))]
        bodies += [(code, response) for code, response in operation["responses"].items()]
        for where, body in bodies:
            for media_type, content in body.get("content", {}).items():
                for name, example in content.get("examples", {}).items():
                    yield f"{method} {path} {where} {media_type} {name}", example["value"], content["schema"]


def test_every_example_is_a_valid_instance_of_its_schema(schema):
    components = _json_schema(schema["components"])
    checked = 0
    for where, value, described in _examples(schema):
        root = {**_json_schema(described), "components": components}
        errors = [error.message for error in Draft202012Validator(root).iter_errors(value)]
        assert errors == [], (where, errors)
        checked += 1
    assert checked >= 6


def test_the_milestone_write_examples_answer_what_they_ask(schema):
    for path, method in [("/api/v1/milestones/", "post"), ("/api/v1/milestones/{id}/", "patch")]:
        operation = schema["paths"][path][method]
        asked = [example["value"] for example in _request_examples(operation)]
        answered = [
            example["value"]
            for code in ("200", "201")
            for example in operation["responses"]
            .get(code, {})
            .get("content", {})
            .get("application/json", {})
            .get("examples", {})
            .values()
        ]
        assert len(asked) == len(answered) == 1, (path, method)
        request, response = asked[0], answered[0]
        for name in set(request) - {"commitment", "expected_version"}:
            assert response[name] == request[name], (path, name)
        assert response["done"] is (response["done_on"] is not None) is True, (path, method)
        assert response["overdue"] is False


def _request_examples(operation) -> list[dict]:
    return list(operation["requestBody"]["content"]["application/json"].get("examples", {}).values())


def test_pagination_examples_are_this_apis_own(schema):
    assert "api.example.org" not in json.dumps(schema)
    for name, component in schema["components"]["schemas"].items():
        if name.startswith("Paginated"):
            for link in ("next", "previous"):
                assert component["properties"][link]["example"].startswith("https://tracker.example.eu/api/v1/")


# --- The README's API section is the schema's ---------------------------------------------------------------


def _readme_api_section() -> str:
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    start = text.index("\n## API\n")
    return text[start : text.index("\n## ", start + 1)]


def _endpoint_table() -> list[tuple[set[tuple[str, str]], set[str]]]:
    """The README's endpoint table: each row's (method, path) pairs and the names in its filter column."""
    table = []
    for line in _readme_api_section().splitlines():
        if not line.startswith("| `"):
            continue
        endpoints, _what, filters = (cell.strip() for cell in line.strip().strip("|").split(" | "))
        pairs, method = set(), None
        for token in re.findall(r"`([^`]+)`", endpoints):
            if " " in token:
                method, token = token.split(" ", 1)
            pairs.add((method, token))
        names = {token.split("=")[0] for token in re.findall(r"`([^`]+)`", filters)}
        table.append((pairs, names))
    return table


def test_the_readme_lists_every_endpoint_and_only_those(schema):
    documented = set().union(*(pairs for pairs, _ in _endpoint_table()))
    served = {(method.upper(), path.removeprefix("/api/v1/")) for path, method, _ in operations(schema)}
    assert documented == served


def test_the_readme_lists_every_filter_of_every_list(schema):
    for pairs, names in _endpoint_table():
        for method, path in pairs:
            if method != "GET":
                continue
            parameters = {
                parameter["name"]
                for parameter in schema["paths"][f"/api/v1/{path}"]["get"].get("parameters", [])
                if parameter["in"] == "query"
            }
            assert parameters - {"page", "page_size", "format"} <= names, (path, parameters - names)


def test_the_readmes_csv_columns_are_the_files_header(reviewer_api):
    response = reviewer_api.get("/api/v1/commitments/?format=csv")
    header = b"".join(response.streaming_content).decode("utf-8").removeprefix("\ufeff").splitlines()[0]
    section = _readme_api_section()
    listed = section[section.index("the columns, in order:") :]
    listed = listed[: listed.index(". ")]
    assert re.findall(r"`([a-z_]+)`", listed) == header.split(",")


def test_schema_and_docs_need_the_same_rights_as_the_data(anon_api, settings, db):
    assert anon_api.get("/api/v1/schema/").status_code == 401
    docs = anon_api.get("/api/v1/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith("/accounts/login/")
    settings.PUBLIC_READ = True
    assert anon_api.get("/api/v1/schema/").status_code == 200
    assert anon_api.get("/api/v1/docs/").status_code == 200


def test_yaml_on_request(reviewer_api):
    response = reviewer_api.get("/api/v1/schema/?format=yaml")
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert response.content.startswith(b"openapi: 3")


# --- The documentation page ---------------------------------------------------------------------------------


def test_docs_page_uses_only_vendored_assets(client, reviewer):
    client.force_login(reviewer)
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html lang=" in html
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE), "external URL in the page"
    for banned in ("cdn", "unpkg", "jsdelivr", "cloudflare", "googleapis"):
        assert banned not in html.lower()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(assets) >= 5
    for url in assets:
        assert url.startswith("/"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        if hasattr(asset, "streaming_content"):
            b"".join(asset.streaming_content)


def test_docs_start_up_script_points_at_the_schema_and_no_validator(client, reviewer):
    client.force_login(reviewer)
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    text = script.content.decode()
    assert '"validatorUrl": null' in text
    assert "/api/v1/schema/" in text
    assert "https://" not in text and "http://" not in text


# --- Schemathesis: generated requests against the schema ----------------------------------------------------
#
# The schema is generated at collection time (drf-spectacular's generator, exactly what /api/v1/schema/ serves)
# and bound to the WSGI application, so the requests run in-process, inside each test's transaction.
# Phases: the schema's examples, the coverage phase (boundary and invalid values of every parameter and body
# field, missing required ones, undocumented methods) and fuzzing (positive and negative data).

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
# Schemathesis' default answers to invalid data, and 412: preconditions are weighed before the body is read
# (RFC 9110 §13.2.1), so invalid data sent with an If-Match that is not the current ETag is a 412.
NEGATIVE_DATA_ANSWERS = ["400", "401", "403", "404", "405", "406", "409", "412", "415", "422", "428", "429", "5xx"]
# A fixed test-only key: the headers of the generated requests are configured before any test runs.
SCHEMATHESIS_TOKEN = "5c4e3a7hes15-test-token-0000000000000000"


def _served_schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _schemathesis_schema():
    config = schemathesis.Config.from_dict(
        {
            "headers": {"Authorization": f"Token {SCHEMATHESIS_TOKEN}"},
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
            "checks": {
                # A request can be valid by the schema and still name a framework code, body, commitment id or
                # version that does not exist, or break a model rule (a date in the future): 400, 404 and 409
                # are the documented answers to those; and 412 to an If-Match that is not the current ETag.
                "positive_data_acceptance": {"expected-statuses": ["2xx", "304", "400", "404", "409", "412"]},
                "negative_data_rejection": {"expected-statuses": NEGATIVE_DATA_ANSWERS},
            },
        }
    )
    loaded = schemathesis.openapi.from_dict(_served_schema(), config=config)
    loaded.app = get_wsgi_application()
    return loaded


api_schema = _schemathesis_schema()
load_all_checks()
ALL_CHECKS = CHECKS.get_all()


@pytest.fixture
def in_process_wsgi():
    """Keep the test's database connection across requests, as Django's test client does: the WSGI handler
    would otherwise close it at the end of each request (it is inside the test's transaction)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_data(admin_user_, settings, in_process_wsgi):
    """Some data to find, the token the generated requests carry (an administrator's, who counts as an editor and
    may also manage webhooks), and no throttling."""
    from rest_framework.authtoken.models import Token

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/min", "user": "100000/min", "write": "100000/min"},
    }
    Token.objects.create(user=admin_user_, key=SCHEMATHESIS_TOKEN)
    agreement = AgreementFactory(code="SDP")
    body = DialogueBodyFactory(short_name="SDD", agreements=[agreement])
    commitment = CommitmentFactory(agreement=agreement, reference="SDP §7", responsible_body=body)
    StatusUpdateFactory(commitment=commitment, status=Status.IN_PROGRESS, progress=10)
    MeetingFactory(body=body, held_on=timezone.localdate().replace(day=1), commitments=[commitment])


@api_schema.parametrize()
@hypothesis.settings(
    deadline=None, derandomize=True, database=None, suppress_health_check=list(hypothesis.HealthCheck)
)
def test_api_conforms_to_its_schema(case, api_data):
    # Every built-in check (the CLI's --checks all), named explicitly rather than left to the defaults.
    case.call_and_validate(headers={"Authorization": f"Token {SCHEMATHESIS_TOKEN}"}, checks=ALL_CHECKS)


# --- The documentation page in a browser --------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_docs_page_works_offline_in_a_browser(new_page, reviewer, live_server, screenshot_dir):
    """Swagger UI loads only from this site, shows every endpoint, and "Try it out" works with the session."""
    AgreementFactory(code="SDP", title="Security and Defence Partnership")
    page = new_page(reviewer)
    requested, errors = [], []
    page.on("request", lambda request: requested.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/api/v1/docs/")
    page.locator(".opblock").first.wait_for()
    for path in ENDPOINTS:
        assert page.locator(f".opblock-summary-path[data-path='{path}']").count() >= 1, path
    operation = page.locator("#operations-agreements-agreements_list")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    response = operation.locator(".live-responses-table tbody .response-col_status").first
    response.wait_for()
    assert response.inner_text().strip() == "200"
    assert "Security and Defence Partnership" in operation.locator(".live-responses-table").inner_text()
    page.screenshot(path=screenshot_dir / "api-docs.png", full_page=True)
    assert errors == []
    assert requested and all(url.startswith(live_server.url) for url in requested), requested
