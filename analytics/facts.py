"""What the events of one conversation, or of one agent, have established (SPEC §2).

Each field is a join-semilattice — a min, a max, or a "latest by (occurred_at, event_id)" — so
folding an event in is commutative, associative and idempotent: the facts are a function of the
*set* of events, whatever their order or repetition, by construction rather than by bookkeeping.
"Latest" ranks the whole content after (ts, event_id), so even a producer reusing an event_id for
different content (SPEC §1: which copy counts is then unspecified) cannot make the fold order-dependent.

Facts are stored as raw bytes in Faust tables, so they are compact msgpack arrays.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

import msgspec

from analytics.time import DAY_US
from events.schema import (
    AgentStatusChanged,
    ConversationAssigned,
    ConversationCreated,
    ConversationEvent,
    ConversationLabelsChanged,
    ConversationRated,
    ConversationStatusChanged,
    MessageCreated,
)

DEFAULT_RETENTION_US = 90 * DAY_US
MIN_RETENTION_US = 31 * DAY_US  # SPEC §2: never less, so nothing inside the 30-day window is forgotten

# (ts_us, event_id, channel)
CreatedFact = tuple[int, str, str]
# (ts_us, event_id, agent_id) of the earliest agent message: first_reply_at and the first responder
ReplyFact = tuple[int, str, str]
# (ts_us, event_id, status, agent_id)
StatusFact = tuple[int, str, str, str | None]
# (ts_us, event_id, rating)
RatingFact = tuple[int, str, int]
# (ts_us, event_id, team_id or agent_id; "" when the event cleared it) of the latest assigned event carrying that field
AssignmentFact = tuple[int, str, str]
# (ts_us, event_id, the labels: distinct, sorted by code point) of the latest labels_changed event
LabelsFact = tuple[int, str, tuple[str, ...]]
# (ts_us, event_id, agent status)
AgentStatusFact = tuple[int, str, str]
# (ts_us, event_id, name)
AgentNameFact = tuple[int, str, str]


class ConversationFacts(msgspec.Struct, frozen=True, array_like=True):
    last_event_us: int  # newest event of any kind: what retention measures from
    created: CreatedFact | None = None  # earliest created event
    first_reply: ReplyFact | None = None  # earliest agent message
    status: StatusFact | None = None  # latest status change; None means "open"
    rating: RatingFact | None = None  # latest rating
    # The table key names the conversation too; the views need it to find its report row.
    conversation_id: str = ""
    # SPEC §5. Appended with defaults, so facts stored before them still decode.
    inbox_id: str | None = None  # of the `created` event that gives created_at
    team: AssignmentFact | None = None
    assignee: AssignmentFact | None = None
    labels: LabelsFact | None = None

    @property
    def team_id(self) -> str | None:
        """The current team (SPEC §5): None for no team, or a team cleared by null."""
        return None if self.team is None else self.team[2] or None

    @property
    def assignee_id(self) -> str | None:
        return None if self.assignee is None else self.assignee[2] or None

    @property
    def label_set(self) -> tuple[str, ...]:
        return () if self.labels is None else self.labels[2]

    @property
    def status_now(self) -> str:
        return "open" if self.status is None else self.status[2]


class AgentFacts(msgspec.Struct, frozen=True, array_like=True):
    agent_id: str
    # Every status change in (ts_us, event_id) order: the status history (SPEC §2). A set under
    # union, so it is a join like the other facts; retention may drop entries before its horizon
    # except the latest of them (`forget_agent_history`), so it is never empty.
    history: tuple[AgentStatusFact, ...]
    name: AgentNameFact | None = None  # latest status change that carried a name

    @property
    def status(self) -> AgentStatusFact:
        """The latest status change: what holds now."""
        return self.history[-1]


def _status_rank(status: StatusFact) -> tuple[int, str, str, str]:
    # A missing agent_id ranks below every real one (ids are never empty).
    return status[0], status[1], status[2], status[3] or ""


def fold_conversation(facts: ConversationFacts | None, event: ConversationEvent, ts_us: int) -> ConversationFacts:
    """`facts` with `event` (which occurred at `ts_us`) folded in; `facts` itself when nothing changed."""
    if facts is None:
        last_us, created, first_reply, status, rating = ts_us, None, None, None, None
        inbox_id, team, assignee, labels = None, None, None, None
        changed, conversation_id = True, event.conversation_id
    else:
        last_us, created, first_reply = facts.last_event_us, facts.created, facts.first_reply
        status, rating, conversation_id = facts.status, facts.rating, facts.conversation_id
        inbox_id, team, assignee, labels = facts.inbox_id, facts.team, facts.assignee, facts.labels
        changed = ts_us > last_us
        if changed:
            last_us = ts_us
    if isinstance(event, ConversationCreated):
        new_created = (ts_us, event.event_id, event.channel)
        # The inbox ranks with the rest of the content, so two copies of one event_id agree whatever their order.
        if created is None or (*new_created, event.inbox_id or "") < (*created, inbox_id or ""):
            created, inbox_id, changed = new_created, event.inbox_id, True
    elif isinstance(event, MessageCreated):
        # Contact and bot messages are not replies (SPEC §2).
        if event.sender_type == "agent":
            # agent_id is required for agent messages (SPEC §1); the earliest by (ts, event_id) wins.
            reply = (ts_us, event.event_id, event.agent_id or "")
            if first_reply is None or reply < first_reply:
                first_reply, changed = reply, True
    elif isinstance(event, ConversationStatusChanged):
        new_status = (ts_us, event.event_id, event.status, event.agent_id)
        if status is None or _status_rank(new_status) > _status_rank(status):
            status, changed = new_status, True
    elif isinstance(event, ConversationRated):
        new_rating = (ts_us, event.event_id, event.rating)
        if rating is None or new_rating > rating:
            rating, changed = new_rating, True
    elif isinstance(event, ConversationAssigned):
        # Each field is its own latest-wins fact: an absent field leaves it, null clears it ("").
        if event.team_id is not msgspec.UNSET:
            new_team = (ts_us, event.event_id, event.team_id or "")
            if team is None or new_team > team:
                team, changed = new_team, True
        if event.agent_id is not msgspec.UNSET:
            new_assignee = (ts_us, event.event_id, event.agent_id or "")
            if assignee is None or new_assignee > assignee:
                assignee, changed = new_assignee, True
    elif isinstance(event, ConversationLabelsChanged):
        new_labels = (ts_us, event.event_id, tuple(sorted(set(event.labels))))
        if labels is None or new_labels > labels:
            labels, changed = new_labels, True
    if not changed and facts is not None:  # (a first event always changes something)
        return facts
    # Positional: one C call, where a dict of changes and structs.replace(**changes) cost twice as much.
    return ConversationFacts(
        last_us, created, first_reply, status, rating, conversation_id, inbox_id, team, assignee, labels
    )


def fold_agent(facts: AgentFacts | None, event: AgentStatusChanged, ts_us: int) -> AgentFacts:
    """`facts` with `event` (which occurred at `ts_us`) folded in; `facts` itself when nothing changed."""
    status = (ts_us, event.event_id, event.status)
    name = None if event.name is None else (ts_us, event.event_id, event.name)
    if facts is None:
        return AgentFacts(agent_id=event.agent_id, history=(status,), name=name)
    changes: dict[str, object] = {}
    history = facts.history
    if status > history[-1]:  # the usual case: events arrive roughly in order
        changes["history"] = (*history, status)
    elif status not in history:
        at = bisect.bisect(history, status)
        changes["history"] = (*history[:at], status, *history[at:])
    if name is not None and (facts.name is None or name > facts.name):
        changes["name"] = name
    return msgspec.structs.replace(facts, **changes) if changes else facts


def check_retention_us(retention_us: int) -> int:
    """`retention_us` if SPEC §2 allows it (at least 31 days); ValueError otherwise."""
    if retention_us < MIN_RETENTION_US:
        raise ValueError(f"retention must be at least 31 days, got {retention_us / DAY_US:g} days")
    return retention_us


def is_forgettable(facts: ConversationFacts, now_us: int, retention_us: int = DEFAULT_RETENTION_US) -> bool:
    """Whether SPEC §2 lets the conversation be forgotten: resolved or never created, and quiet for the
    retention (checked once by whoever holds it: `check_retention_us`)."""
    settled = facts.created is None or facts.status_now == "resolved"
    return settled and now_us - facts.last_event_us >= retention_us


def forget_agent_history(facts: AgentFacts, horizon_us: int) -> AgentFacts:
    """`facts` without the status changes before `horizon_us`, except the latest of them (SPEC §2):
    it gives the status at the horizon, so the step function from the horizon on is unchanged."""
    history = facts.history
    keep_from = max(0, bisect.bisect_left(history, (horizon_us,)) - 1)
    return facts if keep_from == 0 else msgspec.structs.replace(facts, history=history[keep_from:])


_encoder = msgspec.msgpack.Encoder()
_conversation_decoder = msgspec.msgpack.Decoder(ConversationFacts)
_agent_decoder = msgspec.msgpack.Decoder(AgentFacts)


# The codecs' own methods, not wrappers: the fold calls one of each per event.
encode_facts: Callable[[ConversationFacts | AgentFacts], bytes] = _encoder.encode
decode_conversation_facts: Callable[[bytes], ConversationFacts] = _conversation_decoder.decode
decode_agent_facts: Callable[[bytes], AgentFacts] = _agent_decoder.decode
