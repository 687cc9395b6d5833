"""`GET /api/v1/analytics/report`: SPEC §4 for the token's account, as JSON or CSV.

The report is computed off the event loop (`api.report_pool`), under a cap of concurrent report
work per account and per worker (beyond it: 429), and identical questions asked while the
account's data stays the same share one computation (`api.shared_answers`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import cast

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from analytics.figures import Report
from analytics.report import Breakdown
from api.forwarding import Forwarder
from api.keys import ApiKey
from api.ports import ReportSource
from api.report_csv import report_csv
from api.report_params import Format, InvalidParameter, parse_report_request
from api.report_pool import ReportLimits, ReportPool, TooManyReports
from api.responses import ORJSONResponse, error_response
from api.shared_answers import SharedAnswers, Started

REPORT_PATH = "/api/v1/analytics/report"
_NO_STORE = {"Cache-Control": "no-store"}
_MEDIA_TYPES: dict[Format, str] = {"json": "application/json", "csv": "text/csv; charset=utf-8"}


@dataclass(frozen=True)
class ReportSettings:
    retention_us: int  # how far back a report may reach (SPEC §2)
    clock_us: Callable[[], int]  # T
    limits: ReportLimits = field(default_factory=ReportLimits)


def invalid_parameter_response(invalid: InvalidParameter) -> Response:
    body = {"error": "invalid_parameter", "parameter": invalid.parameter, "message": invalid.message}
    return ORJSONResponse(body, status_code=400, headers=_NO_STORE)


def too_many_response(refused: TooManyReports) -> Response:
    headers = {"Retry-After": str(refused.retry_after_s), **_NO_STORE}
    return error_response(429, "too_many_requests", refused.message, headers=headers)


def question(account_id: str, items: Sequence[tuple[str, str]]) -> tuple[object, ...]:
    """What makes two requests the same question: the account and the parameters as sent, in any order.

    Not the parsed query: reading it (a series' periods) costs milliseconds of the loop, which a
    shared answer does not need; T is not part of it either (an omitted `until` stays omitted).
    """
    return (account_id, *sorted(items))


def rendered(compute: Callable[[], Report], report_format: Format, breakdown: Breakdown | None) -> Callable[[], bytes]:
    """The computation and its encoding, both for the report thread."""

    def body() -> bytes:
        report = compute()
        return report_csv(report, breakdown).encode() if report_format == "csv" else msgspec.json.encode(report)

    return body


class ReportEndpoint:
    """An account endpoint (see `api.auth.BearerAuth`) answering from a ReportSource.

    `pool` computes the reports; the app owns it (and closes it at shutdown).
    """

    def __init__(self, reports: ReportSource, forwarder: Forwarder, settings: ReportSettings, pool: ReportPool) -> None:
        self._reports = reports
        self._forwarder = forwarder
        self._settings = settings
        self._pool = pool
        self._shared = SharedAnswers(settings.limits.reuse_us)

    async def __call__(self, request: Request, key: ApiKey) -> Response:
        items = request.query_params.multi_items()
        body = await self._forwarder.here_or_there(request, self._answer(key.account_id, items))
        if isinstance(body, Response):
            return body
        # Only a valid request has an answer: its format is json or csv.
        media_type = _MEDIA_TYPES[cast(Format, dict(items).get("format", "json"))]
        return Response(body, media_type=media_type, headers=_NO_STORE)

    async def _answer(self, account_id: str, items: list[tuple[str, str]]) -> bytes | Response:
        # NotReady and OwnedElsewhere leave from here (the forwarder answers them): a request for an
        # account another worker owns is that worker's to check, admit or refuse.
        version = self._reports.version(account_id)
        settings = self._settings

        def start() -> Started:
            now_us = settings.clock_us()

            def prepare() -> Callable[[], bytes]:
                # After admission: a refused request costs no reading of its query (a long series'
                # periods take milliseconds of the loop).
                asked = parse_report_request(items, now_us=now_us, retention_us=settings.retention_us)
                query = asked.query
                return rendered(self._reports.prepare_report(account_id, query), asked.format, query.breakdown)

            # The version the snapshot belongs to: both are read in this one step of the loop.
            return Started(self._reports.version(account_id), now_us, self._pool.submit(account_id, prepare))

        try:
            return await self._shared.get(question(account_id, items), version, settings.clock_us(), start)
        except InvalidParameter as invalid:
            return invalid_parameter_response(invalid)
        except TooManyReports as refused:
            return too_many_response(refused)
