"""Every existing conversation of one account as one row of numpy columns, with its SPEC §5 dimensions.

The constant-time report index (`analytics.report_index`) answers SPEC §4 reports from columns per
(kind, scope); a report that filters by inbox, team, assignee, label or channel, or breaks down by
team, inbox or label, needs to know which conversation each item belongs to and what it is now.
This table keeps that: per conversation its items (created, first reply, resolution, rating, as in
`analytics.contribution`) and its current channel, inbox, team, assignee and set of labels as codes.
A report selects and groups rows with vectorised numpy (`analytics.sliced_report`): exact at any edge.

A row is rewritten whenever its conversation's contribution or dimensions change; a conversation
that stops existing frees its row. An absent time is `NO_TIME`, which no period contains.
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple

import numpy as np
import numpy.typing as npt

from analytics.contribution import Contribution, contribution
from analytics.facts import ConversationFacts

NO_TIME = np.iinfo(np.int64).max  # later than every period's end: never selected
NOBODY = -1  # no agent, team, inbox; a freed row
_INITIAL_ROWS = 16
_FLUSH_AT = 4096  # recorded changes written at once

Column = npt.NDArray[np.int64]


class Dimensions(NamedTuple):
    """A conversation's current SPEC §5 values (None: it has none)."""

    inbox_id: str | None
    team_id: str | None
    assignee_id: str | None
    labels: tuple[str, ...]

    @classmethod
    def of(cls, facts: ConversationFacts) -> Dimensions:
        return cls(facts.inbox_id, facts.team_id, facts.assignee_id, facts.label_set)


class Names:
    """A small dictionary of values (channels, agent ids, label sets) to dense integer codes, and back."""

    def __init__(self) -> None:
        self.codes: dict[object, int] = {}
        self.names: list[object] = []

    def code(self, name: object) -> int:
        code = self.codes.get(name)
        if code is None:
            code = self.codes[name] = len(self.names)
            self.names.append(name)
        return code

    def optional(self, name: str | None) -> int:
        return NOBODY if name is None else self.code(name)


class TableSnapshot(NamedTuple):
    """The columns (each its rows in use or freed) and the code tables, frozen for one report."""

    columns: dict[str, Column]
    names: dict[str, list[object]]  # "channels", "agents", "inboxes", "teams", "label_sets": code -> value


class SliceTable:
    """The rows of one account's existing conversations, keyed by conversation_id."""

    # Each column and what an empty row holds. Times are µs since the epoch, durations µs; codes
    # index the Names below; flags are 0 or 1.
    EMPTY: ClassVar[dict[str, int]] = {
        "created_us": NO_TIME,
        "channel": 0,
        "resolved_now": 0,
        "reply_us": NO_TIME,
        "reply_duration_us": 0,
        "responder": NOBODY,
        "resolved_us": NO_TIME,
        "handle_us": 0,
        "resolver": NOBODY,
        "rated_us": NO_TIME,
        "good": 0,
        "inbox": NOBODY,
        "team": NOBODY,
        "assignee": NOBODY,
        "labels": 0,  # the code of the empty set
    }

    _EMPTY_ROW: ClassVar[tuple[int, ...]] = tuple(EMPTY.values())

    def __init__(self) -> None:
        self.channels, self.agents, self.inboxes, self.teams = Names(), Names(), Names(), Names()
        self.label_sets = Names()  # tuple of labels (sorted) -> code
        self.label_sets.code(())
        self._row_of: dict[str, int] = {}
        self._free: list[int] = []
        self._size = 0  # rows in use or freed; columns are longer (spare capacity)
        self._dirty: dict[str, ConversationFacts | None] = {}
        self._shared = False  # a snapshot holds the columns
        self._columns: dict[str, Column] = {
            name: np.full(_INITIAL_ROWS, empty, np.int64) for name, empty in self.EMPTY.items()
        }

    def __len__(self) -> int:
        self.flush()
        return len(self._row_of)

    def snapshot(self) -> TableSnapshot:
        """The table as it is now, for a report on another thread: later changes write to copies."""
        self.flush()
        self._shared = True
        names = {
            kind: list(getattr(self, kind).names) for kind in ("channels", "agents", "inboxes", "teams", "label_sets")
        }
        return TableSnapshot({name: column[: self._size] for name, column in self._columns.items()}, names)

    def put(self, conversation_id: str, facts: ConversationFacts | None) -> None:
        """Make the conversation's row say what `facts` contribute (None, or not created: no row).

        Recorded now, written to the columns in bulk (`flush`): the fold pays a dict assignment per
        change, and a report, which flushes first, sees every change before it.
        """
        self._dirty[conversation_id] = facts
        if len(self._dirty) >= _FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        """Write every recorded change to the columns, one numpy assignment per column."""
        if not self._dirty:
            return
        rows, values = [], []
        for conversation_id, facts in self._dirty.items():
            row = self._row_of.get(conversation_id)
            part = None if facts is None else contribution(facts)
            if part is None or facts is None:
                if row is not None:
                    del self._row_of[conversation_id]
                    self._free.append(row)
                    rows.append(row)
                    values.append(self._EMPTY_ROW)
                continue
            if row is None:
                row = self._row_of[conversation_id] = self._free.pop() if self._free else self._new_row()
            rows.append(row)
            values.append(self._row_values(part, Dimensions.of(facts)))
        self._dirty.clear()
        if self._shared:  # a report reads the columns: write to copies (copy-on-write)
            self._columns = {name: column.copy() for name, column in self._columns.items()}
            self._shared = False
        at = np.array(rows, np.int64)
        for index, name in enumerate(self.EMPTY):
            self._columns[name][at] = [value[index] for value in values]

    def _row_values(self, part: Contribution, dimensions: Dimensions) -> tuple[int, ...]:
        reply, resolution, rating = part.first_reply, part.resolution, part.rating
        return (
            part.created.ts_us,
            self.channels.code(part.created.channel),
            int(part.created.resolved_now),
            NO_TIME if reply is None else reply.ts_us,
            0 if reply is None else reply.duration_us,
            NOBODY if reply is None else self.agents.code(reply.responder),
            NO_TIME if resolution is None else resolution.ts_us,
            0 if resolution is None else resolution.handle_us,
            NOBODY if resolution is None else self.agents.optional(resolution.resolver),
            NO_TIME if rating is None else rating.ts_us,
            0 if rating is None else int(rating.good),
            self.inboxes.optional(dimensions.inbox_id),
            self.teams.optional(dimensions.team_id),
            self.agents.optional(dimensions.assignee_id),
            self.label_sets.code(dimensions.labels),
        )

    def _new_row(self) -> int:
        if self._size == len(self._columns["created_us"]):
            self._shared = False  # growing copies every column anyway
            for name, empty in self.EMPTY.items():
                old = self._columns[name]
                grown = np.full(2 * len(old), empty, np.int64)
                grown[: len(old)] = old
                self._columns[name] = grown
        self._size += 1
        return self._size - 1
