"""Pick the validation library by measuring: msgspec vs pydantic v2 on the SPEC §1 rules.

    .venv/bin/pip install -e '.[bench]'        # pydantic, for this benchmark only
    .venv/bin/python -m bench.decode_bench     # ~20 s; writes bench/results/decode.json

Both sides decode the same ~100k realistic records (mostly valid, a couple of percent broken in
the ways SPEC §1 lists) and must agree on every verdict before any number is reported. Two
figures each: the whole ``decode_event`` pipeline, and the schema parse alone. The two libraries
take turns round after round; every round is recorded, the figures give the best and the median.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import orjson
import pydantic

from analytics.time import epoch_us
from bench import decode_pydantic as contender
from bench.common import BenchRun, figure
from events.decode import decode_event
from events.errors import InvalidEvent
from events.schema import Event

NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)
NOW_US = 1_714_564_800_000_000
MAX_AHEAD_US = 300_000_000
OFFSETS = [UTC] * 6 + [timezone(timedelta(hours=h, minutes=m)) for h, m in ((5, 30), (-3, 0), (1, 0), (-8, 0))]
CHANNELS = ["whatsapp"] * 5 + ["widget"] * 3 + ["telegram"] * 2 + ["instagram", "email"]
# Share of each type in a busy support desk: messages dominate, ratings are rare.
MIX = {
    "conversation.message_created": 55,
    "conversation.status_changed": 15,
    "conversation.created": 12,
    "agent.status_changed": 12,
    "conversation.rated": 6,
}
# Ways a producer gets it wrong, as SPEC §1 lists them; each a function of a valid document.
BREAKAGES: list[Callable[[dict[str, object]], dict[str, object] | bytes]] = [
    lambda d: {**d, "rating": 0} if d["type"] == "conversation.rated" else {**d, "event_id": ""},
    lambda d: {**d, "occurred_at": str(d["occurred_at"])[:19]},  # offset dropped
    lambda d: {**d, "occurred_at": (NOW + timedelta(minutes=6)).isoformat()},  # from the future
    lambda d: {**d, "type": "conversation.deleted"},
    lambda d: {k: v for k, v in d.items() if k != "account_id"},
    lambda d: {**d, "account_id": "acme corp"},
    lambda d: orjson.dumps(d)[:-7],  # truncated JSON
    lambda d: orjson.dumps(d).replace(b'"type"', b'"\xff\xfe"', 1),  # invalid UTF-8
]

Records = Sequence[tuple[bytes | None, bytes]]


def make_records(n: int, invalid_share: float, seed: int = 7) -> list[tuple[bytes | None, bytes]]:
    rnd = random.Random(seed)
    accounts = [f"acct_{i:03d}" for i in range(60)]
    kinds, weights = zip(*MIX.items(), strict=True)
    records: list[tuple[bytes | None, bytes]] = []
    for _ in range(n):
        account = rnd.choice(accounts)
        when = NOW - timedelta(seconds=rnd.randrange(30 * 86_400), microseconds=rnd.randrange(1_000_000))
        doc: dict[str, object] = {
            "event_id": f"evt_{rnd.getrandbits(96):024x}",
            "type": rnd.choices(kinds, weights)[0],
            "account_id": account,
            "occurred_at": when.astimezone(rnd.choice(OFFSETS)).isoformat().replace("+00:00", "Z"),
            "source": rnd.choice(["api", "webhook", "import"]),  # producers add fields SPEC ignores
        }
        conversation, agent = f"conv_{rnd.randrange(10**7)}", f"agt_{rnd.randrange(40)}"
        match doc["type"]:
            case "conversation.created":
                doc |= {"conversation_id": conversation, "channel": rnd.choice(CHANNELS)}
            case "conversation.message_created":
                sender = rnd.choice(["contact", "contact", "agent", "bot"])
                doc |= {
                    "conversation_id": conversation,
                    "sender_type": sender,
                    "meta": {"length": rnd.randrange(400), "attachments": []},
                }
                if sender == "agent":
                    doc["agent_id"] = agent
            case "conversation.status_changed":
                status = rnd.choice(["open", "pending", "snoozed", "resolved"])
                doc |= {"conversation_id": conversation, "status": status}
                if rnd.random() < 0.8:
                    doc["agent_id"] = agent
            case "conversation.rated":
                doc |= {"conversation_id": conversation, "rating": rnd.randint(1, 5)}
            case _:
                status = rnd.choice(["live", "away", "offline"])
                doc |= {"agent_id": agent, "status": status, "name": f"Agent {agent[4:]}"}
        key: bytes | None = account.encode() if rnd.random() < 0.98 else None
        broken: dict[str, object] | bytes = rnd.choice(BREAKAGES)(doc) if rnd.random() < invalid_share else doc
        if rnd.random() < 0.002:
            key = b"another_account"  # key and account_id disagree
        records.append((key, broken if isinstance(broken, bytes) else orjson.dumps(broken)))
    return records


def verdicts(decode: Callable[..., object], rejected: type[Exception], records: Records) -> list[int | None]:
    """Per record: the accepted event's instant in epoch microseconds, or None when rejected."""
    out: list[int | None] = []
    for key, value in records:
        try:
            event = decode(value, key=key, now_us=NOW_US, max_ahead_us=MAX_AHEAD_US)
        except rejected:
            out.append(None)
        else:
            out.append(epoch_us(event.occurred_at))  # type: ignore[attr-defined]
    return out


