"""The metric core wired the way the stream shell wires it, without Kafka: event → facts → views."""

from __future__ import annotations

import msgspec

from collections.abc import Iterable
from typing import Any

from analytics.facts import AgentFacts, ConversationFacts, fold_agent, fold_conversation
from analytics.time import epoch_us
from analytics.window import Views
from events.schema import AgentStatusChanged, Event


class Folded:
    """Facts tables keyed like the stream shell's, and the views derived from them."""

    def __init__(self) -> None:
        self.conversations: dict[tuple[str, str], ConversationFacts] = {}
        self.agents: dict[tuple[str, str], AgentFacts] = {}
        self.views = Views()

    def feed(self, event: Event, now_us: int) -> None:
        ts_us = epoch_us(event.occurred_at)
        if isinstance(event, AgentStatusChanged):
            agent_key = (event.account_id, event.agent_id)
            old_agent = self.agents.get(agent_key)
            new_agent = fold_agent(old_agent, event, ts_us)
            if new_agent is not old_agent:
                self.agents[agent_key] = new_agent
                self.views.apply_agent(event.account_id, old_agent, new_agent, now_us)
        else:
            key = (event.account_id, event.conversation_id)
            old = self.conversations.get(key)
            new = fold_conversation(old, event, ts_us)
            if new is not old:
                self.conversations[key] = new
                self.views.apply_conversation(event.account_id, old, new, now_us)

    def feed_all(self, events: Iterable[Event], now_us: int) -> Folded:
        for event in events:
            self.feed(event, now_us)
        return self

    def rebuilt(self, now_us: int) -> Views:
        """Fresh views derived from the current facts alone."""
        views = Views()
        views.rebuild(
            ((account_id, facts) for (account_id, _), facts in self.conversations.items()),
            ((account_id, facts) for (account_id, _), facts in self.agents.items()),
            now_us,
        )
        return views

    def overview(self, account_id: str, now_us: int) -> dict[str, Any]:
        """As JSON would carry it, to compare with the reference's dicts."""
        return msgspec.to_builtins(self.views.overview(account_id, now_us))  # type: ignore[no-any-return]
