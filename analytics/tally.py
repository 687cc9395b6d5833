"""Sums of window items: one per time bucket, one for a pending instant, one for the whole window.

Every field is a group (counts and sums under + and -), so a tally can take an item back out
(`add(item, -1)`) and a bucket's tally can be subtracted from the window's when it expires.
Handle durations are kept as a multiset rather than a sum so the window can give a true median.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sortedcontainers import SortedList

from analytics.contribution import Created, FirstReply, Rating, Resolution, WindowItem

# The plain integer sums, which merge field by field.
_SUMS = (
    "created",
    "created_resolved",
    "first_replies",
    "first_reply_sum_us",
    "resolutions",
    "handle_sum_us",
    "ratings",
    "good_ratings",
)


def _bump(counter: dict[str, int], key: str, by: int) -> None:
    # Zero entries are removed so an emptied tally compares equal to a fresh one and the
    # channel mix lists only channels that occur.
    count = counter.get(key, 0) + by
    if count:
        counter[key] = count
    else:
        del counter[key]


@dataclass(slots=True)
class Tally:
    created: int = 0  # conversations created
    created_resolved: int = 0  # ... of which resolved now
    # Plain dicts, not Counters: a Counter costs ~0.35 µs to make, and a tally is made per new instant.
    channels: dict[str, int] = field(default_factory=dict)  # ... by channel
    first_replies: int = 0
    first_reply_sum_us: int = 0
    resolutions: int = 0
    handle_sum_us: int = 0
    handle_us: SortedList = field(default_factory=SortedList)  # each resolution's handle time
    resolvers: dict[str, int] = field(default_factory=dict)  # resolutions by agent_id
    ratings: int = 0
    good_ratings: int = 0

    def is_empty(self) -> bool:
        # Every other field is a breakdown of one of these four.
        return not (self.created or self.first_replies or self.resolutions or self.ratings)

    def add(self, item: WindowItem, sign: int) -> None:
        """Count `item` in (sign=1) or back out (sign=-1)."""
        if isinstance(item, Created):
            self.add_created(item, sign)
        elif isinstance(item, FirstReply):
            self.add_first_reply(item, sign)
        elif isinstance(item, Resolution):
            self.add_resolution(item, sign)
        else:
            self.add_rating(item, sign)

    # One method per kind of item, so a view that knows what it places skips the dispatch.
    def add_created(self, item: Created, sign: int) -> None:
        self.created += sign
        self.created_resolved += sign * item.resolved_now
        _bump(self.channels, item.channel, sign)

    def add_resolved_now(self, item: Created, by: int) -> None:
        """The created item's `resolved_now` moved by `by` (its instant and channel as they were)."""
        self.created_resolved += by

    def add_first_reply(self, item: FirstReply, sign: int) -> None:
        self.first_replies += sign
        self.first_reply_sum_us += sign * item.duration_us

    def add_resolution(self, item: Resolution, sign: int) -> None:
        self.resolutions += sign
        self.handle_sum_us += sign * item.handle_us
        if sign > 0:
            self.handle_us.add(item.handle_us)
        else:
            self.handle_us.remove(item.handle_us)
        if item.resolver is not None:  # a resolution without a resolver counts for nobody
            _bump(self.resolvers, item.resolver, sign)

    def add_rating(self, item: Rating, sign: int) -> None:
        self.ratings += sign
        self.good_ratings += sign * item.good

    def merge(self, other: Tally, sign: int) -> None:
        """Add (sign=1) or subtract (sign=-1) everything `other` counts."""
        for name in _SUMS:
            setattr(self, name, getattr(self, name) + sign * getattr(other, name))
        for channel, count in other.channels.items():
            _bump(self.channels, channel, sign * count)
        for agent_id, count in other.resolvers.items():
            _bump(self.resolvers, agent_id, sign * count)
        self._add_handles(other.handle_us, sign)

    def _add_handles(self, durations_us: list[int] | SortedList, sign: int) -> None:
        if sign > 0:
            self.handle_us.update(durations_us)
        else:
            for duration_us in durations_us:
                self.handle_us.remove(duration_us)

    def median_handle_us(self) -> int | None:
        """The ⌈n/2⌉-th smallest handle time (SPEC §3's true median), None if there is none."""
        count = len(self.handle_us)
        return self.handle_us[(count + 1) // 2 - 1] if count else None