def timed_rounds(runs: dict[str, dict[str, Callable[[], None]]], n: int, rounds: int) -> list[dict[str, Any]]:
    """Every round of every run, the runs interleaved so that both libraries share whatever else
    the machine is doing."""
    return [
        {"round": round_, "figure": name, "library": lib, "events_per_s": round(n / _timed(run))}
        for round_ in range(rounds)
        for name, libs in runs.items()
        for lib, run in libs.items()
    ]


def _timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _loop(
    call: Callable[[bytes, bytes | None], object], errors: tuple[type[Exception], ...], records: Records
) -> Callable[[], None]:
    def run() -> None:
        for key, value in records:
            try:
                call(value, key)
            except errors:
                pass

    return run


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--invalid-share", type=float, default=0.02)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    bench_run = BenchRun("decode")

    records = make_records(args.records, args.invalid_share)
    ours = verdicts(decode_event, InvalidEvent, records)
    theirs = verdicts(contender.decode_event, contender.Rejected, records)
    disagreements = [i for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b]
    if disagreements:  # numbers for different rules would compare nothing
        i = disagreements[0]
        sys.exit(f"{len(disagreements)} verdicts differ, e.g. {records[i]!r}: msgspec {ours[i]}, pydantic {theirs[i]}")

    decoder, adapter = msgspec.json.Decoder(Event), contender.ADAPTER
    clock = {"now_us": NOW_US, "max_ahead_us": MAX_AHEAD_US}
    runs = {
        "decode_event": {
            "msgspec": _loop(lambda v, k: decode_event(v, key=k, **clock), (InvalidEvent,), records),
            "pydantic": _loop(lambda v, k: contender.decode_event(v, key=k, **clock), (contender.Rejected,), records),
        },
        "schema_only": {
            "msgspec": _loop(lambda v, k: decoder.decode(v), (msgspec.MsgspecError, UnicodeDecodeError), records),
            "pydantic": _loop(lambda v, k: adapter.validate_json(v), (pydantic.ValidationError,), records),
        },
    }
    rounds = timed_rounds(runs, len(records), args.rounds)

    def values(name: str, lib: str) -> list[float]:
        return [r["events_per_s"] for r in rounds if (r["figure"], r["library"]) == (name, lib)]

    figures = [
        figure(f"msgspec, {name}", "events/s", values(name, "msgspec"), baseline=("pydantic", values(name, "pydantic")))
        for name in runs
    ]
    result = {
        "records": len(records),
        "rejected": ours.count(None),
        "figures_measured": {
            "decode_event": "the whole pipeline: UTF-8 check, validating parse, key and clock checks",
            "schema_only": "the library's validating parse of the bytes alone",
        },
    }
    path = bench_run.write(result, rounds=rounds, figures=figures)
    print(f"{len(records)} records, {result['rejected']} rejected by both; {args.rounds} rounds")
    for f in figures:
        print(
            f"{f['name']}: best {f['best']:,} ev/s, median {f['median']:,}; pydantic {f['baseline']['best']:,} / {f['baseline']['median']:,}"
        )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
