"""`pingback import` without a broker: reading inputs (gzip detection, line endings), checking lines,
reporting rejects, batching, and the usage errors that must stop it before it touches Kafka."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest

from pingback import cli
from pingback.import_lines import (
    MAX_LINE_BYTES,
    InputError,
    Invalid,
    LineChecker,
    Source,
    Valid,
    is_gzip,
    location,
    open_source,
)
from pingback.import_report import Counts, Rejects, reject_entry, summary
from streams.batch_sender import BatchSender

NOW_US = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z
CREATED = {
    "event_id": "e1",
    "type": "conversation.created",
    "account_id": "acme",
    "occurred_at": "2025-12-31T23:00:00Z",
    "conversation_id": "c1",
    "channel": "widget",
}
AGENT = {
    "event_id": "e2",
    "type": "agent.status_changed",
    "account_id": "acme",
    "occurred_at": "2025-12-31T23:00:00+01:00",
    "agent_id": "a1",
    "status": "live",
}


def line(event: dict[str, Any], **changes: Any) -> bytes:
    return json.dumps({k: v for k, v in {**event, **changes}.items() if v is not None}).encode()


def stdin_of(data: bytes) -> io.BufferedReader:
    return io.BufferedReader(io.BytesIO(data))  # like sys.stdin.buffer: peekable, not a file on disk


CHECKER = LineChecker(
    conversation_topic="convs", agent_topic="agents", max_ahead_us=300_000_000, clock_us=lambda: NOW_US
)


def test_gzip_is_recognised_by_magic_bytes_or_by_name() -> None:
    assert is_gzip("events.jsonl", gzip.compress(b"{}")[:2])
    assert is_gzip("-", b"\x1f\x8b")
    assert is_gzip("events.jsonl.gz", b"{}")  # by name: a damaged file then fails with a clear message
    assert not is_gzip("events.jsonl", b'{"')
    assert not is_gzip("events.jsonl", b"")


@pytest.mark.parametrize("compress", [False, True])
def test_lines_come_numbered_without_line_endings_bom_or_final_newline(compress: bool) -> None:
    text = b'\xef\xbb\xbf{"a": 1}\r\n\n  \r\n{"b": 2}\n{"c": 3}'
    source = Source("<stdin>", stdin_of(gzip.compress(text) if compress else text), None)
    assert list(source.lines()) == [(1, b'{"a": 1}'), (2, b""), (3, b"  "), (4, b'{"b": 2}'), (5, b'{"c": 3}')]
    assert source.position() == len(text)  # stdin has no size: progress counts the bytes of the lines


def test_files_are_opened_by_name_with_their_size_and_clear_errors(tmp_path: Path) -> None:
    packed = tmp_path / "history.bin"  # gzip without the extension
    packed.write_bytes(gzip.compress(b'{"a": 1}\n'))
    source = open_source(str(packed), stdin_of(b""))
    assert (source.name, source.size) == (str(packed), packed.stat().st_size)
    assert list(source.lines()) == [(1, b'{"a": 1}')]
    assert source.position() == source.size
    source.close()
    assert open_source("-", stdin_of(b"")).name == "<stdin>"
    with pytest.raises(InputError, match=r"^missing\.jsonl: no such file$"):
        open_source("missing.jsonl", stdin_of(b""))
    with pytest.raises(InputError, match="is a directory"):
        open_source(str(tmp_path), stdin_of(b""))


def test_a_damaged_gzip_file_is_an_input_error_naming_it(tmp_path: Path) -> None:
    damaged = tmp_path / "part.jsonl.gz"
    damaged.write_bytes(gzip.compress(b'{"a": 1}\n' * 1000)[:-12])  # cut inside the stream
    source = open_source(str(damaged), stdin_of(b""))
    with pytest.raises(InputError, match=r"^.*part\.jsonl\.gz: cannot read past line \d+"):
        list(source.lines())
    not_gzip = tmp_path / "plain.gz"
    not_gzip.write_bytes(b'{"a": 1}\n')
    with pytest.raises(InputError, match=r"plain\.gz"):
        list(open_source(str(not_gzip), stdin_of(b"")).lines())


def test_valid_lines_go_to_their_type_s_topic_unchanged() -> None:
    created, agent = line(CREATED), line(AGENT)
    assert CHECKER.check(created) == Valid(topic="convs", account_id="acme", value=created)
    assert CHECKER.check(agent) == Valid(topic="agents", account_id="acme", value=agent)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b'{"event_id": "e1", "type": ', "not valid JSON"),
        (line(CREATED, conversation_id=None), "`conversation_id`: required field is missing"),
        (line(CREATED, type="conversation.deleted"), "`type`: unknown event type 'conversation.deleted'"),
        (line(CREATED, occurred_at="2025-12-31T23:00:00"), "`occurred_at`: timestamp needs an offset"),
        (line(CREATED, occurred_at="2026-01-01T00:10:00Z"), "ahead of the processor clock"),
        (b"[1, 2]", "not a JSON object"),
        (line(CREATED, padding="x" * MAX_LINE_BYTES), "Kafka takes records of at most 1,000,000"),
    ],
)
def test_invalid_lines_get_the_worker_s_reason(value: bytes, reason: str) -> None:
    checked = CHECKER.check(value)
    assert isinstance(checked, Invalid) and reason in checked.reason, checked


def test_a_reject_is_reported_as_file_line_reason_then_the_line(tmp_path: Path) -> None:
    assert location("events.jsonl", 17) == "events.jsonl:17"
    assert reject_entry("a.jsonl:3", "not valid JSON: x", b"{\xff") == b"a.jsonl:3: not valid JSON: x\n    {\xff\n"
    shown: list[str] = []
    rejects = Rejects(tmp_path / "rejects.txt", show=shown.append)
    assert not rejects.path.exists()  # created only when something is rejected
    for n in range(1, 8):
        rejects.add(f"a.jsonl:{n}", f"reason {n}", b"bad")
    rejects.close()
    assert shown == [f"rejected a.jsonl:{n}: reason {n}" for n in range(1, 6)]
    assert rejects.path.read_bytes().count(b"\n") == 14
    assert rejects.closing_note().startswith("... and 2 more; all 7 rejected lines")


def test_summary_names_every_count_and_the_rate() -> None:
    counts = Counts(read=12_005, imported=11_000, blank=5)
    assert summary(counts, 1_000, 2.0) == (
        "import: 12,005 lines read (5 blank, skipped), 11,000 imported, 1,000 rejected in 2.0 s (5,500 events/s)"
    )


class FakeBatch:
    def __init__(self) -> None:
        self.records: list[tuple[bytes, bytes]] = []

    def append(self, *, key: bytes, value: bytes, timestamp: None) -> object | None:
        if len(self.records) == 2:
            return None
        self.records.append((key, value))
        return object()


class FakeProducer:
    def __init__(self, error: Exception | None = None) -> None:
        self.sent: list[tuple[str, int, list[bytes]]] = []
        self.error = error

    def create_batch(self) -> FakeBatch:
        return FakeBatch()

    async def send_batch(self, batch: FakeBatch, topic: str, *, partition: int) -> asyncio.Future[object]:
        self.sent.append((topic, partition, [value for _, value in batch.records]))
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        if self.error:
            future.set_exception(self.error)
        else:
            future.set_result(None)
        return future


async def test_batches_fill_per_partition_and_flush_sends_the_rest() -> None:
    producer = FakeProducer()
    sender = BatchSender(producer)  # type: ignore[arg-type]
    for n in range(5):
        await sender.send("t", 0, b"k", b"%d" % n)
    await sender.send("t", 1, b"k", b"x")
    await sender.flush()
    assert producer.sent == [("t", 0, [b"0", b"1"]), ("t", 0, [b"2", b"3"]), ("t", 0, [b"4"]), ("t", 1, [b"x"])]


async def test_a_delivery_error_stops_the_import() -> None:
    sender = BatchSender(FakeProducer(error=RuntimeError("broker said no")))  # type: ignore[arg-type]
    await sender.send("t", 0, b"k", b"v")
    with pytest.raises(RuntimeError, match="broker said no"):
        await sender.flush()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "no-such-file.jsonl"], "no-such-file.jsonl: no such file"),
        (["import", "-", "-"], "standard input (-) can be read only once"),
        (["import", "-", "--rejects", "no-such-dir/rejects.txt"], "no directory no-such-dir"),
    ],
)
def test_usage_errors_exit_2_before_kafka_is_contacted(
    args: list[str], message: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9")  # nothing listens there
    assert cli.main(args) == 2
    assert message in capsys.readouterr().err
