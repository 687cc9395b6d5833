"""`pingback import` on real Kafka: imported history gives the reference figures, a second import
changes none, and broken lines (in a plain file, a gzip file and gzipped stdin) are each reported
with file:line and reason while every good line is still imported."""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import time
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from streams.reset import read_event_log
from streams.settings import Settings
from tests.support.cluster import Deployment, now_us, wait_for_figures
from tests.support.commands import run_pingback
from tests.support.history import decode_valid, generate_history
from tests.support.jsonl import write_jsonl
from tests.support.reference import reference_overview

SUMMARY = re.compile(
    r"^import: (?P<read>[\d,]+) lines read(?: \((?P<blank>[\d,]+) blank, skipped\))?, (?P<imported>[\d,]+) imported, "
    r"(?P<rejected>[\d,]+) rejected in [\d.]+ s \((?P<rate>[\d,]+) events/s\)$",
    re.M,
)


def summary_counts(stdout: str) -> dict[str, int]:
    found = SUMMARY.search(stdout)
    assert found, stdout
    return {name: int((value or "0").replace(",", "")) for name, value in found.groupdict().items()}


async def wait_until_folded(settings: Settings, timeout_s: float = 120) -> float:
    """Seconds until the worker's group has committed everything now in the event topics."""
    started = time.monotonic()
    log = await read_event_log(settings)
    admin = AIOKafkaAdminClient(**settings.kafka.client_options())
    await admin.start()
    try:
        while log.remaining(await admin.list_consumer_group_offsets(settings.app_id)):
            assert time.monotonic() - started < timeout_s, "the worker did not fold the import in time"
            await asyncio.sleep(0.2)
    finally:
        await admin.close()
    return time.monotonic() - started


