"""Each account's sliding 30-day view, derived from its facts (SPEC §3).

Window items sit in event-time buckets of BUCKET_US, and the view keeps running totals of the
buckets inside the window, so a query costs O(buckets expired since the last one) + O(agents) —
never a scan over conversations.

Edges. An item counts iff T - 30d < ts ≤ T.
* Upper edge, exact: the view has a watermark (the latest "now" it has seen; it never goes back).
  Items after it wait in `pending`, keyed by their exact instant, and join the window the moment
  the watermark reaches them. An event a few minutes ahead of the clock therefore changes the
  now-figures at once but the window figures only when its time comes.
* Lower edge, per bucket: the first bucket in the window is the one holding its earliest instant
  (T - 30d + 1 µs); whole buckets drop out, so items up to one bucket older than T - 30d may still
  count (SPEC §3 allows it).
An item is retracted from wherever its addition went: the same ts against the same watermark
decides, and pending items are promoted exactly when the watermark crosses them. Items below the
window are ignored on add and on retract alike, which is consistent because the window only moves
forward.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

from sortedcontainers import SortedDict

from analytics.agent_time import Timeline
from analytics.agents_now import AgentsNow, agents_now
from analytics.contribution import (
    Contribution,
    WindowItem,
    agent_contribution,
    contribution,
    first_reply_item,
    is_open,
    rating_item,
    resolution_item,
)
from analytics.facts import AgentFacts, ConversationFacts, CreatedFact
from analytics.figures import Overview, Report
from analytics.overview import render_overview
from analytics.report import ReportQuery, prepare
from analytics.report_index import ReportIndex, rating_entries, reply_entries
from analytics.tally import Tally
from analytics.time import BUCKET_US, WINDOW_US

# Versions come from one process-wide sequence, so a view built afresh (after a rebalance) never
# reuses a version an earlier view of the same account already handed out.
_next_version = itertools.count(1).__next__

# A watermark before any instant an event can carry (datetime.min is about -6.2e16 µs).
_BEFORE_ALL_US = -(2**63)
# Later than any instant an event can carry: "nothing pending".
_AFTER_ALL_US = 2**63

# The Tally method that counts each kind of window item, so placing one needs no dispatch.
Adder = Callable[[Tally, Any, int], None]
_ADD_CREATED: Adder = Tally.add_created
_ADD_FIRST_REPLY: Adder = Tally.add_first_reply
_ADD_RESOLUTION: Adder = Tally.add_resolution
_ADD_RATING: Adder = Tally.add_rating
_ADDERS = (_ADD_CREATED, _ADD_FIRST_REPLY, _ADD_RESOLUTION, _ADD_RATING)  # in a Contribution's order
# Changes the created item's resolved_now only: the same instant places it in the same tallies, and
# the count it is in does not change, so no tally empties.
_ADD_RESOLVED_NOW: Adder = Tally.add_resolved_now


def bucket_of(timestamp_us: int) -> int:
    return timestamp_us // BUCKET_US


def first_bucket(now_us: int) -> int:
    """The bucket holding the earliest instant of the window (now - 30d, now]."""
    return bucket_of(now_us - WINDOW_US + 1)


def _tally_at(tallies: SortedDict, key: int) -> Tally:
    tally: Tally | None = tallies.get(key)
    if tally is None:
        tally = tallies[key] = Tally()
    return tally


class AccountView:
    """One account's figures; fed fact changes, asked for overviews."""

    def __init__(self) -> None:
        self._watermark_us = _BEFORE_ALL_US  # every caller advances it before placing items
        self._first_bucket = first_bucket(_BEFORE_ALL_US)
        self._buckets: SortedDict = SortedDict()  # bucket index -> Tally, only non-empty ones
        self._pending: SortedDict = SortedDict()  # exact ts_us > watermark -> Tally
        self._next_due_us = _AFTER_ALL_US  # at most the earliest pending instant: when advance must look
        self._totals = Tally()  # sum of the buckets
        self._open_conversations = 0
        self._active_agents = 0
        self._names: dict[str, str] = {}  # agent_id -> display name, for agents with facts
        self._index = ReportIndex()  # every existing conversation's report items, for any period
        self._agents: dict[str, AgentFacts] = {}  # their status histories, for reports
        self._timelines: dict[str, Timeline] = {}  # those histories' running totals, built by reports
        self.version = _next_version()  # changes whenever a figure may have changed
        self._rendered: tuple[int, Overview] | None = None  # (version, overview) last rendered

    @property
    def totals(self) -> Tally:
        """The window's totals (read-only)."""
        return self._totals

    def placed(self) -> dict[str, dict[int, Tally]]:
        """Where the window's items sit: the bucket and the pending tallies by key (a copy).

        Emptied tallies are dropped, so this also shows that memory follows the live items.
        """
        return {"buckets": dict(self._buckets), "pending": dict(self._pending)}

    def advance(self, now_us: int) -> None:
        """Move the window up to `now_us` (never back): expire old buckets, promote due pending items."""
        if now_us <= self._watermark_us:
            return
        self._watermark_us = now_us
        self._index.advance(now_us)
        first = (now_us - WINDOW_US + 1) // BUCKET_US  # first_bucket, inline: this runs for every event
        changed = False
        # No bucket below the first is ever placed, so only a new first bucket can expire any.
        if first != self._first_bucket:
            self._first_bucket = first
            while self._buckets and self._buckets.peekitem(0)[0] < first:
                self._totals.merge(self._buckets.popitem(0)[1], -1)
                changed = True
        if self._next_due_us <= now_us:
            while self._pending and self._pending.peekitem(0)[0] <= now_us:
                ts_us, tally = self._pending.popitem(0)
                if bucket_of(ts_us) >= first:  # only after a jump of more than the window
                    _tally_at(self._buckets, bucket_of(ts_us)).merge(tally, 1)
                    self._totals.merge(tally, 1)
                    changed = True
            self._next_due_us = self._pending.peekitem(0)[0] if self._pending else _AFTER_ALL_US
        if changed:
            self.version = _next_version()

    def apply_conversation(self, old: ConversationFacts | None, new: ConversationFacts | None, now_us: int) -> None:
        """Replace what a conversation contributed under `old` facts by what it contributes under `new`."""
        if old is not None and new is not None and old.created == new.created:
            # Changes that contribute nothing return before the window moves: nothing is placed, and
            # whatever places or reads next advances first, to the same state in one step as in many.
            if new.created is None:
                return  # it did not exist and still does not: no contribution either way
            if old.first_reply == new.first_reply and old.status == new.status and old.rating == new.rating:
                return  # only last_event_us moved (a contact or bot message, a later agent reply)
            # The usual change: an existing conversation got a reply, a status or a rating. Only
            # the items those facts make are compared and moved.
            self.advance(now_us)
            if self._change(old, new, new.created):
                self.version = _next_version()
            return
        else:
            self.advance(now_us)
        before = None if old is None else contribution(old)
        after = None if new is None else contribution(new)
        if before == after:  # e.g. a duplicate, a contact message, a later agent reply
            return
        if before is None or after is None:
            if before is not None:
                self._count(before, -1)
            if after is not None:
                self._count(after, 1)
        else:
            # Only the items that differ move (most events change one or two): retracting and
            # re-adding an unchanged item would put it back where it was.
            self._open_conversations += after.is_open - before.is_open
            was_created, now_created = before.created, after.created
            if was_created != now_created:
                if was_created[:2] == now_created[:2]:  # the usual case: resolved or reopened
                    self._place(now_created, now_created.resolved_now - was_created.resolved_now, _ADD_RESOLVED_NOW)
                else:
                    self._place(was_created, -1, _ADD_CREATED)
                    self._place(now_created, 1, _ADD_CREATED)
            if before.first_reply != after.first_reply:
                self._move(before.first_reply, after.first_reply, _ADD_FIRST_REPLY)
            if before.resolution != after.resolution:
                self._move(before.resolution, after.resolution, _ADD_RESOLUTION)
            if before.rating != after.rating:
                self._move(before.rating, after.rating, _ADD_RATING)
        self._index.change(before, after)
        self.version = _next_version()

    def _change(self, old: ConversationFacts, new: ConversationFacts, created: CreatedFact) -> bool:
        """What `contribution(old)` -> `contribution(new)` moves, for facts with the same `created`,
        item by item from the facts that differ (in the window and the report index); whether any
        figure changed."""
        created_us, changed, index, channel = created[0], False, self._index, ("channel", created[2])
        if old.first_reply != new.first_reply:
            was_reply = first_reply_item(old.first_reply, created_us)
            now_reply = first_reply_item(new.first_reply, created_us)
            if was_reply != now_reply:
                index.move(reply_entries(was_reply, channel), reply_entries(now_reply, channel))
            changed |= self._replace(was_reply, now_reply, _ADD_FIRST_REPLY)
        if old.status != new.status:
            was_resolution = resolution_item(old.status, created_us)
            now_resolution = resolution_item(new.status, created_us)
            if self._replace(was_resolution, now_resolution, _ADD_RESOLUTION):
                index.move_resolution(channel, created_us, was_resolution, now_resolution, rating_item(old.rating))
                # The created item's resolved_now, where the created item is.
                resolved_by = (now_resolution is not None) - (was_resolution is not None)
                if resolved_by:
                    self._place(created, resolved_by, _ADD_RESOLVED_NOW)
                changed = True
            open_by = is_open(new.status) - is_open(old.status)
            if open_by:
                self._open_conversations += open_by
                changed = True
        if old.rating != new.rating:
            was_rating, now_rating = rating_item(old.rating), rating_item(new.rating)
            if was_rating != now_rating:
                resolver = new.status[3] if new.status is not None and new.status[2] == "resolved" else None
                index.move(rating_entries(was_rating, resolver, channel), rating_entries(now_rating, resolver, channel))
            changed |= self._replace(was_rating, now_rating, _ADD_RATING)
        return changed

    def _replace(self, was: Any, now: Any, add: Adder) -> bool:
        """Move one window item from `was` to `now`; whether it differed."""
        if was == now:
            return False
        self._move(was, now, add)
        return True

    def apply_agent(self, old: AgentFacts | None, new: AgentFacts | None, now_us: int) -> None:
        """Replace what an agent contributed under `old` facts by what it contributes under `new`."""
        self.advance(now_us)
        if old == new:
            return
        if new is not None:
            self._agents[new.agent_id] = new
        elif old is not None:
            del self._agents[old.agent_id]
            self._timelines.pop(old.agent_id, None)
        self.version = _next_version()  # a report's time in status changes with the history
        before = None if old is None else agent_contribution(old)
        after = None if new is None else agent_contribution(new)
        if before == after:
            return
        if before is not None:
            self._active_agents -= before.is_active
            del self._names[before.agent_id]
        if after is not None:
            self._active_agents += after.is_active
            self._names[after.agent_id] = after.name
        self.version = _next_version()

    def overview(self, now_us: int) -> Overview:
        """SPEC §3 as of `now_us` (or of the watermark, if the clock stepped back); shared (it is frozen).

        Rendered once per version: between changes every request gets the same object, which is
        what keeps a read-heavy endpoint (and every wallboard) from re-ranking agents each time.
        """
        self.advance(now_us)
        if self._rendered is None or self._rendered[0] != self.version:
            figures = render_overview(self._totals, self._open_conversations, self._active_agents, self._names)
            self._rendered = (self.version, figures)
        return self._rendered[1]

    def prepare_report(self, query: ReportQuery) -> Callable[[], Report]:
        """SPEC §4 for `query`, in two steps: this one, on the loop, advances the view to T and freezes
        what the query reads (O(columns)); the function it returns computes the report from that
        snapshot and may run on another thread while the view keeps changing (see `analytics.report`)."""
        self.advance(query.now_us)
        return prepare(self._index, self._agents, self._timelines, query)

    def report(self, query: ReportQuery) -> Report:
        """SPEC §4 for `query`: exact on the quarter-hour grid and at T."""
        return self.prepare_report(query)()

    def agents_now(self, now_us: int) -> AgentsNow:
        """The agents live or away now, and since when (see `analytics.agents_now`)."""
        return agents_now(self._agents.values(), now_us)

    def _count(self, part: Contribution, sign: int) -> None:
        self._open_conversations += sign * part.is_open
        for item, add in zip((part.created, part.first_reply, part.resolution, part.rating), _ADDERS, strict=True):
            if item is not None:
                self._place(item, sign, add)

    def _move(self, was: WindowItem | None, now: WindowItem | None, add: Adder) -> None:
        if was is not None:
            self._place(was, -1, add)
        if now is not None:
            self._place(now, 1, add)

    def _place(self, item: tuple[Any, ...], sign: int, add: Adder) -> None:
        """Count `item` (by `add`, the Tally method of its kind) where the window has it, if anywhere.

        `item` is a window item, or the created fact for `_ADD_RESOLVED_NOW`: what places it is its
        instant, the first field of both.
        """
        ts_us = item[0]
        if ts_us > self._watermark_us:
            tallies, key = self._pending, ts_us
            if ts_us < self._next_due_us:
                self._next_due_us = ts_us
        else:
            key = ts_us // BUCKET_US  # bucket_of, inline: this runs for every item of every change
            if key < self._first_bucket:
                return
            tallies = self._buckets
            add(self._totals, item, sign)
        tally: Tally | None = tallies.get(key)
        if tally is None:
            tally = tallies[key] = Tally()
        add(tally, item, sign)
        # Emptied tallies are dropped so memory follows the live items, not every instant ever seen.
        if tally.is_empty():
            del tallies[key]


