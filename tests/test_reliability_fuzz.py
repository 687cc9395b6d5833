"""Reliability: fuzzed records on the event topics are all dead-lettered with a reason and change nothing.

Hypothesis generates arbitrary bytes and near-valid JSON (a valid event with one thing broken:
a field dropped, replaced by any JSON value, the text cut short or a byte flipped), each under a
fitting, missing or foreign key. Only records that SPEC §1 rejects both now and ten minutes from
now are kept, so the worker's later clock cannot turn one valid. They go to a worker that already
serves exact figures: it must dead-letter every one with a reason, stay alive and ready, and
answer the very same overviews afterwards.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.dead_letter import parse_dead_letter
from events.decode import decode_event
from events.errors import InvalidEvent
from tests.support.cluster import Deployment, handled, metric, now_us, wait_for_figures
from tests.support.history import (
    AGENT_TOPIC,
    CONVERSATION_TOPIC,
    MINUTE_US,
    Record,
    decode_valid,
    format_timestamp,
    generate_history,
)
from tests.support.reference import reference_overview
from tests.test_processor_kafka import read_topic

FUZZ_RECORDS = 400
MAX_AHEAD_US = 5 * MINUTE_US
ACCOUNTS = ("shop_0.eu", "acct-1")  # generate_history's first two account ids

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=6,
)


@st.composite
def valid_event(draw: st.DrawFn) -> dict[str, Any]:
    common = {
        "event_id": draw(st.text(min_size=1, max_size=12)),
        "account_id": draw(st.sampled_from(ACCOUNTS)),
        "occurred_at": format_timestamp(now_us() - draw(st.integers(0, 40 * 24 * 60 * MINUTE_US))),
    }
    conversation = {"conversation_id": draw(st.text(min_size=1, max_size=12))}
    return {
        **common,
        **draw(
            st.sampled_from(
                [
                    {"type": "conversation.created", **conversation, "channel": "whatsapp"},
                    {
                        "type": "conversation.message_created",
                        **conversation,
                        "sender_type": "agent",
                        "agent_id": "agt_1",
                    },
                    {"type": "conversation.status_changed", **conversation, "status": "resolved"},
                    {"type": "conversation.rated", **conversation, "rating": 4},
                    {"type": "agent.status_changed", "agent_id": "agt_1", "status": "live", "name": "Sarah Chen"},
                ]
            )
        ),
    }


@st.composite
def near_valid_json(draw: st.DrawFn) -> bytes:
    event = draw(valid_event())
    field = draw(st.sampled_from(sorted(event)))
    broken = draw(st.sampled_from(["drop", "replace", "truncate", "flip"]))
    if broken == "drop":
        del event[field]
    elif broken == "replace":
        event[field] = draw(json_values)
    text = json.dumps(event).encode()
    if broken == "truncate":
        return text[: draw(st.integers(0, len(text) - 1))]
    if broken == "flip":
        at = draw(st.integers(0, len(text) - 1))
        return text[:at] + bytes([draw(st.integers(0, 255))]) + text[at + 1 :]
    return text


records = st.tuples(
    st.sampled_from([None, *(account.encode() for account in ACCOUNTS)]) | st.binary(max_size=8),
    st.binary(max_size=200) | near_valid_json(),
)


def rejected_at_any_clock(record: tuple[bytes | None, bytes]) -> bool:
    key, value = record
    for clock_us in (now_us(), now_us() + 10 * MINUTE_US):
        try:
            decode_event(value, key=key, now_us=clock_us, max_ahead_us=MAX_AHEAD_US)
        except InvalidEvent:
            continue
        return False
    return True


def fuzzed_records(count: int) -> list[tuple[bytes | None, bytes]]:
    """`count` records drawn by Hypothesis (derandomized: the same ones on every run)."""
    drawn: list[tuple[bytes | None, bytes]] = []

    @settings(
        max_examples=count, database=None, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)
    )
    @given(records.filter(rejected_at_any_clock))
    def draw(record: tuple[bytes | None, bytes]) -> None:
        drawn.append(record)

    draw()
    return drawn


async def test_fuzzed_records_are_dead_lettered_and_change_no_figure(kafka: str, unique: str, tmp_path: Path) -> None:
    deployment = Deployment(kafka, f"fuzz-{unique}", tmp_path, partitions=2)
    # Ten minutes in the past: no event is ahead of the clock, so no figure moves while the test runs.
    history = generate_history(now_us=now_us() - 10 * MINUTE_US, accounts=2, events=1_500, seed=9, invalid_fraction=0)
    events = decode_valid(history)
    tokens = {account: deployment.create_key(account) for account in ACCOUNTS}
    await deployment.produce(history)
    fuzz = fuzzed_records(FUZZ_RECORDS)
    worker = deployment.start_worker()
    try:
        before = await wait_for_figures(worker, tokens, lambda account, t: reference_overview(events, account, t))
        folded = metric(worker, "pingback_events_processed_total")
        await deployment.produce(
            Record(AGENT_TOPIC if n % 2 else CONVERSATION_TOPIC, key, value, valid=False)
            for n, (key, value) in enumerate(fuzz)
        )
        letters = await read_topic(kafka, deployment.dead_letter_topic, len(fuzz))
        parsed = {
            (p.source_topic, p.source_partition, p.source_offset): p
            for p in map(parse_dead_letter, (r.value for r in letters))
        }
        assert Counter((p.original_key, p.original_value) for p in parsed.values()) == Counter(fuzz)
        assert all(p.reason for p in parsed.values())
        assert worker.process is not None and worker.process.poll() is None, worker.log_tail()
        assert (await asyncio.to_thread(httpx.get, f"{worker.base_url}/readyz", timeout=5)).status_code == 200
        assert metric(worker, "pingback_events_processed_total") == folded
        assert handled(worker) >= folded + len(fuzz)
        assert {account: worker.overview(token).text for account, token in tokens.items()} == before
    finally:
        worker.stop()
