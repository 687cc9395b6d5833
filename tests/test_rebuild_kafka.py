"""`pingback rebuild` on real Kafka: refused while a worker runs, then a rebuild from scratch whose API
answers only 503 (with Retry-After) or exactly the reference figures, never anything in between."""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from subprocess import Popen
from typing import Any

import httpx

from pingback.local_kafka import free_port
from tests.support.cluster import OVERVIEW, Deployment, WorkerProcess, handled, metric, now_us, wait_for_figures
from tests.support.commands import run_pingback, start_pingback
from tests.support.history import decode_valid, generate_history
from tests.support.jsonl import write_jsonl
from tests.support.reference import reference_overview
from tests.support.topics import existing_topics, write_times_ms

COMPLETE = re.compile(r"rebuild complete: ([\d,]+) events in [\d.]+ s$", re.M)
REBUILD_TIMEOUT_S = 150


async def poll_while_running(
    process: Popen[bytes], port: int, tokens: dict[str, str], expected: Callable[[str, int], Any]
) -> Counter[str]:
    """Ask for every account's overview, again and again, until `process` exits; fail on a wrong answer."""
    seen: Counter[str] = Counter()
    deadline = time.monotonic() + REBUILD_TIMEOUT_S
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        while process.poll() is None:
            assert time.monotonic() < deadline, "the rebuild did not finish in time"
            for account, token in tokens.items():
                before = expected(account, now_us())
                try:
                    response = await client.get(OVERVIEW, headers={"Authorization": f"Bearer {token}"})
                except httpx.TransportError:
                    seen["no answer"] += 1  # not listening yet, or already gone: not an answer
                    continue
                after = expected(account, now_us())
                if response.status_code == 503:
                    assert response.headers["Retry-After"].isdigit(), response.headers
                    seen["503"] += 1
                else:
                    assert response.status_code == 200, (response.status_code, response.text)
                    assert response.json() in (before, after), (account, response.text, before)
                    seen["exact"] += 1
            await asyncio.sleep(0.02)
    return seen


def changelogs(deployment: Deployment) -> set[str]:
    """Faust's names for the changelogs of the worker's two tables, written out here."""
    return {f"{deployment.name}-app-conversations-changelog", f"{deployment.name}-app-agents-changelog"}


async def test_rebuild_serves_nothing_partial_and_ends_with_the_same_figures(
    kafka: str, unique: str, tmp_path: Path
) -> None:
    deployment = Deployment(kafka, f"rebuild-{unique}", tmp_path)
    history = [record for record in generate_history(now_us=now_us(), accounts=3, events=5000, seed=31) if record.valid]
    events = decode_valid(history)

    def expected(account: str, t: int) -> Any:
        return reference_overview(events, account, t)

    # Keys live in their own topic, which a rebuild keeps.
    tokens = {account: deployment.create_key(account) for account in sorted({e.account_id for e in events})}
    deployment.pingback("import", str(write_jsonl(tmp_path / "history.jsonl", history)))
    worker = deployment.start_worker()
    try:
        await wait_for_figures(worker, tokens, expected)
        refused = run_pingback(deployment, "rebuild", "--yes", "--port", str(free_port()))
        assert refused.returncode == 2 and "stop them all first" in refused.stderr, refused.stderr
        assert changelogs(deployment) <= await existing_topics(kafka)  # a refusal changes nothing
    finally:
        worker.stop()
    for topic in changelogs(deployment):  # what a restore would read back, and a rebuild must delete
        assert await write_times_ms(kafka, topic, deployment.partitions), topic
    unconfirmed = run_pingback(deployment, "rebuild", stdin=b"")
    assert unconfirmed.returncode == 2 and "pass --yes" in unconfirmed.stderr, unconfirmed.stderr
    stale = worker.data_dir / "stale-marker"
    stale.write_text("state from before the rebuild")

    port = free_port()
    rebuild_started_ms = time.time_ns() // 10**6
    with open(tmp_path / "rebuild.out", "wb") as out, open(tmp_path / "rebuild.err", "wb") as err:
        rebuild = start_pingback(
            deployment,
            "rebuild",
            "--yes",
            "--port",
            str(port),
            "--data-dir",
            str(worker.data_dir),
            stdout=out,
            stderr=err,
        )
        try:
            seen = await poll_while_running(rebuild, port, tokens, expected)
        finally:
            if rebuild.poll() is None:
                rebuild.kill()
    stdout = (tmp_path / "rebuild.out").read_text(errors="replace")
    assert rebuild.wait() == 0, stdout + (tmp_path / "rebuild.err").read_text(errors="replace")[-3000:]
    complete = COMPLETE.search(stdout)
    # N counts what the worker folded: every imported event once (none invalid, none keyless).
    assert complete and int(complete[1].replace(",", "")) == len(history), stdout
    assert seen["503"] > 0, seen  # the API was up while rebuilding, and said so
    assert not stale.exists()
    # Rebuilt, not restored: the changelogs were deleted, and hold only what the replay wrote anew.
    for topic in changelogs(deployment):
        written = await write_times_ms(kafka, topic, deployment.partitions)
        assert written and min(written) >= rebuild_started_ms, (
            topic,
            len(written),
            min(written, default=None),
            rebuild_started_ms,
        )
    print(f"\n[rebuild] {len(history)} events; answers while rebuilding: {dict(seen)}")

    # The rebuilt state is the worker's from now on: a normal worker on it serves the same figures.
    after = deployment.start_worker(data_dir=worker.data_dir)
    try:
        await wait_for_figures(after, tokens, expected)
    finally:
        after.stop()

    # --serve: the rebuilding worker goes on as a normal one, serving the rebuilt figures.
    port = free_port()
    with open(tmp_path / "serve.out", "wb") as out, open(tmp_path / "serve.err", "wb") as err:
        serving = start_pingback(
            deployment,
            "rebuild",
            "--yes",
            "--serve",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path / "serve-data"),
            stdout=out,
            stderr=err,
        )
        try:
            view = WorkerProcess(port=port, data_dir=tmp_path / "serve-data", log_path=tmp_path / "serve.err")
            await wait_for_figures(view, tokens, expected, timeout_s=REBUILD_TIMEOUT_S)
            deadline = time.monotonic() + 30
            while not (complete := COMPLETE.search((tmp_path / "serve.out").read_text())):
                assert time.monotonic() < deadline, "serving exact figures, but no end line"
                await asyncio.sleep(0.2)
            assert serving.poll() is None  # still serving after the end line
            # The changelogs that the first rebuild and the worker after it wrote were deleted, not
            # read back into the new local state: every figure comes from folding the events again.
            assert metric(view, "pingback_changelog_records_recovered_total") == 0
            assert handled(view) == int(complete[1].replace(",", "")) == len(history)
            serving.terminate()
            assert serving.wait(timeout=60) == 0
        finally:
            if serving.poll() is None:
                serving.kill()
