"""The processor's Faust-free pieces with plain dicts for tables: ingest, readiness, retention."""

from __future__ import annotations

import msgspec
import pytest

from analytics.facts import decode_agent_facts
from analytics.time import DAY_US
from analytics.window import Views
from api.ports import NotReady
from events.dead_letter import parse_dead_letter
from streams.ingest import Accepted, Ingestor, Misrouted, Record, Rejected, fact_key
from streams.live_state import LiveState
from streams.retention import RetentionSweeper
from tests.support.builders import T_US, D, H, agent, created, message, status

HOME = 0
TOPIC = "conversation-events"


def partition_of(account_id: str) -> int:
    return HOME if account_id == "acme" else 1


def encode(event: msgspec.Struct) -> bytes:
    return msgspec.json.encode(event)


def make_ingestor(
    now_us: int = T_US, conversations: dict[bytes, bytes] | None = None
) -> tuple[Ingestor, dict[bytes, bytes], Views]:
    conversations = {} if conversations is None else conversations
    views = Views()
    ingestor = Ingestor(
        conversations=conversations,
        agents={},
        views=views,
        max_ahead_us=300_000_000,
        clock_us=lambda: now_us,
        partition_of=partition_of,
    )
    return ingestor, conversations, views


class WriteLog(dict):
    """A table that records which keys were written."""

    def __init__(self, writes: list[bytes]) -> None:
        super().__init__()
        self.writes = writes

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.writes.append(key)
        super().__setitem__(key, value)


def record(value: bytes, *, key: bytes | None = b"acme", partition: int = HOME, offset: int = 0) -> Record:
    return Record(TOPIC, partition, offset, key, value)


def test_a_valid_event_updates_facts_and_views() -> None:
    ingestor, conversations, views = make_ingestor()
    outcome = ingestor.ingest(record(encode(created("c1", -2 * H))))
    assert outcome == Accepted(account_id="acme", event_type="conversation.created")
    assert fact_key("acme", "c1") in conversations
    assert views.overview("acme", T_US).total_conversations == 1


def test_a_duplicate_changes_nothing_but_is_written_again() -> None:
    # Re-writing unchanged facts is what re-sends a changelog record lost in a crash.
    writes: list[bytes] = []
    ingestor, _, views = make_ingestor(conversations=WriteLog(writes))
    value = encode(created("c1", -2 * H))
    ingestor.ingest(record(value))
    version = views.version("acme", T_US)
    ingestor.ingest(record(value, offset=1))
    assert writes == [fact_key("acme", "c1")] * 2
    assert views.version("acme", T_US) == version


@pytest.mark.parametrize(
    ("value", "key", "reason"),
    [
        (b"{not json", b"acme", "not valid JSON"),  # bytes that are not JSON
        (encode(created("c1", -H)), b"globex", "differs from the Kafka key"),  # key is another account
        (encode(created("c1", 10 * D)), b"acme", "ahead of the processor clock"),  # far future
        (b"", b"acme", "empty"),  # a tombstone arrives as an empty value
    ],
)
def test_invalid_records_become_dead_letters_and_change_nothing(value: bytes, key: bytes, reason: str) -> None:
    ingestor, conversations, views = make_ingestor()
    outcome = ingestor.ingest(record(value, key=key, offset=42))
    assert isinstance(outcome, Rejected) and reason in outcome.reason
    letter = parse_dead_letter(outcome.dead_letter)
    assert (letter.original_key, letter.original_value, letter.source_offset) == (key, value, 42)
    assert conversations == {} and views.overview("acme", T_US).total_conversations == 0


def test_a_keyless_event_on_a_foreign_partition_is_sent_home_not_folded() -> None:
    ingestor, conversations, _ = make_ingestor()
    outcome = ingestor.ingest(record(encode(created("c1", -H)), key=None, partition=1))
    assert outcome == Misrouted(account_id="acme", partition=HOME)
    assert conversations == {}


