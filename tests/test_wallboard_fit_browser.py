"""The wallboard fits a TV and a laptop screen whole: with six channels, five top agents and a full
team panel, nothing on any tile or panel is clipped at 1920×1080 or at 1600×1000 (issue #23 item 7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Browser, Page

from api.wallboard import WALLBOARD_PATH
from tests.support.api_fakes import FakeKeys
from tests.support.board import LONG_MS, agent, created, resolved
from tests.support.core_source import CoreSource, core_app
from tests.support.stream_fakes import FAST, serving
from tests.test_wallboard_browser import ARTIFACTS, browser  # noqa: F401 (a fixture)

A = "acme"
MIN = timedelta(minutes=1)
CHANNELS = ["whatsapp", "widget", "email", "instagram", "telegram", "messenger"]
NAMES = ["Sarah Chen", "Diego Alvarez", "Aisha Bello", "Tomasz Nowak", "Mia O'Brien", "Kenji Watanabe"]


def _busy_day(now: datetime) -> list[dict[str, object]]:
    events: list[dict[str, object]] = []
    for n in range(36):  # six channels, six agents with different counts, all live
        conversation, agent_id = f"c{n}", f"a{n % 6}"
        events.append(created(A, conversation, now - (90 - n) * MIN, CHANNELS[n % 6 if n < 30 else 0]))
        if n % 6 <= n % 5:
            events.append(resolved(A, conversation, now - (50 - n) * MIN, agent_id))
    events += [agent(A, f"a{k}", now - (100 + k) * MIN, "live", NAMES[k]) for k in range(6)]
    return events


# Every tile and panel, and the lists in them: content taller or wider than the box is clipped.
_CLIPPED = """() => [...document.querySelectorAll(".tile, .panel, .leaders, .legend, .roster")]
    .filter((box) => box.offsetParent !== null)
    .flatMap((box) => {
      const outer = box.getBoundingClientRect();
      return [...box.querySelectorAll("*")].filter((child) => {
        const inner = child.getBoundingClientRect();
        return inner.height > 0 && (inner.bottom > outer.bottom + 1 || inner.right > outer.right + 1);
      }).map((child) => `${box.className} > ${child.tagName}.${child.className}: ${child.textContent.trim().slice(0, 30)}`);
    })"""


async def _shown(page: Page) -> None:
    await page.wait_for_function(
        """() => document.querySelectorAll(".leaders li").length === 5
            && document.querySelectorAll("#legend li").length === 6
            && document.querySelectorAll("#team li").length === 6""",
        timeout=LONG_MS,
    )


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1600, 1000)])
async def test_nothing_is_clipped_on_a_tv_or_a_laptop(browser: Browser, width: int, height: int) -> None:  # noqa: F811
    keys = FakeKeys()
    token = keys.issue(A)
    source = CoreSource()
    source.feed_json(_busy_day(datetime.now(UTC)))
    async with serving(core_app(source, keys, FAST)) as url:
        context = await browser.new_context(viewport={"width": width, "height": height}, timezone_id="UTC")
        page = await context.new_page()
        await page.goto(url + WALLBOARD_PATH)
        await page.fill("#token", token)
        await page.click("button[type=submit]")
        await _shown(page)
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / f"wallboard-{width}x{height}.png"))
        assert await page.evaluate(_CLIPPED) == []
        assert await page.evaluate("document.documentElement.scrollHeight") <= height  # one screen, no scrolling
        await context.close()
