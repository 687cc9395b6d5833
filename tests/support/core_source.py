"""The real metric core behind every API port, without Kafka: events are folded in-process.

For tests of the wallboard's report panels in a browser: the page's figures then come from the
same code as in production (facts → views → overview, report, agents on duty), on the wall clock,
since the page reads "today" from the browser's own clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette

from analytics.agents_now import AgentsNow
from analytics.figures import Report
from analytics.report import ReportQuery
from analytics.time import DAY_US
from api import StreamSettings, create_app
from api.report import ReportSettings
from api.report_pool import ReportLimits
from events.decode import decode_event
from events.schema import Event
from tests.support.api_fakes import FakeKeys, FakeReadiness
from tests.support.fold import Folded


def wall_clock_us() -> int:
    return time.time_ns() // 1000


class CoreSource:
    """`OverviewSource`, `ChangeSource`, `ReportSource` and `AgentsSource` over one `Folded` core."""

    def __init__(self) -> None:
        self.folded = Folded()

    def feed(self, events: Iterable[Event]) -> None:
        self.folded.feed_all(events, wall_clock_us())

    def feed_json(self, values: Iterable[dict[str, Any]]) -> None:
        """Events as a producer would send them, decoded and checked as the worker does."""
        now_us = wall_clock_us()
        self.feed(
            decode_event(orjson.dumps(value), key=None, now_us=now_us, max_ahead_us=300_000_000) for value in values
        )

    async def overview(self, account_id: str) -> dict[str, Any]:
        return self.folded.views.overview(account_id, wall_clock_us())

    def version(self, account_id: str) -> int:
        return self.folded.views.version(account_id, wall_clock_us())

    def prepare_report(self, account_id: str, query: ReportQuery) -> Callable[[], Report]:
        return self.folded.views.prepare_report(account_id, query)

    async def agents_now(self, account_id: str) -> AgentsNow:
        return self.folded.views.agents_now(account_id, wall_clock_us())


def core_app(
    source: CoreSource, keys: FakeKeys, stream: StreamSettings, report_limits: ReportLimits | None = None
) -> Starlette:
    """Every endpoint, the wallboard with its report panels included, over `source`."""
    limits = report_limits or ReportLimits()
    return create_app(
        overviews=source,
        changes=source,
        keys=keys,
        readiness=FakeReadiness(),
        registry=CollectorRegistry(),
        stream=stream,
        reports=(source, ReportSettings(retention_us=90 * DAY_US, clock_us=wall_clock_us, limits=limits)),
        agents=source,
    )