class Views:
    """The AccountViews of every account this process serves, by account_id."""

    def __init__(self) -> None:
        self._accounts: dict[str, AccountView] = {}

    def _view(self, account_id: str) -> AccountView:
        view = self._accounts.get(account_id)
        if view is None:
            view = self._accounts[account_id] = AccountView()
        return view

    def apply_conversation(
        self, account_id: str, old: ConversationFacts | None, new: ConversationFacts | None, now_us: int
    ) -> None:
        view = self._accounts.get(account_id)
        (self._view(account_id) if view is None else view).apply_conversation(old, new, now_us)

    def apply_agent(self, account_id: str, old: AgentFacts | None, new: AgentFacts | None, now_us: int) -> None:
        self._view(account_id).apply_agent(old, new, now_us)

    def overview(self, account_id: str, now_us: int) -> Overview:
        """The account's overview; all zeros for an account without data (not stored, so probes cost nothing)."""
        view = self._accounts.get(account_id)
        return (view if view is not None else AccountView()).overview(now_us)

    def report(self, account_id: str, query: ReportQuery) -> Report:
        """The account's report; all zeros for an account without data."""
        view = self._accounts.get(account_id)
        return (view if view is not None else AccountView()).report(query)

    def prepare_report(self, account_id: str, query: ReportQuery) -> Callable[[], Report]:
        """The account's `AccountView.prepare_report`; all zeros for an account without data."""
        view = self._accounts.get(account_id)
        return (view if view is not None else AccountView()).prepare_report(query)

    def agents_now(self, account_id: str, now_us: int) -> AgentsNow:
        """The account's agents on duty now; none for an account without data."""
        view = self._accounts.get(account_id)
        return (view if view is not None else AccountView()).agents_now(now_us)

    def version(self, account_id: str, now_us: int) -> int:
        """A number that changes whenever the account's overview as of `now_us` may have changed; 0 without data."""
        view = self._accounts.get(account_id)
        if view is None:
            return 0
        view.advance(now_us)
        return view.version

    def reset(self) -> None:
        self._accounts.clear()

    def rebuild(
        self,
        conversations: Iterable[tuple[str, ConversationFacts]],
        agents: Iterable[tuple[str, AgentFacts]],
        now_us: int,
    ) -> None:
        """Forget everything, then derive the views afresh from (account_id, facts) pairs.

        For when partitions are (re)assigned: feed it the facts tables' contents.
        """
        self.reset()
        for account_id, conversation in conversations:
            self.apply_conversation(account_id, None, conversation, now_us)
        for account_id, agent in agents:
            self.apply_agent(account_id, None, agent, now_us)
