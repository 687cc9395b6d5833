"""The agents poller's pure part (`events.chatwoot_agents.agent_changes`): what one answer of
Chatwoot's agents endpoint becomes, and what is skipped with which warning."""

from __future__ import annotations

import pytest

from events.chatwoot_agents import agent_changes
from events.chatwoot_mapping import Unreadable

NOW_S = 1714566330.5  # 2024-05-01T12:25:30.5Z


def test_names_are_cut_to_what_the_schema_allows() -> None:
    events, warnings = agent_changes([{"id": 5, "availability_status": "busy", "name": "n" * 201}], {}, NOW_S)
    assert warnings == []
    assert events == [
        {
            "event_id": "chatwoot:agent:5:away:2024-05-01T12:25:30.500000Z",
            "type": "agent.status_changed",
            "occurred_at": "2024-05-01T12:25:30.500000Z",
            "agent_id": "5",
            "status": "away",
            "name": "n" * 200,
        }
    ]


def test_unreadable_entries_are_skipped_with_a_warning_each() -> None:
    answer = ["x" * 100, {"id": "", "availability_status": "available"}, {"id": 6, "availability_status": "gone"}]
    events, warnings = agent_changes(answer, {}, NOW_S)
    assert events == []
    assert warnings == [
        f"an agent entry is not an object: {'x' * 100!r:.60}",
        "an agent entry has no id: {'id': '', 'availability_status': 'available'}",
        "agent 6: unknown availability_status 'gone'",
    ]


@pytest.mark.parametrize(
    ("answer", "now_s", "reason"),
    [
        ({"payload": []}, NOW_S, "the agents answer is not a JSON array"),
        ([], True, "`now`: expected a timestamp, got True"),
    ],
)
def test_an_unreadable_answer_is_refused(answer: object, now_s: float, reason: str) -> None:
    with pytest.raises(Unreadable) as refused:
        agent_changes(answer, {}, now_s)
    assert refused.value.reason == reason
