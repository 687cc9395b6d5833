"""Every existing conversation of one account as one row of numpy columns (SPEC §4's raw material).

A report may ask about any period of the retention, grouped by hour, day, week or month of any
time zone, or broken down by channel or agent. Rather than pre-aggregating for every grouping,
each conversation's contribution (`analytics.contribution`) is one row, and a report selects and
groups rows with vectorised numpy: exact for any period edge, at C speed (a 1M-row scan costs a
few milliseconds), and ~80 bytes per conversation.

A row is rewritten whenever its conversation's contribution changes; a conversation that stops
existing (forgotten by retention) frees its row for reuse. An absent time is `NO_TIME`, which no
period contains, so a freed row needs no flag of its own.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import numpy.typing as npt

from analytics.contribution import Contribution, Created, FirstReply, Rating, Resolution

NO_TIME = np.iinfo(np.int64).max  # later than every period's end: never selected
NOBODY = -1  # no agent (a resolution without a resolver, a freed row)
_INITIAL_ROWS = 16

Column = npt.NDArray[np.int64]


class Names:
    """A small dictionary of strings (channels, agent ids) to dense integer codes, and back."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}
        self.names: list[str] = []

    def code(self, name: str) -> int:
        code = self.codes.get(name)
        if code is None:
            code = self.codes[name] = len(self.names)
            self.names.append(name)
        return code


class ConversationRows:
    """The report rows of one account's existing conversations, keyed by conversation_id."""

    # Each column and what an empty row holds. Times are µs since the epoch, durations µs;
    # codes index `channels` / `agents`; flags are 0 or 1.
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
    }

    created_us: Column
    channel: Column
    resolved_now: Column
    reply_us: Column
    reply_duration_us: Column
    responder: Column
    resolved_us: Column
    handle_us: Column
    resolver: Column
    rated_us: Column
    good: Column

    def __init__(self) -> None:
        self.channels = Names()
        self.agents = Names()
        self._row_of: dict[str, int] = {}
        self._free: list[int] = []
        self._size = 0  # rows in use or freed; columns are longer (spare capacity)
        for name in self.EMPTY:
            setattr(self, name, np.empty(0, np.int64))
        self._grow(_INITIAL_ROWS)

    def __len__(self) -> int:
        return len(self._row_of)

    def column(self, name: str) -> Column:
        """The first `size` entries of a column (a view: no copy)."""
        column: Column = getattr(self, name)
        return column[: self._size]

    def put(self, conversation_id: str, part: Contribution | None, was: Contribution | None = None) -> None:
        """Make the conversation's row say `part`; None removes the row.

        `was`, when given, is what the row says now: only the items that differ are written.
        """
        row = self._row_of.get(conversation_id)
        if part is None:
            if row is not None:
                del self._row_of[conversation_id]
                self._clear(row)
                self._free.append(row)
            return
        if row is None:
            # A new or freed row holds the EMPTY values already: only the items the conversation has are written.
            row = self._row_of[conversation_id] = self._free.pop() if self._free else self._new_row()
            self.write_created(row, part.created)
            if part.first_reply is not None:
                self.write_first_reply(row, part.first_reply)
            if part.resolution is not None:
                self.write_resolution(row, part.resolution)
            if part.rating is not None:
                self.write_rating(row, part.rating)
            return
        if was is None or part.created != was.created:
            self.write_created(row, part.created)
        if was is None or part.first_reply != was.first_reply:
            self.write_first_reply(row, part.first_reply)
        if was is None or part.resolution != was.resolution:
            self.write_resolution(row, part.resolution)
        if was is None or part.rating != was.rating:
            self.write_rating(row, part.rating)

    def row(self, conversation_id: str) -> int | None:
        """The conversation's row, for the `write_*` methods; None if it has none."""
        return self._row_of.get(conversation_id)

    def write_created(self, row: int, created: Created) -> None:
        self.created_us[row] = created.ts_us
        self.channel[row] = self.channels.code(created.channel)
        self.resolved_now[row] = created.resolved_now

    def write_first_reply(self, row: int, reply: FirstReply | None) -> None:
        if reply is None:
            self.reply_us[row], self.reply_duration_us[row], self.responder[row] = NO_TIME, 0, NOBODY
        else:
            self.reply_us[row], self.reply_duration_us[row] = reply.ts_us, reply.duration_us
            self.responder[row] = self.agents.code(reply.responder)

    def write_resolution(self, row: int, resolution: Resolution | None) -> None:
        """The resolution's columns and `resolved_now` (whether there is one)."""
        if resolution is None:
            self.resolved_us[row], self.handle_us[row], self.resolver[row] = NO_TIME, 0, NOBODY
        else:
            self.resolved_us[row], self.handle_us[row] = resolution.ts_us, resolution.handle_us
            self.resolver[row] = NOBODY if resolution.resolver is None else self.agents.code(resolution.resolver)
        self.resolved_now[row] = resolution is not None

    def write_rating(self, row: int, rating: Rating | None) -> None:
        if rating is None:
            self.rated_us[row], self.good[row] = NO_TIME, 0
        else:
            self.rated_us[row], self.good[row] = rating.ts_us, rating.good

    def _clear(self, row: int) -> None:
        for name, empty in self.EMPTY.items():
            getattr(self, name)[row] = empty

    def _new_row(self) -> int:
        if self._size == len(self.created_us):
            self._grow(2 * self._size)
        self._size += 1
        return self._size - 1

    def _grow(self, capacity: int) -> None:
        for name, empty in self.EMPTY.items():
            old: Column = getattr(self, name)
            new = np.full(capacity, empty, np.int64)
            new[: len(old)] = old
            setattr(self, name, new)
