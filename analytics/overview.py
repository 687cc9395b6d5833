"""The SPEC §3 overview, rendered from a window's totals and the account's now-figures."""

from __future__ import annotations

import heapq
from collections.abc import Mapping

from analytics.figures import Overview, TopAgent
from analytics.rounding import apportion_tenths, percent_tenths, round_ratio
from analytics.tally import Tally
from analytics.time import SECOND_US

TOP_AGENTS = 5


def _mean_seconds(sum_us: int, count: int) -> int:
    return round_ratio(sum_us, count * SECOND_US) if count else 0


def top_agents(resolvers: Mapping[str, int], names: Mapping[str, str]) -> list[TopAgent]:
    """The agents with most resolutions, ties by display name then agent_id; O(agents)."""
    # An agent never seen on the agent topic is shown by its id (SPEC §2).
    ranked = heapq.nsmallest(
        TOP_AGENTS,
        ((-resolved, names.get(agent_id, agent_id), agent_id) for agent_id, resolved in resolvers.items()),
    )
    return [TopAgent(name=name, resolved=-negated, agent_id=agent_id) for negated, name, agent_id in ranked]


def render_overview(window: Tally, open_conversations: int, active_agents: int, names: Mapping[str, str]) -> Overview:
    """Every SPEC §3 field; costs O(channels + agents + log n)."""
    median_us = window.median_handle_us()
    return Overview(
        total_conversations=window.created,
        avg_first_response=_mean_seconds(window.first_reply_sum_us, window.first_replies),
        resolution_rate=percent_tenths(window.created_resolved, window.created),
        active_agents=active_agents,
        channel_mix=apportion_tenths(window.channels),
        top_agents=top_agents(window.resolvers, names),
        quick_pulse_open=open_conversations,
        median_handle_time=0 if median_us is None else round_ratio(median_us, SECOND_US),
        avg_handle_time=_mean_seconds(window.handle_sum_us, window.resolutions),
        customer_happiness=round_ratio(100 * window.good_ratings, window.ratings) if window.ratings else None,
    )
