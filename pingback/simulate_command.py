"""`pingback simulate` — send realistic live support traffic for a few accounts to the event topics.

The traffic itself comes from `pingback.simulate` (pure, seeded); this module only sends it with
aiokafka, paced by the wall clock, and reports progress on one line.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from aiokafka import AIOKafkaProducer

from pingback.simulate import Record, TrafficSimulator
from streams.settings import Settings
from streams.topics import ensure_topics

TICK_S = 0.1  # live events leave at most this late
BATCH = 5_000  # backfill records in flight before waiting for the broker's acknowledgements


N = TypeVar("N", int, float)


def _number(kind: Callable[[str], N], low: float, *, low_allowed: bool) -> Callable[[str], N]:
    """An argparse type: a number of `kind` above `low` (or equal to it when `low_allowed`)."""
    bound = "at least" if low_allowed else "more than"

    def parse(text: str) -> N:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value < low or (value == low and not low_allowed):
            raise argparse.ArgumentTypeError(f"must be {bound} {low:g}, got {text}")
        return value

    return parse


def register(subparsers: argparse._SubParsersAction) -> None:
    simulate = subparsers.add_parser("simulate", help="send realistic live support traffic to the event topics")
    count, positive = _number(int, 1, low_allowed=True), _number(float, 0, low_allowed=False)
    option = simulate.add_argument
    option("--accounts", type=count, default=3, help="how many accounts (default 3)")
    option(
        "--rate",
        type=positive,
        default=20.0,
        help="average events per second over all accounts, shaped by "
        "each account's time of day and weekday (default 20)",
    )
    option("--duration", type=positive, default=None, help="seconds of live traffic (default: until Ctrl-C)")
    option("--seed", type=int, default=None, help="make the traffic repeatable (default: random)")
    option(
        "--backfill-days",
        type=_number(float, 0, low_allowed=True),
        default=0.0,
        help="first send this many days of history, as fast as Kafka takes it",
    )
    option(
        "--backfill-per-day",
        type=positive,
        default=150.0,
        help="conversations per account per day in that history (default 150)",
    )
    simulate.set_defaults(run=_run, uses_kafka=True)


def _run(args: argparse.Namespace) -> int:
    settings = Settings.from_environ()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    simulator = TrafficSimulator(
        accounts=args.accounts,
        rate=args.rate,
        clock=time.time,
        seed=seed,
        conversation_topic=settings.conversation_topic,
        agent_topic=settings.agent_topic,
        backfill_days=args.backfill_days,
        backfill_per_day=args.backfill_per_day,
    )
    names = ", ".join(simulator.accounts)
    print(f"simulate: accounts {names} (seed {seed}) -> {settings.bootstrap_servers}")
    asyncio.run(_simulate(settings, simulator, args.duration, Progress()))
    return 0


async def _simulate(
    settings: Settings, simulator: TrafficSimulator, duration: float | None, progress: Progress
) -> None:
    await ensure_topics(settings)  # with the partition count the workers expect, not the broker's default
    producer = AIOKafkaProducer(**settings.kafka.client_options(), linger_ms=20, acks="all")
    await producer.start()
    try:
        await _send(producer, simulator.backfill(), progress, backfill=True)
        progress.live_from = time.monotonic()
        deadline = None if duration is None else time.monotonic() + duration
        while deadline is None or time.monotonic() < deadline:
            await _send(producer, simulator.due(), progress, backfill=False)
            await asyncio.sleep(TICK_S)
    except asyncio.CancelledError:
        pass  # Ctrl-C: asyncio.run cancels this task; stopping is the normal way to end an open run
    finally:
        await producer.stop()  # flushes what is still buffered
        progress.finish()


async def _send(producer: AIOKafkaProducer, records: Iterable[Record], progress: Progress, *, backfill: bool) -> None:
    pending = []
    for topic, key, value in records:
        pending.append(await producer.send(topic, value, key=key))
        if len(pending) >= BATCH:
            await asyncio.gather(*pending)  # bounded memory, and a broker error surfaces here
            progress.sent(len(pending), backfill)
            pending.clear()
    await asyncio.gather(*pending)
    progress.sent(len(pending), backfill)


class Progress:
    """One line, rewritten in place on a terminal; only the summary otherwise."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.live_from: float | None = None
        self.history = 0
        self.live = 0
        self._shown = 0.0
        self._tty = sys.stdout.isatty()

    def sent(self, count: int, backfill: bool) -> None:
        if backfill:
            self.history += count
        else:
            self.live += count
        if self._tty and time.monotonic() - self._shown >= 0.5:
            self._shown = time.monotonic()
            print(f"\r{self.line()}\033[K", end="", flush=True)

    def line(self) -> str:
        parts = [f"simulate: {self.history + self.live:,} events sent"]
        if self.history:
            parts.append(f"{self.history:,} history")
        if self.live_from is not None:
            live_s = max(time.monotonic() - self.live_from, 1e-9)
            parts.append(f"{self.live:,} live in {live_s:,.0f} s ({self.live / live_s:.1f}/s)")
        return " · ".join(parts)

    def finish(self) -> None:
        print(f"\r{self.line()}\033[K" if self._tty else self.line())
