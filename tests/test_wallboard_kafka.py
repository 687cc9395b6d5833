"""The live wallboard against a worker on real Kafka: the SSE stream over real HTTP, and the page
in Debian's chromium following events as they are produced."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from playwright.async_api import async_playwright

from api.openapi import OVERVIEW_FIELDS
from api.stream import STREAM_PATH
from api.wallboard import WALLBOARD_PATH
from tests.support import board
from tests.support.cluster import Deployment, WorkerProcess, now_us
from tests.support.history import CONVERSATION_TOPIC, Record, format_timestamp
from tests.test_wallboard_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

HEARTBEAT = {"PINGBACK_STREAM_HEARTBEAT_SECONDS": "1"}


def created(account: str, conversation: str, channel: str = "whatsapp") -> Record:
    value = orjson.dumps(
        {
            "event_id": f"created-{conversation}",
            "type": "conversation.created",
            "account_id": account,
            "occurred_at": format_timestamp(now_us()),
            "conversation_id": conversation,
            "channel": channel,
        }
    )
    return Record(CONVERSATION_TOPIC, account.encode(), value, True)


async def sse_messages(response: httpx.Response) -> AsyncIterator[tuple[str, str]]:
    """(event, data) per message; comment lines (heartbeats) come out as ("comment", text)."""
    event, data = "message", []
    async for line in response.aiter_lines():
        if line.startswith(":"):
            yield "comment", line[1:].strip()
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif line == "" and data:
            yield event, "\n".join(data)
            event, data = "message", []


async def next_overview(messages: AsyncIterator[tuple[str, str]], timeout_s: float = 30) -> dict[str, Any]:
    async def first() -> dict[str, Any]:
        async for event, data in messages:
            if event == "overview":
                return orjson.loads(data)
        raise AssertionError("stream ended")

    return await asyncio.wait_for(first(), timeout_s)


async def ready_worker(deployment: Deployment) -> WorkerProcess:
    worker = deployment.start_worker(env=HEARTBEAT)
    await asyncio.to_thread(worker.wait_ready)
    return worker


async def test_the_stream_pushes_new_figures_when_events_arrive(kafka: str, unique: str, tmp_path: Path) -> None:
    deployment = Deployment(kafka, f"sse-{unique}", tmp_path)
    token = deployment.create_key("acme")
    await deployment.produce([created("acme", "c1")])
    worker = await ready_worker(deployment)
    try:
        async with httpx.AsyncClient(base_url=worker.base_url, timeout=30) as http:
            refused = await http.get(STREAM_PATH, headers={"Authorization": "Bearer pbk_nope"})
            assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"
            headers = {"Authorization": f"Bearer {token}"}
            async with http.stream("GET", STREAM_PATH, headers=headers) as response:
                assert response.headers["content-type"].startswith("text/event-stream")
                messages = sse_messages(response)
                first = await next_overview(messages)
                while first["total_conversations"] < 1:  # the worker may still be folding c1
                    first = await next_overview(messages)
                assert first == (await http.get("/api/v1/analytics/overview", headers=headers)).json()
                started = time.monotonic()
                await deployment.produce([created("acme", "c2", "email")])
                pushed = await next_overview(messages)
                print(f"\n[sse] event produced → update received in {time.monotonic() - started:.2f} s")
                assert pushed["total_conversations"] == first["total_conversations"] + 1
                assert "email" in pushed["channel_mix"]
                kinds = set()
                deadline = time.monotonic() + 10
                async for kind, _ in messages:  # idle now: only heartbeats keep the stream open
                    kinds.add(kind)
                    if kind == "comment" or time.monotonic() > deadline:
                        break
                assert "comment" in kinds
    finally:
        worker.stop()


async def test_the_wallboard_in_chromium_follows_real_events(kafka: str, unique: str, tmp_path: Path) -> None:
    deployment = Deployment(kafka, f"board-{unique}", tmp_path)
    token = deployment.create_key("acme")
    await deployment.produce(
        [created("acme", f"c{n}", channel) for n, channel in enumerate(["whatsapp", "widget", "email"])]
    )
    worker = await ready_worker(deployment)
    try:
        async with async_playwright() as playwright, httpx.AsyncClient(base_url=worker.base_url) as http:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = await browser.new_page(viewport={"width": 1920, "height": 1080})
            await page.goto(worker.base_url + WALLBOARD_PATH)
            await page.fill("#token", token)
            await page.click("button[type=submit]")
            await page.wait_for_selector('[data-field="total_conversations"][data-value="3"]', timeout=60_000)
            endpoint = (
                await http.get("/api/v1/analytics/overview", headers={"Authorization": f"Bearer {token}"})
            ).json()
            assert await shown(page) == endpoint

            await deployment.produce([created("acme", "c9", "telegram")])
            await page.wait_for_selector('[data-field="total_conversations"][data-value="4"]', timeout=30_000)
            endpoint = (
                await http.get("/api/v1/analytics/overview", headers={"Authorization": f"Bearer {token}"})
            ).json()
            assert await shown(page) == endpoint and "telegram" in endpoint["channel_mix"]
            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "wallboard-kafka.png"))
            await browser.close()
    finally:
        worker.stop()


async def test_the_report_panels_in_chromium_follow_real_events(kafka: str, unique: str, tmp_path: Path) -> None:
    deployment = Deployment(kafka, f"panels-{unique}", tmp_path)
    token = deployment.create_key("acme")
    now = datetime.now(UTC)
    zone = board.midday_zones(now, 1)[0]  # "today" is well under way there: no midnight mid-test
    minutes = lambda n: now - timedelta(minutes=n)  # noqa: E731
    await deployment.produce(
        board.record(event)
        for event in [
            board.created("acme", "w1", now - timedelta(days=7, minutes=30)),
            board.created("acme", "c1", minutes(30)),
            board.created("acme", "c2", minutes(30), "email"),
            board.resolved("acme", "c1", minutes(20), "a2"),
            board.agent("acme", "a1", minutes(90), "live", "Sarah Chen"),
            board.agent("acme", "a2", minutes(60), "away", "Diego"),
        ]
    )
    worker = await ready_worker(deployment)
    try:
        async with async_playwright() as playwright, httpx.AsyncClient(base_url=worker.base_url) as http:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = await browser.new_context(viewport={"width": 1920, "height": 1080}, timezone_id=zone)
            page = await context.new_page()
            await page.goto(worker.base_url + WALLBOARD_PATH)
            await page.fill("#token", token)
            await page.click("button[type=submit]")
            shown_zone = await page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
            await board.wait_for_chart(page, shown_zone, 2)
            await board.wait_for_team(page, ["a2", "a1"])  # Diego resolved one today: first
            await board.check_against_endpoints(page, http, token)

            await deployment.produce([board.record(board.created("acme", "c3", datetime.now(UTC)))])
            await board.wait_for_chart(page, shown_zone, 3)  # the chart moves with the event
            await deployment.produce([board.record(board.agent("acme", "a3", datetime.now(UTC), "live", "Ana"))])
            await board.wait_for_team(page, ["a2", "a3", "a1"])  # ties on 0 resolved, both live: by name
            await board.check_against_endpoints(page, http, token)
            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "wallboard-kafka-panels.png"))
            await browser.close()
    finally:
        worker.stop()


async def shown(page: Any) -> dict[str, Any]:
    values = {}
    for field in OVERVIEW_FIELDS:
        values[field] = orjson.loads(await page.get_attribute(f'[data-field="{field}"]', "data-value"))
    return values
