"""The wallboard's panels in Debian's chromium when the account is at its cap of report work: the
board's reports get 429, and it asks again after Retry-After until they are answered."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
from playwright.async_api import Browser

from analytics.figures import Report
from analytics.report import ReportQuery
from api.report_pool import ReportLimits
from api.wallboard import WALLBOARD_PATH
from tests.support.api_fakes import FakeKeys
from tests.support.board import LONG_MS, created, wait_for_chart
from tests.support.core_source import CoreSource, core_app
from tests.support.gated_reports import GENEROUS_S
from tests.support.stream_fakes import FAST, serving
from tests.test_wallboard_browser import browser  # noqa: F401 (a fixture)

A = "acme"


class HeldReports(CoreSource):
    """The real core, but the report since `held_since_us` (a question the board never asks) is held
    in its thread until `gate` opens, keeping the account's one report slot."""

    def __init__(self, held_since_us: int) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.holding = threading.Event()  # set once the held report is in its thread
        self._held_since_us = held_since_us

    def prepare_report(self, account_id: str, query: ReportQuery) -> Callable[[], Report]:
        compute = super().prepare_report(account_id, query)
        if query.since_us != self._held_since_us:
            return compute

        def held() -> Report:
            self.holding.set()
            if not self.gate.wait(GENEROUS_S):
                raise TimeoutError("the test never opened the gate")
            return compute()

        return held


def _refusals(metrics: str) -> float:
    found = re.search(r'^pingback_report_refusals_total\{cap="account"\} (\S+)$', metrics, re.M)
    return float(found.group(1)) if found else 0.0


async def test_a_refused_board_asks_again_and_shows_the_panels(browser: Browser) -> None:  # noqa: F811
    keys = FakeKeys()
    token = keys.issue(A)
    now = datetime.now(UTC)
    held_since = (now - timedelta(days=20)).replace(microsecond=0)
    source = HeldReports(int(held_since.timestamp()) * 1_000_000)
    source.feed_json([created(A, f"c{n}", now - timedelta(minutes=5)) for n in range(3)])
    app = core_app(source, keys, FAST, ReportLimits(threads=1, per_account=1, total=4))
    async with serving(app) as url, httpx.AsyncClient(base_url=url, timeout=GENEROUS_S) as http:
        headers = {"Authorization": f"Bearer {token}"}
        held = http.get("/api/v1/analytics/report", params={"since": held_since.isoformat()}, headers=headers)
        holding = asyncio.ensure_future(held)
        assert await asyncio.to_thread(source.holding.wait, GENEROUS_S)  # the account's one slot is taken
        context = await browser.new_context(viewport={"width": 1920, "height": 1080}, timezone_id="UTC")
        page = await context.new_page()
        await page.goto(url + WALLBOARD_PATH)
        await page.fill("#token", token)
        await page.click("button[type=submit]")
        async with asyncio.timeout(GENEROUS_S):  # the board's reports are refused while the slot is held
            while _refusals((await http.get("/metrics")).text) < 1:
                await asyncio.sleep(0.05)
        assert await page.get_attribute("#trend", "data-today") is None  # nothing drawn from a 429
        source.gate.set()
        assert (await holding).status_code == 200
        await wait_for_chart(page, "UTC", 3, timeout_ms=LONG_MS)  # asked again after Retry-After
        assert await page.inner_text("#trend-notice") == ""  # a 429 is retried, not shown as a fault
        await context.close()
