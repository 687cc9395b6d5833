"""Default topic per event type (SPEC §1): `conversation.*` and `agent.*` travel apart.

The names are only defaults; deployments override them (streams.settings), so producers pass
their configured names in and use this for the routing rule alone.
"""

from __future__ import annotations

from events.schema import EVENT_TYPES

CONVERSATION_TOPIC = "conversation-events"
AGENT_TOPIC = "agent-events"


def topic_for(event_type: str, *, conversation_topic: str = CONVERSATION_TOPIC, agent_topic: str = AGENT_TOPIC) -> str:
    """The topic that carries ``event_type`` (e.g. ``"conversation.rated"``).

    Raises ``ValueError`` for a type SPEC §1 does not define, so a producer cannot invent one.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    return agent_topic if event_type.startswith("agent.") else conversation_topic
