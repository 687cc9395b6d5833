"""`GET /api/v1/analytics/report`: SPEC §4 for the token's account, as JSON or CSV."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from api.forwarding import Forwarder
from api.keys import ApiKey
from api.ports import ReportSource
from api.report_csv import report_csv
from api.report_params import InvalidParameter, parse_report_request
from api.responses import ORJSONResponse, struct_response

REPORT_PATH = "/api/v1/analytics/report"
_NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class ReportSettings:
    retention_us: int  # how far back a report may reach (SPEC §2)
    clock_us: Callable[[], int]  # T


def invalid_parameter_response(invalid: InvalidParameter) -> Response:
    body = {"error": "invalid_parameter", "parameter": invalid.parameter, "message": invalid.message}
    return ORJSONResponse(body, status_code=400, headers=_NO_STORE)


class ReportEndpoint:
    """An account endpoint (see `api.auth.BearerAuth`) answering from a ReportSource."""

    def __init__(self, reports: ReportSource, forwarder: Forwarder, settings: ReportSettings) -> None:
        self._reports = reports
        self._forwarder = forwarder
        self._settings = settings

    async def __call__(self, request: Request, key: ApiKey) -> Response:
        try:
            asked = parse_report_request(
                request.query_params.multi_items(),
                now_us=self._settings.clock_us(),
                retention_us=self._settings.retention_us,
            )
        except InvalidParameter as invalid:
            return invalid_parameter_response(invalid)
        report = await self._forwarder.here_or_there(request, self._reports.report(key.account_id, asked.query))
        if isinstance(report, Response):
            return report
        if asked.format == "csv":
            return Response(report_csv(report, asked.query.breakdown), media_type="text/csv", headers=_NO_STORE)
        return struct_response(report)
