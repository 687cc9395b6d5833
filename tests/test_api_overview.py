"""The overview endpoint's answers: exact shape and types, 503 while not ready, no partial figures."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from api import NotReady
from api.openapi import OVERVIEW_FIELDS
from tests.support.api_fakes import SAMPLE_OVERVIEW, FakeKeys, FakeOverviews, bearer, client, make_app

OVERVIEW = "/api/v1/analytics/overview"

INT_FIELDS = [
    "total_conversations",
    "avg_first_response",
    "active_agents",
    "quick_pulse_open",
    "median_handle_time",
    "avg_handle_time",
]


async def _served_overview_schema(http: Any) -> dict[str, Any]:
    document = (await http.get("/openapi.json")).json()
    schema: dict[str, Any] = document["components"]["schemas"]["Overview"]
    return schema


async def _get(overview: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    keys = FakeKeys()
    token = keys.issue("acme")
    async with client(make_app(FakeOverviews({"acme": overview}), keys)) as http:
        response = await http.get(OVERVIEW, headers=bearer(token))
        return response, await _served_overview_schema(http)


@pytest.mark.parametrize("happiness", [None, 0, 98, 100])
async def test_overview_matches_the_published_schema_with_exact_types(happiness: int | None) -> None:
    response, schema = await _get(SAMPLE_OVERVIEW | {"customer_happiness": happiness})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    jsonschema.Draft202012Validator(schema).validate(body)
    assert list(body) == list(OVERVIEW_FIELDS)  # every field, in SPEC order
    for field in INT_FIELDS:
        assert type(body[field]) is int, field
    assert type(body["resolution_rate"]) is float
    assert all(type(k) is str and type(v) is float for k, v in body["channel_mix"].items())
    assert list(body["channel_mix"]) == ["whatsapp", "widget", "telegram", "instagram"]  # order kept
    assert [type(a["name"]) for a in body["top_agents"]] == [str]
    assert [type(a["resolved"]) for a in body["top_agents"]] == [int]
    assert body["customer_happiness"] == happiness and type(happiness) is type(body["customer_happiness"])
    # Whole-number shares stay JSON numbers with a decimal point, integers never get one.
    assert '"widget":30.0' in response.text and '"active_agents":3,' in response.text


async def test_an_empty_account_is_zeros_and_null_not_an_error() -> None:
    empty: dict[str, Any] = dict.fromkeys(INT_FIELDS, 0) | {
        "resolution_rate": 0.0,
        "channel_mix": {},
        "top_agents": [],
        "customer_happiness": None,
    }
    response, schema = await _get(empty)
    assert response.status_code == 200
    jsonschema.Draft202012Validator(schema).validate(response.json())
    assert response.json() == empty


@pytest.mark.parametrize(
    "wrong",
    [
        # (47.0 would pass: JSON Schema counts it as an integer, hence the explicit type checks above.)
        {"avg_first_response": 47.5},
        {"resolution_rate": "91.3"},
        {"resolution_rate": 100.1},
        {"customer_happiness": 98.5},
        {"customer_happiness": "98"},
        {"channel_mix": {"whatsapp": "45.5"}},
        {"channel_mix": {"WhatsApp": 100.0}},  # SPEC §1 channel names
        {"top_agents": [{"name": "Sarah Chen", "resolved": 312}]},  # agent_id is always given
        {"top_agents": [{"name": "A", "resolved": 1, "agent_id": "a"}] * 6},  # at most five
        {"extra": 1},
    ],
)
async def test_the_published_schema_is_precise(wrong: dict[str, Any]) -> None:
    async with client(make_app()) as http:
        schema = await _served_overview_schema(http)
    jsonschema.Draft202012Validator(schema).validate(SAMPLE_OVERVIEW)
    assert not jsonschema.Draft202012Validator(schema).is_valid(SAMPLE_OVERVIEW | wrong)


async def test_not_ready_answers_503_with_retry_after_and_no_figures() -> None:
    keys = FakeKeys()
    token = keys.issue("acme")
    source = FakeOverviews({"acme": SAMPLE_OVERVIEW}, not_ready={"acme": NotReady(7, "partition 3 is recovering")})
    async with client(make_app(source, keys)) as http:
        response = await http.get(OVERVIEW, headers=bearer(token))

    assert response.status_code == 503
    assert response.headers["retry-after"] == "7"
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {"error": "not_ready", "message": "partition 3 is recovering"}


async def test_a_negative_retry_hint_is_sent_as_zero() -> None:
    keys = FakeKeys()
    token = keys.issue("acme")
    source = FakeOverviews({}, not_ready={"acme": NotReady(-5, "rebalancing")})
    async with client(make_app(source, keys)) as http:
        response = await http.get(OVERVIEW, headers=bearer(token))
    assert response.status_code == 503 and response.headers["retry-after"] == "0"


async def test_a_source_that_fails_is_a_500_not_a_partial_answer() -> None:
    # The figure set is one typed definition, so a partial or padded overview cannot even be built.
    partial = {k: v for k, v in SAMPLE_OVERVIEW.items() if k != "avg_handle_time"}
    missing, _ = await _get(partial)
    assert missing.status_code == 500
    assert missing.json() == {"error": "internal_error", "message": "The server failed to answer this request."}
