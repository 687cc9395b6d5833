"""What the wallboard's report panels need in a browser test, with or without Kafka: events as the
JSON a producer sends, a time zone where "today" is safely under way, and what the page shows
next to what the endpoints answer for the same questions."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson
from playwright.async_api import Page

from tests.support.history import AGENT_TOPIC, CONVERSATION_TOPIC, Record, format_timestamp

_ids = itertools.count(1)
# Zones without daylight saving, so "now − 7 days" is the same wall time a week earlier, with
# offsets all round the clock; they include half- and quarter-hour offsets (hours start at :30, :15 UTC).
STEADY_ZONES = [
    "Asia/Kathmandu",
    "Asia/Kolkata",
    "Australia/Eucla",
    "Asia/Kabul",
    "Asia/Tehran",
    "Australia/Darwin",
    "Asia/Yangon",
    "Pacific/Marquesas",
    "Pacific/Pago_Pago",
    "Pacific/Honolulu",
    "America/Phoenix",
    "America/Guatemala",
    "America/Bogota",
    "America/Caracas",
    "America/Sao_Paulo",
    "Atlantic/South_Georgia",
    "Atlantic/Cape_Verde",
    "Atlantic/Reykjavik",
    "Africa/Lagos",
    "Africa/Nairobi",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Dhaka",
    "Asia/Jakarta",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Brisbane",
    "Pacific/Noumea",
    "Pacific/Fiji",
    "Pacific/Tongatapu",
    "Pacific/Kiritimati",
]
# Generous: the CI machine is busy, and the page refreshes its panels at most every 2 s.
LONG_MS = 60_000


def midday_zones(now: datetime, count: int) -> list[str]:
    """`count` zones where it is between 06:00 and 18:00 now: events up to an hour old, and any
    refresh in the next hours, fall on the same local day, whenever the test runs."""
    zones = [name for name in STEADY_ZONES if 6 <= now.astimezone(ZoneInfo(name)).hour < 18]
    assert len(zones) >= count, zones  # any 12 hours of these offsets hold at least nine
    return zones[:count]


def at(instant: datetime) -> str:
    return format_timestamp((instant - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1))


def created(account: str, conversation: str, when: datetime, channel: str = "whatsapp") -> dict[str, Any]:
    return {
        "event_id": f"e{next(_ids)}",
        "type": "conversation.created",
        "account_id": account,
        "occurred_at": at(when),
        "conversation_id": conversation,
        "channel": channel,
    }


def resolved(account: str, conversation: str, when: datetime, agent: str) -> dict[str, Any]:
    return {
        "event_id": f"e{next(_ids)}",
        "type": "conversation.status_changed",
        "account_id": account,
        "occurred_at": at(when),
        "conversation_id": conversation,
        "status": "resolved",
        "agent_id": agent,
    }


def agent(account: str, agent_id: str, when: datetime, status: str, name: str | None = None) -> dict[str, Any]:
    event = {
        "event_id": f"e{next(_ids)}",
        "type": "agent.status_changed",
        "account_id": account,
        "occurred_at": at(when),
        "agent_id": agent_id,
        "status": status,
    }
    return event if name is None else event | {"name": name}


def record(event: dict[str, Any]) -> Record:
    """`event` as a producer sends it: on its topic, keyed by its account."""
    topic = AGENT_TOPIC if str(event["type"]).startswith("agent.") else CONVERSATION_TOPIC
    return Record(topic, str(event["account_id"]).encode(), orjson.dumps(event), True)


async def shown_json(page: Page, selector: str, attribute: str) -> Any:
    raw = await page.get_attribute(selector, attribute)
    assert raw is not None, (selector, attribute)
    return orjson.loads(raw)


async def wait_for_chart(page: Page, zone: str, total: int, timeout_ms: float = LONG_MS) -> None:
    """Until the chart is drawn for `zone` with `total` of today's conversations."""
    await page.wait_for_function(
        """([zone, total]) => {
            const chart = document.querySelector("#trend");
            return chart.dataset.timezone === zone && chart.dataset.today !== undefined &&
                JSON.parse(chart.dataset.today).reduce((sum, n) => sum + (n || 0), 0) === total;
        }""",
        arg=[zone, total],
        timeout=timeout_ms,
    )


async def wait_for_team(page: Page, agent_ids: list[str], timeout_ms: float = LONG_MS) -> None:
    """Until the team panel lists exactly `agent_ids`, in that order."""
    await page.wait_for_function(
        """(ids) => {
            const team = document.querySelector("#team");
            return team.dataset.value !== undefined &&
                JSON.stringify(JSON.parse(team.dataset.value).map((row) => row.agent_id)) === JSON.stringify(ids);
        }""",
        arg=agent_ids,
        timeout=timeout_ms,
    )


async def check_against_endpoints(page: Page, http: httpx.AsyncClient, token: str) -> None:
    """The chart, the tiles' changes and the team panel equal what the endpoints answer."""
    headers = {"Authorization": f"Bearer {token}"}
    chart = await page.query_selector("#trend")
    assert chart is not None
    date, zone = await chart.get_attribute("data-date"), await chart.get_attribute("data-timezone")
    assert date is not None and zone is not None
    day = (datetime.fromisoformat(date) + timedelta(days=1)).date().isoformat()
    today = (
        await http.get(
            "/api/v1/analytics/report",
            headers=headers,
            params={"since": date, "until": day, "timezone": zone, "group_by": "hour", "breakdown": "agent"},
        )
    ).json()
    shown = await shown_json(page, "#trend", "data-today")
    # Hours yet to come have no bar (null); an hour may have begun since the page asked, so the
    # nulls are a suffix, and every hour's count is the endpoint's (0 for those still to come).
    begun = [n for n in shown if n is not None]
    assert shown == begun + [None] * (len(shown) - len(begun)) and begun
    assert [n or 0 for n in shown] == [p["total_conversations"] for p in today["series"]]

    on_duty = (await http.get("/api/v1/analytics/agents", headers=headers)).json()["agents"]
    rows = {row["agent_id"]: row for row in today["breakdown"]}
    team = await shown_json(page, "#team", "data-value")
    assert {row["agent_id"] for row in team} == {agent["agent_id"] for agent in on_duty}
    for row in team:
        day_row = rows.get(row["agent_id"], {"resolved": 0, "median_handle_time": 0})
        assert (row["resolved"], row["median_handle_time"]) == (day_row["resolved"], day_row["median_handle_time"])
    assert [row["resolved"] for row in team] == sorted((row["resolved"] for row in team), reverse=True)
