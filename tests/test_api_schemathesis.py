"""Property-based conformance: schemathesis drives the app in-process from its own /openapi.json.

Every answer — 200, 400, 401, 403, 405, 413, 415, 503 — must match the document's status codes, headers and
schemas, and none may be a server error. 503 is the documented answer of a source that cannot be exact
now: here only the overview source is ever not ready, so a 503 anywhere else, or from the overview
while its source answered, is a failure — and so is any other answer while it was not ready.
"""

from __future__ import annotations

import itertools
from typing import Any

import msgspec
import orjson
import pytest
import schemathesis
from hypothesis import settings

from api import NotReady, Overview
from api.app import OVERVIEW_PATH
from api.report import REPORT_PATH
from tests.support.api_fakes import SAMPLE_OVERVIEW, FakeKeys, FakeSink, bearer, make_app
from tests.support.builders import D, H, agent, created, status
from tests.support.report_source import SETTINGS, FoldedReports

EMPTY_OVERVIEW: dict[str, Any] = SAMPLE_OVERVIEW | {
    "total_conversations": 0,
    "resolution_rate": 0.0,
    "channel_mix": {},
    "top_agents": [],
    "customer_happiness": None,
}


class RotatingOverviews:
    """Answers each call with the next of a few overviews, or NotReady, so one run sees them all.

    `refused` says whether it answered NotReady since it was last cleared.
    """

    def __init__(self, answers: list[dict[str, Any] | NotReady]) -> None:
        self._answers = itertools.cycle(answers)
        self.refused = False

    async def overview(self, account_id: str) -> Overview:
        answer = next(self._answers)
        if isinstance(answer, NotReady):
            self.refused = True
            raise answer
        return msgspec.convert(answer, Overview)


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx: Any, value: Any) -> bytes:
    # Text is sent as it is; any other generated value as one JSON line.
    return value.encode("utf-8") if isinstance(value, str) else orjson.dumps(value)


keys = FakeKeys()
TOKEN = keys.issue("acme")
INGEST_TOKEN = keys.issue("acme", scope="ingest")
source = RotatingOverviews(
    [SAMPLE_OVERVIEW, EMPTY_OVERVIEW | {"customer_happiness": 100}, NotReady(3, "rebalancing"), EMPTY_OVERVIEW]
)
# A report's since/until/timezone can be schema-valid strings and still be refused (an unknown zone,
# an instant before the retention): a 400 naming the parameter is then the documented answer.
# Any 5xx is a failure, except the overview's not-ready 503 (and `answered_as_its_source_said` pins
# that to the calls its source refused).
config = schemathesis.Config.from_dict(
    {
        "checks": {
            "not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx"]},
            "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401"]},
        },
        "operations": [
            {
                "include-path": OVERVIEW_PATH,
                "include-method": "GET",
                "checks": {
                    "not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx", "503"]},
                    "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "503"]},
                },
            }
        ],
    }
)
reports = (
    FoldedReports([created("c1", -D), status("c1", -H, "resolved", "a1"), agent("a1", -2 * D, "live")]),
    SETTINGS,
)
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", make_app(source, keys, reports=reports, sink=FakeSink()), config=config
)
# Operations without parameters have little to vary: a few dozen examples cover them.
bounded = settings(max_examples=40, deadline=None)


def answered_as_its_source_said(ctx: schemathesis.CheckContext, response: Any, case: schemathesis.Case[Any]) -> None:
    """503 exactly when the overview source refused during this call."""
    refused, source.refused = source.refused, False
    assert (response.status_code == 503) == refused, f"{response.status_code} while the source was not ready: {refused}"


@schema.parametrize()
@bounded
def test_authenticated_requests_conform(case: schemathesis.Case[Any]) -> None:
    # Each operation with the scope it needs; the wrong scope's 403 is in the auth tests.
    source.refused = False
    headers = bearer(INGEST_TOKEN if case.method == "POST" else TOKEN)
    case.call_and_validate(headers=headers, additional_checks=[answered_as_its_source_said])


@schema.parametrize()
@bounded
def test_requests_with_generated_credentials_conform(case: schemathesis.Case[Any]) -> None:
    # Schemathesis fills Authorization itself (missing, empty, random): all must be clean 401s.
    source.refused = False
    response: Any = case.call_and_validate(additional_checks=[answered_as_its_source_said])
    if case.path == "/api/v1/analytics/overview" and case.method == "GET":
        assert response.status_code == 401


@pytest.mark.parametrize(
    "query",
    [
        {"since": "2025-05-20"},
        {
            "since": "2025-05-20T00:00:00+02:00",
            "until": "2025-06-01",
            "timezone": "Europe/Berlin",
            "group_by": "day",
            "compare": "previous",
            "breakdown": "channel",
        },
        {"since": "2025-05-20", "group_by": "hour", "format": "csv"},
    ],
)
def test_a_valid_report_request_reaches_the_source_and_conforms(query: dict[str, str]) -> None:
    # The document's since/until are plain strings, so generated ones are nearly all refused with a
    # 400 before the source is asked: these reach it, and must answer 200 (never its 503) as documented.
    source.refused = False
    case = schema[REPORT_PATH]["GET"].Case(query=query)
    response: Any = case.call_and_validate(headers=bearer(TOKEN), additional_checks=[answered_as_its_source_said])
    assert response.status_code == 200