def recovered_state(next_offset: int, highwater: int) -> LiveState:
    state = LiveState(views=Views(), partition_of=partition_of)
    state.recovered(
        assigned=[(TOPIC, HOME)],
        conversations=[],
        agents=[],
        next_offsets={(TOPIC, HOME): next_offset},
        highwaters={(TOPIC, HOME): highwater},
        now_us=T_US,
    )
    return state


def test_nothing_is_served_while_recovering() -> None:
    state = LiveState(views=Views(), partition_of=partition_of)
    with pytest.raises(NotReady, match="recovering"):
        state.overview("acme", T_US)
    assert state.readiness()[0] is False


def test_a_partition_with_a_backlog_is_served_only_once_caught_up() -> None:
    state = recovered_state(next_offset=10, highwater=20)
    with pytest.raises(NotReady, match="catching up"):
        state.overview("acme", T_US)
    state.reached((TOPIC, HOME), 19)
    with pytest.raises(NotReady):
        state.overview("acme", T_US)
    state.reached((TOPIC, HOME), 20)  # the last record that was there at recovery time is folded
    assert state.overview("acme", T_US).total_conversations == 0
    assert state.readiness() == (True, "serving 1 partition(s)")


def test_an_account_on_a_partition_owned_elsewhere_is_not_served_here() -> None:
    state = recovered_state(next_offset=5, highwater=5)
    assert state.owns("acme") and not state.owns("globex")
    with pytest.raises(NotReady, match="moving"):
        state.overview("globex", T_US)


def test_a_rebalance_stops_serving_until_recovered_again() -> None:
    state = recovered_state(next_offset=5, highwater=5)
    state.rebalance_started()
    with pytest.raises(NotReady, match="recovering"):
        state.overview("acme", T_US)


def test_retention_forgets_only_quiet_resolved_or_never_created_conversations_of_the_partition() -> None:
    now_us = T_US + 100 * DAY_US
    ingestor, conversations, views = make_ingestor(now_us=T_US)
    for event in [
        created("done", -D),
        status("done", -D + H, "resolved"),  # resolved, quiet 100 days: forget
        created("open", -D),  # still open: keep, whatever its age
        message("orphan", -D),
    ]:  # never created, quiet: forget
        ingestor.ingest(record(encode(event)))
    clock = iter([0.0, 10.0, 20.0])
    sweeper = RetentionSweeper(
        conversations=conversations,
        agents={},
        views=views,
        partition_of=partition_of,
        retention_us=90 * DAY_US,
        interval_s=5,
        monotonic=lambda: next(clock),
    )
    assert sweeper.due(HOME) is False  # the first record only starts the clock
    assert sweeper.due(HOME) is True
    assert sweeper.sweep(1, now_us) == 0  # another partition's sweep never touches this account
    assert sweeper.sweep(HOME, now_us) == 2
    assert set(conversations) == {fact_key("acme", "open")}
    assert views.overview("acme", now_us).quick_pulse_open == 1
    with pytest.raises(ValueError, match="at least 31 days"):  # the sweeper checks its retention once, up front
        RetentionSweeper(
            conversations={}, agents={}, views=views, partition_of=partition_of, retention_us=30 * DAY_US, interval_s=5
        )


def test_retention_trims_agent_histories_to_the_latest_change_before_the_horizon() -> None:
    conversations: dict[bytes, bytes] = {}
    agents: dict[bytes, bytes] = {}
    views = Views()
    ingestor = Ingestor(
        conversations=conversations,
        agents=agents,
        views=views,
        max_ahead_us=300_000_000,
        clock_us=lambda: T_US,
        partition_of=partition_of,
    )
    for event in [agent("a1", -100 * D, "live"), agent("a1", -95 * D, "away"), agent("a1", -10 * D, "offline")]:
        ingestor.ingest(record(encode(event), key=b"acme"))
    sweeper = RetentionSweeper(
        conversations=conversations,
        agents=agents,
        views=views,
        partition_of=partition_of,
        retention_us=90 * DAY_US,
        interval_s=5,
    )
    sweeper.sweep(HOME, T_US)
    history = decode_agent_facts(agents[fact_key("acme", "a1")]).history
    assert [status for _, _, status in history] == ["away", "offline"]  # "away" held at the horizon
