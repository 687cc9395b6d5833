"""Who is on duty now: every agent whose status is now `live` or `away`, and since when (SPEC §2).

The wallboard's team panel needs the status in force now and the instant it began, which no
report answers (a report says how long a status held within a period, not when the current
stretch started). "Now" uses every accepted event, as SPEC §2 says of now-figures, so the latest
entry of the status history is the status now, whatever T is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated, Literal

import msgspec

from analytics.agent_time import ACTIVE
from analytics.contribution import agent_contribution
from analytics.facts import AgentFacts, AgentStatusFact
from analytics.periods import format_instant, zone

_UTC = zone("UTC")
Instant = Annotated[str, msgspec.Meta(description="RFC 3339, UTC")]


class AgentNow(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An agent on duty now."""

    agent_id: str
    name: str  # its latest name, else its agent_id (SPEC §2)
    status: Literal["live", "away"]
    since: Instant  # when the current status began: the first of the latest run of this status


class AgentsNow(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """`GET /api/v1/analytics/agents`: the account's agents live or away now, by name then agent_id."""

    as_of: Instant  # T, so a client can tell how long each has been in its status without trusting its own clock
    agents: list[AgentNow]


def status_since_us(history: Sequence[AgentStatusFact]) -> int:
    """When the status now began: a change to the status already in force (live → live) starts
    nothing new, so it is the first change of the trailing run of equal statuses."""
    status = history[-1][2]
    since_us = history[-1][0]
    for ts_us, _, earlier in reversed(history):
        if earlier != status:
            break
        since_us = ts_us
    return since_us


def agents_now(agents: Iterable[AgentFacts], now_us: int) -> AgentsNow:
    """The agents among `agents` whose latest status is live or away, as of `now_us`."""
    on_duty = []
    for facts in agents:
        status = facts.status[2]
        if status in ACTIVE:
            name = agent_contribution(facts).name
            since = format_instant(status_since_us(facts.history), _UTC)
            on_duty.append(AgentNow(agent_id=facts.agent_id, name=name, status=status, since=since))  # type: ignore[arg-type]
    on_duty.sort(key=lambda agent: (agent.name, agent.agent_id))
    return AgentsNow(as_of=format_instant(now_us, _UTC), agents=on_duty)
