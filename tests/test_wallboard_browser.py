"""The wallboard in a real browser (Debian's chromium driven by Playwright) against a real uvicorn.

It enters a token, checks what is on screen — every tile's text, the channel bar and legend, the top
agents — against the overview endpoint's figures formatted as a reader expects them, changes the figures
and sees the page follow, then leaves a screenshot in tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright, expect

from api.app import OVERVIEW_PATH
from api.openapi import OVERVIEW_FIELDS
from api.wallboard import WALLBOARD_PATH
from tests.support.api_fakes import FakeKeys, bearer
from tests.support.stream_fakes import LiveFakes, live_app, serving

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
# A deadline for a page that never shows the figures, never a budget.
LONG_MS = 30_000

BOARD: dict[str, Any] = {
    "total_conversations": 12842,
    "avg_first_response": 47,
    "resolution_rate": 91.3,
    "active_agents": 6,
    "channel_mix": {"whatsapp": 41.6, "widget": 27.2, "email": 12.4, "instagram": 10.5, "telegram": 8.3},
    "top_agents": [
        {"name": "Sarah Chen", "resolved": 312, "agent_id": "agt_1"},
        {"name": "Diego Alvarez", "resolved": 287, "agent_id": "agt_2"},
        {"name": "Aisha Bello", "resolved": 251, "agent_id": "agt_3"},
        {"name": "Tomasz Nowak", "resolved": 198, "agent_id": "agt_4"},
        {"name": "<b>Mia</b> O'Brien", "resolved": 173, "agent_id": "agt_5"},
    ],
    "quick_pulse_open": 14,
    "median_handle_time": 384,
    "avg_handle_time": 3912,
    "customer_happiness": None,
}


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds // 60 % 60:02d}m"


def _tile(field: str, value: Any) -> str:
    """A tile's figure as a reader expects it (SPEC's units: seconds as h/m/s, rates in %)."""
    if field in ("total_conversations", "quick_pulse_open", "active_agents"):
        return f"{value:,}"
    if field == "resolution_rate":
        return f"{value:.1f}%"
    if field == "customer_happiness":
        return "—" if value is None else f"{value}%"
    return _duration(value)


# What the page shows, read from the rendered DOM: text as laid out (innerText), boxes and colours.
_ON_SCREEN = """() => {
  const text = (element) => element.innerText.split(/\\s+/).filter(Boolean).join(" ");
  const box = (element) => element.getBoundingClientRect();
  const colour = (element) => getComputedStyle(element).backgroundColor;
  const tiles = Object.fromEntries([...document.querySelectorAll(".tile [data-field]")].map((tile) => [tile.dataset.field, text(tile)]));
  const bar = document.querySelector('[data-field="channel_mix"]');
  return {
    tiles,
    bar: [...bar.children].map((segment) => ({width: box(segment).width, colour: colour(segment)})),
    barWidth: box(bar).width,
    legend: [...document.querySelectorAll("#legend li")].map((item) => ({text: text(item), colour: colour(item.querySelector("i"))})),
    agents: [...document.querySelectorAll('[data-field="top_agents"] li')].map((item) => [...item.children].map(text)),
  };
}"""


async def _assert_on_screen(page: Page, overview: dict[str, Any]) -> None:
    shown = await page.evaluate(_ON_SCREEN)
    tiles = {
        field: _tile(field, overview[field]) for field in OVERVIEW_FIELDS if field not in ("channel_mix", "top_agents")
    }
    assert shown["tiles"] == tiles
    mix: dict[str, float] = overview["channel_mix"]
    assert [item["text"] for item in shown["legend"]] == [f"{channel} {share:.1f}%" for channel, share in mix.items()]
    # Each channel's segment is as wide as its share of the bar, in its legend swatch's colour.
    assert [segment["colour"] for segment in shown["bar"]] == [item["colour"] for item in shown["legend"]]
    assert len(set(item["colour"] for item in shown["legend"])) == len(mix)
    for segment, share in zip(shown["bar"], mix.values(), strict=True):
        assert abs(segment["width"] - shown["barWidth"] * share / sum(mix.values())) < 1.5, (segment, share)
    agents = [
        [str(rank), agent["name"], f"{agent['resolved']:,}"] for rank, agent in enumerate(overview["top_agents"], 1)
    ]
    assert shown["agents"] == agents


async def test_the_board_shows_the_endpoints_figures_and_follows_changes(browser: Browser) -> None:
    keys = FakeKeys()
    token = keys.issue("acme")
    source = LiveFakes({"acme": BOARD})
    async with serving(live_app(source, keys)) as url, httpx.AsyncClient(base_url=url) as http:
        page = await browser.new_page(viewport={"width": 1920, "height": 1080})
        problems: list[str] = []
        page.on("console", lambda message: _note_error(message, problems))
        page.on("pageerror", lambda error: problems.append(str(error)))
        await page.goto(url + WALLBOARD_PATH)
        await page.fill("#token", token)
        await page.click("button[type=submit]")
        total = page.locator('[data-field="total_conversations"]')
        await expect(total).to_have_text("12,842", timeout=LONG_MS)

        await _assert_on_screen(page, (await http.get(OVERVIEW_PATH, headers=bearer(token))).json())
        assert await page.text_content("#state") == "Live"
        # Spelled out once, so the formatting above is pinned to what a reader sees, not only to itself.
        assert await _text(page, "avg_handle_time") == "1h 05m"
        assert await _text(page, "customer_happiness") == "—"
        assert "<b>Mia</b> O'Brien" in await page.inner_text('[data-field="top_agents"]')  # text, not markup
        assert token not in page.url

        source.change("acme", total_conversations=12843, customer_happiness=96, median_handle_time=59)
        await expect(total).to_have_text("12,843", timeout=LONG_MS)
        await _assert_on_screen(page, (await http.get(OVERVIEW_PATH, headers=bearer(token))).json())
        assert await _text(page, "customer_happiness") == "96%"
        assert await _text(page, "median_handle_time") == "59s"
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "wallboard.png"))

        await page.reload()  # the token is remembered: no form this time
        await expect(total).to_have_text("12,843", timeout=LONG_MS)
        await page.click("#forget")
        assert await page.is_visible("#token-form")
        assert await page.evaluate("localStorage.length") == 0
        await page.close()
    assert problems == []  # e.g. a CSP hash that does not match the inline script


async def _text(page: Page, field: str) -> str:
    return " ".join((await page.inner_text(f'[data-field="{field}"]')).split())


async def test_a_refused_token_shows_unauthorised_and_asks_again(browser: Browser) -> None:
    keys = FakeKeys()
    token = keys.issue("acme")
    keys.revoke(token)
    async with serving(live_app(LiveFakes({"acme": BOARD}), keys)) as url:
        page = await browser.new_page(viewport={"width": 1280, "height": 800})
        await page.goto(url + WALLBOARD_PATH)
        await page.fill("#token", token)
        await page.click("button[type=submit]")
        await page.wait_for_selector("body[data-state=unauthorised]")
        assert await page.is_visible("#token-form")
        assert "refused" in await page.inner_text("#notice")
        await page.click("#forget")
        await page.close()


async def test_revoking_the_token_of_an_open_board_shows_unauthorised(browser: Browser) -> None:
    keys = FakeKeys()
    token = keys.issue("acme")
    async with serving(live_app(LiveFakes({"acme": BOARD}), keys)) as url:
        page = await browser.new_page(viewport={"width": 1280, "height": 800})
        await page.goto(url + WALLBOARD_PATH)
        await page.fill("#token", token)
        await page.click("button[type=submit]")
        await page.wait_for_selector("body[data-state=live]")
        keys.revoke(token)
        await page.wait_for_selector("body[data-state=unauthorised]")
        assert await page.is_visible("#token-form")
        assert "refused" in await page.inner_text("#notice")
        await page.close()


def _note_error(message: ConsoleMessage, problems: list[str]) -> None:
    if message.type == "error":
        problems.append(message.text)
