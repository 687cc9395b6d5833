"""The wallboard in a real browser (Debian's chromium driven by Playwright) against a real uvicorn.

It enters a token, checks every figure element against the overview endpoint, changes the figures
and sees the page follow, then leaves a screenshot in tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright

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


async def _figures(page: Page) -> dict[str, Any]:
    shown = {}
    for field in OVERVIEW_FIELDS:
        raw = await page.get_attribute(f'[data-field="{field}"]', "data-value")
        assert raw is not None, field
        shown[field] = orjson.loads(raw)
    return shown


async def _text(page: Page, field: str) -> str:
    return " ".join((await page.inner_text(f'[data-field="{field}"]')).split())


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
        await page.wait_for_selector('[data-field="total_conversations"][data-value]')

        assert await _figures(page) == (await http.get(OVERVIEW_PATH, headers=bearer(token))).json()
        assert await page.text_content("#state") == "Live"
        assert await _text(page, "total_conversations") == "12,842"
        assert await _text(page, "avg_handle_time") == "1h 05m"
        assert await _text(page, "customer_happiness") == "—"
        assert "<b>Mia</b> O'Brien" in await page.inner_text('[data-field="top_agents"]')  # text, not markup
        assert token not in page.url

        source.change("acme", total_conversations=12843, customer_happiness=96, median_handle_time=59)
        await page.wait_for_selector('[data-field="total_conversations"][data-value="12843"]')
        assert await _figures(page) == (await http.get(OVERVIEW_PATH, headers=bearer(token))).json()
        assert await _text(page, "customer_happiness") == "96%"
        assert await _text(page, "median_handle_time") == "59s"
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "wallboard.png"))

        await page.reload()  # the token is remembered: no form this time
        await page.wait_for_selector('[data-field="total_conversations"][data-value="12843"]')
        await page.click("#forget")
        assert await page.is_visible("#token-form")
        assert await page.evaluate("localStorage.length") == 0
        await page.close()
    assert problems == []  # e.g. a CSP hash that does not match the inline script


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
