"""The wallboard's report panels in Debian's chromium, over the real metric core in-process: the
trend chart, each tile's change against the previous 30 days, the team panel, the time zone picker.

The same page against a worker on real Kafka is in `test_wallboard_kafka`; this one can set up any
history instantly, so it covers the cases (week-ago line, earlier period, status swaps) in detail.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from playwright.async_api import Browser

from api.wallboard import WALLBOARD_PATH
from tests.support.api_fakes import FakeKeys
from tests.support.board import (
    LONG_MS,
    agent,
    check_against_endpoints,
    created,
    midday_zones,
    resolved,
    shown_json,
    wait_for_chart,
    wait_for_team,
)
from tests.support.core_source import CoreSource, core_app
from tests.support.stream_fakes import FAST, serving
from tests.test_wallboard_browser import ARTIFACTS, _note_error, browser  # noqa: F401 (a fixture)

A = "acme"
MIN = timedelta(minutes=1)


def _history(now: datetime) -> list[dict[str, object]]:
    return [
        created(A, "old1", now - timedelta(days=45)),
        created(A, "old2", now - timedelta(days=40), "email"),
        *(created(A, f"week{n}", now - timedelta(days=7) - 50 * MIN, "widget") for n in range(3)),
        created(A, "c1", now - 50 * MIN),
        created(A, "c2", now - 50 * MIN),
        created(A, "c3", now - 50 * MIN),
        resolved(A, "c1", now - 40 * MIN, "a1"),
        resolved(A, "c2", now - 30 * MIN, "a1"),
        resolved(A, "c3", now - 20 * MIN, "a2"),
        agent(A, "a1", now - 120 * MIN, "live", "Sarah Chen"),
        agent(A, "a1", now - 60 * MIN, "live"),
        agent(A, "a2", now - 180 * MIN, "live", "<b>Bo</b>"),
        agent(A, "a2", now - 15 * MIN, "away"),
        agent(A, "a3", now - 90 * MIN, "offline", "Ana"),
    ]


async def test_the_panels_follow_the_core_and_remember_the_time_zone(browser: Browser) -> None:  # noqa: F811
    keys = FakeKeys()
    token = keys.issue(A)
    now = datetime.now(UTC)
    first_zone, _ = midday_zones(now, 2)
    source = CoreSource()
    source.feed_json(_history(now))
    async with serving(core_app(source, keys, FAST)) as url, httpx.AsyncClient(base_url=url) as http:
        context = await browser.new_context(viewport={"width": 1920, "height": 1080}, timezone_id=first_zone)
        page = await context.new_page()
        problems: list[str] = []
        page.on("console", lambda message: _note_error(message, problems))
        page.on("pageerror", lambda error: problems.append(str(error)))
        await page.goto(url + WALLBOARD_PATH)
        await page.fill("#token", token)
        await page.click("button[type=submit]")

        default_zone = await page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
        assert await page.input_value("#timezone") == default_zone  # the browser's own zone by default
        await wait_for_chart(page, default_zone, 3)
        await wait_for_team(page, ["a1", "a2"])  # a3 is offline; a1 resolved most today
        await check_against_endpoints(page, http, token)
        assert await shown_json(page, "#trend", "data-week-ago") == _week_ago_line(
            await shown_json(page, "#trend", "data-today")
        )
        team = await shown_json(page, "#team", "data-value")
        assert [(r["name"], r["status"], r["since"]) for r in team] == [
            ("Sarah Chen", "live", _utc(now - 120 * MIN)),  # live since the first of two "live" changes
            ("<b>Bo</b>", "away", _utc(now - 15 * MIN)),
        ]
        assert "<b>Bo</b>" in await page.inner_text("#team")  # a name is text, never markup
        assert "live for 2h" in await page.inner_text('#team [data-agent-id="a1"]')  # ticks on from 2h 00m
        # Six conversations in the last 30 days against two in the 30 before: three times as many.
        assert (await page.inner_text('[data-delta="total_conversations"]')).startswith("▲ 200 %")
        # 3 of 6 resolved against 0 of 2: in points, and better.
        assert (await page.inner_text('[data-delta="resolution_rate"]')).startswith("▲ 50.0 pts")
        assert await page.get_attribute('[data-delta="resolution_rate"]', "data-verdict") == "good"
        for nothing_before in ("avg_handle_time", "customer_happiness"):  # no resolution, no rating before
            assert await page.get_attribute(f'[data-delta="{nothing_before}"]', "data-direction") == "none"

        source.feed_json([created(A, "c4", datetime.now(UTC))])
        await wait_for_chart(page, default_zone, 4)  # the chart moves with the event
        source.feed_json([agent(A, "a3", datetime.now(UTC), "live")])
        await wait_for_team(page, ["a1", "a2", "a3"])
        source.feed_json([agent(A, "a2", datetime.now(UTC), "offline")])
        await wait_for_team(page, ["a1", "a3"])
        await check_against_endpoints(page, http, token)
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "wallboard-panels.png"))

        # live → away changes no overview figure, so no stream event: the slow poll shows it.
        source.feed_json([agent(A, "a1", datetime.now(UTC), "away")])
        await page.wait_for_function(
            """() => JSON.parse(document.querySelector("#team").dataset.value)[0].status === "away" """,
            timeout=LONG_MS,
        )

        other = next(zone for zone in await _options(page) if zone in midday_zones(now, 9) and zone != default_zone)
        await page.select_option("#timezone", other)
        await wait_for_chart(page, other, 4)
        await check_against_endpoints(page, http, token)
        await page.reload()  # the picked zone is remembered
        await wait_for_chart(page, other, 4)
        assert await page.input_value("#timezone") == other
        await context.close()
    assert problems == []  # e.g. an inline style or script the CSP refuses


def _week_ago_line(today: list[int | None]) -> list[int]:
    # The three week-ago conversations fall in the same wall-clock hour as today's c1-c3.
    return [3 if count else 0 for count in today]


def _utc(instant: datetime) -> str:
    return instant.isoformat()


async def _options(page) -> list[str]:  # type: ignore[no-untyped-def]
    return await page.eval_on_selector_all("#timezone option", "options => options.map((o) => o.value)")
