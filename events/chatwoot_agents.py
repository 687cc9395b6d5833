"""Chatwoot agent presence → `agent.status_changed` events: the pure part of the agents poller.

Chatwoot sends no webhook when an agent goes online or offline, so `pingback chatwoot agents`
polls its agents API and hands each answer here. An event is made for every agent whose
`availability_status` differs from the last answer (all of them on the first answer), stamped
with the time of the poll that saw it: Chatwoot does not say when the change happened.
"""

from __future__ import annotations

from typing import Any

from events.chatwoot_fields import Event, Unreadable, timestamp

# Chatwoot's availability (available / busy / offline) in SPEC §1 agent statuses.
STATUSES = {"available": "live", "busy": "away", "offline": "offline"}


def agent_changes(agents: object, seen: dict[str, str], now_s: float) -> tuple[list[Event], list[str]]:
    """Events for the agents whose status changed since `seen` (updated in place), and one
    warning per entry that could not be read (skipped, so one odd agent does not stop the rest)."""
    if not isinstance(agents, list):
        raise Unreadable("the agents answer is not a JSON array")
    occurred_at = timestamp(now_s, "now")
    events: list[Event] = []
    warnings: list[str] = []
    for agent in agents:
        try:
            agent_id, status, name = _read(agent)
        except Unreadable as unreadable:
            warnings.append(unreadable.reason)
            continue
        if seen.get(agent_id) == status:
            continue
        seen[agent_id] = status
        event: Event = {
            "event_id": f"chatwoot:agent:{agent_id}:{status}:{occurred_at}",
            "type": "agent.status_changed",
            "occurred_at": occurred_at,
            "agent_id": agent_id,
            "status": status,
        }
        if name:
            event["name"] = name[:200]
        events.append(event)
    return events, warnings


def _read(agent: Any) -> tuple[str, str, str | None]:
    if not isinstance(agent, dict):
        raise Unreadable(f"an agent entry is not an object: {agent!r:.60}")
    agent_id = agent.get("id")
    if isinstance(agent_id, bool) or not isinstance(agent_id, (int, str)) or agent_id == "":
        raise Unreadable(f"an agent entry has no id: {agent!r:.80}")
    availability = agent.get("availability_status")
    if availability not in STATUSES:
        raise Unreadable(f"agent {agent_id}: unknown availability_status {availability!r}")
    name = agent.get("name") if isinstance(agent.get("name"), str) else None
    return str(agent_id), STATUSES[availability], name or None
