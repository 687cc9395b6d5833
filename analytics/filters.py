"""SPEC §5 report filters: which conversations' items a report counts.

A filter restricts every figure — totals, series, previous and breakdown rows — to the items of
conversations whose channel / inbox / current team / current assignee equals its value, or whose
current labels contain it. Several filters must all hold.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

# In SPEC §5's order: a fault in several is reported for the first of them.
FILTER_PARAMETERS = ("channel", "inbox_id", "team_id", "assignee_id", "label")


@dataclass(frozen=True)
class Filters:
    channel: str | None = None
    inbox_id: str | None = None
    team_id: str | None = None
    assignee_id: str | None = None
    label: str | None = None

    def __bool__(self) -> bool:
        return any(getattr(self, name) is not None for name in FILTER_PARAMETERS)

    def matches(
        self,
        channel: str,
        inbox_id: str | None,
        team_id: str | None,
        assignee_id: str | None,
        labels: Collection[str],
    ) -> bool:
        """Whether a conversation with these current values passes every filter given."""
        return (
            (self.channel is None or channel == self.channel)
            and (self.inbox_id is None or inbox_id == self.inbox_id)
            and (self.team_id is None or team_id == self.team_id)
            and (self.assignee_id is None or assignee_id == self.assignee_id)
            and (self.label is None or self.label in labels)
        )


NO_FILTERS = Filters()
