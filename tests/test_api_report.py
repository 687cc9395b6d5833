"""`GET /api/v1/analytics/report` over HTTP: every 400 of SPEC §4, JSON against the schema, CSV = JSON, auth."""

from __future__ import annotations

import csv
import io
from typing import Any

import jsonschema
import pytest
from prometheus_client import CollectorRegistry

from api import create_app
from tests.support.api_fakes import FakeKeys, FakeOverviews, FakeReadiness, bearer, client
from tests.support.builders import MIN, D, H, agent, created, message, rated, status
from tests.support.report_source import SETTINGS, FoldedReports

REPORT = "/api/v1/analytics/report"
# T is 2025-06-01T12:34:56.789Z; the retention reaches back to 2025-03-03T12:34:56.789Z.
HISTORY = [
    created("c1", -3 * D, "email"),
    message("c1", -3 * D + MIN, agent="a1"),
    status("c1", -3 * D + H, "resolved", "a2"),
    rated("c1", -2 * D, 5),
    created("c2", -2 * D),
    message("c2", -2 * D + 2 * MIN, agent="a2"),
    created("c3", -H),
    agent("a1", -10 * D, "live", "Ann"),
    agent("a2", -5 * D, "away", "Bob"),
    created("x", -D, account="globex"),
]


def make(events: list[Any] = HISTORY, scope: str = "read") -> tuple[Any, str]:
    keys = FakeKeys()
    token = keys.issue("acme", scope)
    app = create_app(
        overviews=FakeOverviews({}),
        keys=keys,
        readiness=FakeReadiness(),
        registry=CollectorRegistry(),
        reports=(FoldedReports(events), SETTINGS),
    )
    return app, token


async def get(query: str) -> Any:
    app, token = make()
    async with client(app) as http:
        return await http.get(f"{REPORT}?{query}", headers=bearer(token))


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("", "since"),  # since is required
        ("since=2025-05-01&foo=1", "foo"),  # an unknown parameter
        ("since=2025-05-01&since=2025-05-02", "since"),  # a repeated one
        ("foo=1&timezone=Mars/Base", "foo"),  # unknown parameters come first
        ("timezone=Mars/Base&since=soon", "timezone"),  # then the zone (dates are read in it)
        ("since=soon", "since"),  # unreadable
        ("since=2025-05-01T00:00:00", "since"),  # a timestamp without an offset
        ("since=2025-03-01", "since"),  # before the retention reaches
        ("since=2025-05-01&until=later", "until"),
        ("since=2025-05-01&until=2025-05-01", "until"),  # until must be after since
        ("since=2025-06-02", "since"),  # after T with until omitted: since is at fault
        ("since=2025-05-01&until=later&group_by=year", "until"),  # until before the value checks
        ("since=2025-05-01&group_by=year&format=xml", "group_by"),  # values in SPEC order
        ("since=2025-05-01&compare=next", "compare"),
        ("since=2025-05-01&breakdown=teams", "breakdown"),
        ("since=2025-05-01&format=xml", "format"),
        ("since=2025-05-01&group_by=", "group_by"),  # an empty value is not a value
        ("since=2025-03-05&group_by=hour", "group_by"),  # more than 1,000 periods
        ("since=2025-04-01&compare=previous", "compare"),  # the previous period starts before the retention
        ("since=2025-05-01&group_by=day&breakdown=agent&format=csv", "format"),  # csv holds one table
    ],
)
async def test_every_invalid_parameter_is_a_400_naming_it(query: str, parameter: str) -> None:
    response = await get(query)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"error", "parameter", "message"}
    assert (body["error"], body["parameter"]) == ("invalid_parameter", parameter)
    assert body["message"]


async def test_too_early_since_names_the_earliest_instant() -> None:
    body = (await get("since=2025-03-01&timezone=Europe/Berlin")).json()
    assert "2025-03-03T13:34:56.789000+01:00" in body["message"]


@pytest.mark.parametrize(
    "query",
    [
        "since=2025-05-01",
        "since=2025-05-25&until=2025-06-01&timezone=Asia/Kathmandu&group_by=day&compare=previous",
        "since=2025-05-28T00:00:00Z&group_by=hour&breakdown=agent",
        "since=2025-05-01&breakdown=channel&compare=previous&group_by=week",
    ],
)
async def test_json_reports_match_the_published_schema(query: str) -> None:
    app, token = make()
    async with client(app) as http:
        response = await http.get(f"{REPORT}?{query}", headers=bearer(token))
        document = (await http.get("/openapi.json")).json()
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    schema = {"$ref": "#/components/schemas/Report", "components": document["components"]}
    jsonschema.Draft202012Validator(schema).validate(response.json())


async def test_a_report_has_the_accounts_figures_only() -> None:
    body = (await get("since=2025-05-01&breakdown=agent")).json()
    assert body["totals"]["total_conversations"] == 3  # globex's conversation is not acme's
    assert body["since"] == "2025-05-01T00:00:00+00:00" and body["until"] == body["as_of"]
    assert [row["name"] for row in body["breakdown"]] == ["Bob", "Ann"]  # Bob resolved one


def as_cells(row: dict[str, Any], columns: list[str]) -> list[str]:
    return ["" if row[c] is None else str(row[c]) for c in columns]


@pytest.mark.parametrize(
    ("query", "rows_of"),
    [
        ("since=2025-05-28&group_by=day", lambda body: body["series"]),
        ("since=2025-05-01&breakdown=agent&compare=previous", lambda body: body["breakdown"]),
        ("since=2025-05-01&breakdown=channel", lambda body: body["breakdown"]),
        ("since=2025-05-01", lambda body: [body["totals"]]),
    ],
)
async def test_csv_parses_and_equals_the_json(query: str, rows_of: Any) -> None:
    app, token = make()
    async with client(app) as http:
        as_json = (await http.get(f"{REPORT}?{query}", headers=bearer(token))).json()
        as_csv = await http.get(f"{REPORT}?{query}&format=csv", headers=bearer(token))
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    header, *lines = list(csv.reader(io.StringIO(as_csv.text)))
    expected = rows_of(as_json)
    assert "channel_mix" not in header and header == [k for k in expected[0] if k != "channel_mix"]
    assert lines == [as_cells(row, header) for row in expected]


async def test_an_empty_breakdown_is_a_header_alone() -> None:
    app, token = make([])
    async with client(app) as http:
        response = await http.get(f"{REPORT}?since=2025-05-01&breakdown=agent&format=csv", headers=bearer(token))
    assert response.text.splitlines()[0].startswith("agent_id,name,resolved,") and len(response.text.splitlines()) == 1


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer pbk_nope_nope"}, {"Authorization": "Basic eA=="}])
async def test_reports_need_a_valid_token(headers: dict[str, str]) -> None:
    app, _ = make()
    async with client(app) as http:
        response = await http.get(f"{REPORT}?since=2025-05-01", headers=headers)
    assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Bearer")


async def test_an_ingest_key_cannot_read_reports() -> None:
    app, token = make(scope="ingest")
    async with client(app) as http:
        response = await http.get(f"{REPORT}?since=2025-05-01", headers=bearer(token))
        document = (await http.get("/openapi.json")).json()
    assert response.status_code == 403 and response.json()["error"] == "insufficient_scope"
    assert "403" in document["paths"][REPORT]["get"]["responses"]