async def test_imported_history_gives_reference_figures_and_a_second_import_changes_none(
    kafka: str, unique: str, tmp_path: Path
) -> None:
    deployment = Deployment(kafka, f"import-{unique}", tmp_path)
    history = [record for record in generate_history(now_us=now_us(), accounts=3, events=4000, seed=11) if record.valid]
    events = decode_valid(history)
    path = write_jsonl(tmp_path / "history.jsonl", history)
    tokens = {account: deployment.create_key(account) for account in sorted({e.account_id for e in events})}

    first = run_pingback(deployment, "import", str(path), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    counts = summary_counts(first.stdout)
    everything = {"read": len(history), "imported": len(history), "rejected": 0, "blank": 0}
    assert counts | {"rate": 0} == everything | {"rate": 0}
    assert not (tmp_path / "import-rejects.txt").exists()  # created only when a line is rejected

    worker = deployment.start_worker()
    try:
        await wait_for_figures(worker, tokens, lambda account, t: reference_overview(events, account, t))

        second = run_pingback(deployment, "import", str(path), cwd=tmp_path)
        assert second.returncode == 0, second.stderr
        assert summary_counts(second.stdout)["imported"] == len(history)
        settings = Settings.from_environ(deployment.env())
        fold_s = await wait_until_folded(settings)
        assert (await read_event_log(settings)).records == 2 * len(history)  # every event twice now...
        # ...and, all folded, the figures are still the reference's of the events once (no retrying them long).
        await wait_for_figures(worker, tokens, lambda account, t: reference_overview(events, account, t), timeout_s=15)
        print(
            f"\n[import] {len(history)} events: import {counts['rate']:,} events/s; "
            f"the worker folded the second copy at ≈ {len(history) / fold_s:,.0f} events/s"
        )
    finally:
        worker.stop()


def _broken(valid_line: bytes) -> dict[str, tuple[bytes, str]]:
    """One broken line of each kind, made from a valid one, with a piece of the reason it must get."""
    event = json.loads(valid_line)

    def variant(**changes: object) -> bytes:
        body = {**event, "event_id": f"broken-{sorted(changes)[0]}", **changes}
        return json.dumps({k: v for k, v in body.items() if v is not None}).encode()

    return {
        "bad json": (b'{"event_id": "broken-json", "type": ', "not valid JSON"),
        "missing field": (variant(account_id=None), "`account_id`: required field is missing"),
        "unknown type": (variant(type="conversation.deleted"), "unknown event type 'conversation.deleted'"),
        "bad timestamp": (variant(occurred_at="2026-01-01T10:00:00"), "timestamp needs an offset"),
        "not an object": (b'["conversation.created"]', "not a JSON object"),
        "from the future": (variant(occurred_at="2099-01-01T00:00:00Z"), "ahead of the processor clock"),
    }


async def test_broken_lines_are_reported_with_file_and_line_and_good_lines_imported(
    kafka: str, unique: str, tmp_path: Path
) -> None:
    deployment = Deployment(kafka, f"import-broken-{unique}", tmp_path)
    good = [record for record in generate_history(now_us=now_us(), accounts=2, events=900, seed=23) if record.valid]
    events = decode_valid(good)
    broken = _broken(good[0].value)
    third = len(good) // 3
    # Each input: (name as given, its lines); the broken ones at known line numbers, blank lines around.
    plain = [r.value for r in good[:third]]
    plain[2:2] = [broken["bad json"][0], b"", broken["missing field"][0]]
    plain.insert(10, b"   ")
    packed = [r.value for r in good[third : 2 * third]]
    packed[0:0] = [broken["unknown type"][0]]
    packed.insert(7, broken["bad timestamp"][0])
    piped = [r.value for r in good[2 * third :]]
    piped[4:4] = [broken["not an object"][0], broken["from the future"][0]]
    (tmp_path / "part-1.jsonl").write_bytes(b"\r\n".join(plain) + b"\r\n")  # CRLF, as Windows tools write it
    (tmp_path / "part-2.jsonl.gz").write_bytes(gzip.compress(b"\n".join(packed)))  # no final newline
    expected = {
        "part-1.jsonl:3": broken["bad json"],
        "part-1.jsonl:5": broken["missing field"],
        "part-2.jsonl.gz:1": broken["unknown type"],
        "part-2.jsonl.gz:8": broken["bad timestamp"],
        "<stdin>:5": broken["not an object"],
        "<stdin>:6": broken["from the future"],
    }
    tokens = {account: deployment.create_key(account) for account in sorted({e.account_id for e in events})}

    # stdin is gzip too, found by its magic bytes alone; the rejects file lands in the working directory.
    result = run_pingback(
        deployment,
        "import",
        "part-1.jsonl",
        "part-2.jsonl.gz",
        "-",
        stdin=gzip.compress(b"\n".join(piped) + b"\n"),
        cwd=tmp_path,
    )

    assert result.returncode == 1, result.stderr
    assert summary_counts(result.stdout) | {"rate": 0} == {
        "read": len(good) + len(expected) + 2,
        "blank": 2,
        "imported": len(good),
        "rejected": len(expected),
        "rate": 0,
    }
    # tqdm.write clears the bar with carriage returns before each line it shows.
    pieces = [piece.strip() for piece in re.split(r"[\r\n]", result.stderr)]
    shown = [piece.removeprefix("rejected ").split(": ", 1) for piece in pieces if piece.startswith("rejected ")]
    assert [where for where, _ in shown] == list(expected)[:5]  # the first few, in reading order
    assert all(expected[where][1] in reason for where, reason in shown), shown
    assert "... and 1 more; all 6 rejected lines, with file:line and the reason, are in import-rejects.txt" in (
        result.stderr
    )
    entries = (tmp_path / "import-rejects.txt").read_bytes().decode().split("\n")[:-1]
    # Each entry: "file:line: reason", then the line itself, indented.
    reported = {
        where: (reason, text)
        for (where, reason), text in zip((entry.split(": ", 1) for entry in entries[0::2]), entries[1::2], strict=True)
    }
    assert reported.keys() == expected.keys()
    for where, (line, reason) in expected.items():
        assert reason in reported[where][0], (where, reported[where])
        assert reported[where][1] == "    " + line.decode(), where  # the line itself, to fix and re-import

    worker = deployment.start_worker()
    try:
        await wait_for_figures(worker, tokens, lambda account, t: reference_overview(events, account, t))
    finally:
        worker.stop()
