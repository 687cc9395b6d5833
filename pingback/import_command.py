"""`pingback import FILE...` — backfill: events from JSON Lines files onto the event topics.

Each line is one event, checked exactly as the worker checks it (`pingback.import_lines`) and
produced unchanged, keyed by its `account_id`, to the topic of its type. A rejected line is
reported with `file:line` and the reason and skipped; every other line is still imported.
Importing a file again is harmless: the worker deduplicates by `event_id`, so no figure changes.

Exit status: 0 all lines imported, 1 some lines rejected (the rest imported), 2 nothing or only
part imported because of a usage, file or Kafka error (the message says which; importing the
same files again then is the fix, for the reason above).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, KafkaError
from tqdm import tqdm

from events.timestamps import SECOND_US
from pingback.import_lines import STDIN, InputError, LineChecker, Source, Valid, location, open_source
from pingback.import_report import Counts, Rejects, summary
from pingback.progress import progress_bar
from streams.batch_sender import BatchSender
from streams.kafka_preflight import unusable
from streams.partitioning import partitioner
from streams.settings import Settings
from streams.topics import TopicLayoutError, ensure_topics

DEFAULT_REJECTS = Path("import-rejects.txt")
# Lines are read in a thread, a chunk at a time: a stalled stdin pipe then cannot stall the event
# loop, where aiokafka's sender must keep running for batches already handed over.
CHUNK_LINES = 2_000
BATCH_BYTES = 512 * 1024  # well under the broker's default 1 MB request limit
LINGER_MS = 20


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("import", help="import events from JSON Lines files onto the event topics")
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="JSON Lines, one event per line, plain or gzip; - reads standard input"
    )
    parser.add_argument(
        "--rejects",
        type=Path,
        default=DEFAULT_REJECTS,
        help=f"where rejected lines and their reasons go, created only if there are any "
        f"(default: {DEFAULT_REJECTS} in the current directory)",
    )
    parser.set_defaults(run=_run)  # checks Kafka itself, after the usage errors that need none


def _run(args: argparse.Namespace) -> int:
    settings = Settings.from_environ()
    if args.files.count(STDIN) > 1:
        return _fail("standard input (-) can be read only once")
    if not args.rejects.parent.is_dir():
        return _fail(f"--rejects {args.rejects}: no directory {args.rejects.parent}")
    sources: list[Source] = []
    try:
        for name in args.files:  # open all first: a mistyped last name must not leave a half import
            sources.append(open_source(name, sys.stdin.buffer))
    except InputError as exc:
        for source in sources:
            source.close()
        return _fail(str(exc))

    problem = unusable(settings.kafka)  # after the usage checks, which need no Kafka
    if problem is not None:
        for source in sources:
            source.close()
        return _fail(f"cannot use Kafka: {problem}")
    total = None if any(source.size is None for source in sources) else sum(source.size or 0 for source in sources)
    bar = progress_bar(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc="import")
    rejects = Rejects(args.rejects, show=lambda text: bar.write(text, file=sys.stderr))
    importer = Importer(settings, rejects, bar)
    try:
        asyncio.run(importer.run(sources))
    except KafkaConnectionError:
        bar.close()
        unreachable = f"cannot reach Kafka at {settings.bootstrap_servers} (KAFKA_BOOTSTRAP_SERVERS)"
        return _fail(f"{unreachable}\n{importer.stopped()}")
    except (InputError, OSError, KafkaError, TopicLayoutError) as exc:
        bar.close()
        return _fail(f"{exc}\n{importer.stopped()}")
    finally:
        rejects.close()
        for source in sources:
            source.close()
    bar.close()
    print(summary(importer.counts, rejects.count, importer.elapsed_s))
    if rejects.count:
        print(rejects.closing_note(), file=sys.stderr)
        return 1
    return 0


class Importer:
    """Reads the sources in order and produces every valid line, in per-partition batches."""

    def __init__(self, settings: Settings, rejects: Rejects, bar: tqdm) -> None:
        self.settings = settings
        self.counts = Counts()
        self.elapsed_s = 0.0
        self._rejects = rejects
        self._bar = bar
        self._partition_of = partitioner(settings.partitions)  # cached per account id
        # The worker's own clock rule: `occurred_at` at most max_ahead_s ahead of the wall clock.
        self._checker = LineChecker(
            conversation_topic=settings.conversation_topic,
            agent_topic=settings.agent_topic,
            max_ahead_us=settings.max_ahead_s * SECOND_US,
            clock_us=lambda: time.time_ns() // 1000,
        )

    def stopped(self) -> str:
        """What an import that failed half-way leaves behind, and why running it again is the fix."""
        if not self.counts.read:
            return "nothing was imported"
        return (
            f"stopped after {self.counts.read:,} lines; importing the same files again is safe "
            f"(events already imported change nothing)"
        )

    async def run(self, sources: list[Source]) -> None:
        await ensure_topics(self.settings)  # with the partition count the workers expect
        producer = AIOKafkaProducer(
            **self.settings.kafka.client_options(),
            acks="all",
            linger_ms=LINGER_MS,
            max_batch_size=BATCH_BYTES,
            # The event topics are kept forever. On this JSON, zstd (level 3) is ~6x smaller at a
            # quarter of the CPU of aiokafka's lz4 (level 9, ~5x); gzip is ~8x but 25x slower.
            compression_type="zstd",
        )
        await producer.start()
        started = time.monotonic()
        try:
            sender = BatchSender(producer)
            for source in sources:
                await self._import(source, sender, started)
            await sender.flush()
        finally:
            await producer.stop()
            self.elapsed_s = time.monotonic() - started

    async def _import(self, source: Source, sender: BatchSender, started: float) -> None:
        lines = source.lines()
        position = 0
        while chunk := await asyncio.to_thread(_take, lines, CHUNK_LINES):
            for number, line in chunk:
                self.counts.read += 1
                if not line.strip():
                    self.counts.blank += 1
                    continue
                checked = self._checker.check(line)
                if isinstance(checked, Valid):
                    partition = self._partition_of(checked.account_id)
                    await sender.send(checked.topic, partition, checked.account_id.encode(), checked.value)
                    self.counts.imported += 1
                else:
                    self._rejects.add(location(source.name, number), checked.reason, line)
            self._bar.update(source.position() - position)
            position = source.position()
            rate = self.counts.imported / max(time.monotonic() - started, 1e-9)
            self._bar.set_postfix_str(f"{self.counts.imported:,} events, {rate:,.0f} events/s", refresh=False)


def _take(lines: Iterator[tuple[int, bytes]], n: int) -> list[tuple[int, bytes]]:
    return list(itertools.islice(lines, n))


def _fail(message: str) -> int:
    print(f"pingback import: {message}", file=sys.stderr)
    return 2
