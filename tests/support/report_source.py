"""A `ReportSource` over real views fed with events: the API's report path without Kafka."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from analytics.figures import Report
from analytics.report import ReportQuery
from analytics.time import DAY_US
from api.report import ReportSettings
from events.schema import Event
from tests.support.builders import T_US
from tests.support.fold import Folded

# T of every request in these tests, and SPEC §2's default retention.
SETTINGS = ReportSettings(retention_us=90 * DAY_US, clock_us=lambda: T_US)


class FoldedReports:
    """`api.ports.ReportSource` answering from the metric core folded over `events`."""

    def __init__(self, events: Iterable[Event]) -> None:
        self.folded = Folded().feed_all(events, T_US)

    def version(self, account_id: str) -> int:
        return self.folded.views.version(account_id, T_US)

    def prepare_report(self, account_id: str, query: ReportQuery) -> Callable[[], Report]:
        return self.folded.views.prepare_report(account_id, query)
