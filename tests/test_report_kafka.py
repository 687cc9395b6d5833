"""Reports on real Kafka: a messy history gives the reference reports in several zones, for every
group_by and both breakdowns — and the same after `kill -9` and a restart, and after `pingback rebuild`."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from events.schema import Event
from pingback.local_kafka import free_port
from tests.support import report_reference as ref
from tests.support.cluster import Deployment, WorkerProcess, now_us, wait_for_figures
from tests.support.commands import run_pingback
from tests.support.history import DAY_US, decode_valid, generate_history
from tests.support.reference import reference_overview
from tests.support.report_periods import QUARTER_HOUR_US, ReportCase, instant_us, local_date, midnight_us, utc_text

REPORT = "/api/v1/analytics/report"


def cases(t_us: int) -> list[ReportCase]:
    """Periods that end before T (so the expected figures do not move while the test runs), each
    with its instants worked out by tests.support.report_periods, not by the code under test."""
    out = []
    for zone_name, group_by, breakdown in [
        ("UTC", "day", "agent"),
        ("Europe/Berlin", "week", "channel"),
        ("Asia/Kathmandu", "hour", None),
        ("America/New_York", "month", "agent"),
        ("Asia/Kolkata", None, "channel"),
    ]:
        today = local_date(t_us, zone_name)
        since = today - timedelta(days=2 if group_by == "hour" else 28)
        params = {"since": str(since), "until": str(today), "timezone": zone_name}
        compare = group_by != "hour"
        params |= {"compare": "previous"} if compare else {}
        params |= {"group_by": group_by} if group_by else {}
        params |= {"breakdown": breakdown} if breakdown else {}
        since_us, until_us = midnight_us(since, zone_name), midnight_us(today, zone_name)
        out.append(ReportCase(params, zone_name, since_us, until_us, group_by, breakdown, compare))
    # ...and one up to now, from a timestamp (on a quarter hour, where every figure is exact)
    since_us = (t_us - 3 * DAY_US) // QUARTER_HOUR_US * QUARTER_HOUR_US
    out.append(ReportCase({"since": utc_text(since_us), "breakdown": "agent"}, "UTC", since_us, None, None, "agent"))
    return out


def edges(answer: dict[str, Any]) -> tuple[int, ...]:
    """The instants an answer echoes: since, until, and each series period's start and end."""
    series = [(instant_us(p["start"]), instant_us(p["end"])) for p in answer.get("series", [])]
    return (instant_us(answer["since"]), instant_us(answer["until"]), *(t for period in series for t in period))


def expected_edges(case: ReportCase, now_us: int) -> tuple[int, ...]:
    query = case.expected(now_us)
    bounds = query.series_bounds or ()
    return (query.since_us, query.until_us, *(t for pair in itertools.pairwise(bounds) for t in pair))


Compared = list[tuple[str, ReportCase, dict[str, Any]]]


async def wait_for_reports(
    worker: WorkerProcess, tokens: dict[str, str], events: list[Event], timeout_s: float = 180
) -> Compared:
    """Poll every account's reports until each equals the reference; returns what they were compared with."""
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=worker.base_url, timeout=30) as http:
        while True:
            mismatches, compared = [], []
            for account, token in tokens.items():
                for case in cases(now_us()):
                    try:
                        response = await http.get(
                            f"{REPORT}?{urlencode(case.params)}", headers={"Authorization": f"Bearer {token}"}
                        )
                    except httpx.TransportError as exc:  # not listening yet
                        mismatches.append((account, case.params, repr(exc)))
                        continue
                    if response.status_code != 200:
                        mismatches.append((account, case.params, response.status_code, response.text[:300]))
                        continue
                    # T of the request is the answer's as_of; the reference is taken at that instant.
                    answer = response.json()
                    as_of = instant_us(answer["as_of"])
                    expected = ref.expected_parts(events, account, case.expected(as_of))
                    compared.append((account, case, expected))
                    if edges(answer) != expected_edges(case, as_of):
                        mismatches.append((account, case.params, "periods differ", edges(answer)))
                    elif ref.comparable(answer) != expected:
                        mismatches.append((account, case.params, "figures differ"))
            if not mismatches:
                return compared
            assert time.monotonic() < deadline, (
                f"reports never matched the reference: {mismatches[:3]}\n{worker.log_tail()}"
            )
            await asyncio.sleep(1)


def assert_not_vacuous(compared: Compared) -> None:
    """Every kind of query was matched against figures that were there to get wrong, not zeros."""
    for label in {str(case.params) for _, case, _ in compared}:
        parts = [expected for _, case, expected in compared if str(case.params) == label]
        case = next(case for _, case, _ in compared if str(case.params) == label)
        assert sum(p["totals"]["total_conversations"] for p in parts) > 0, label
        if case.breakdown:
            assert any(p["breakdown"] for p in parts), label
        if case.group_by:
            assert sum(1 for p in parts for period in p["series"] if period["total_conversations"]) > 1, label
        if case.compare:
            assert sum(p["previous"]["totals"]["total_conversations"] for p in parts) > 0, label


async def check_the_cli(deployment: Deployment, worker: WorkerProcess, tokens: dict[str, str]) -> None:
    """`pingback report` (with a key it makes and revokes itself) prints what the endpoint answers."""
    account, token = next(iter(tokens.items()))
    today = local_date(now_us(), "UTC")
    since, until = str(today - timedelta(days=20)), str(today - timedelta(days=1))
    for options in (["--group-by", "day"], ["--breakdown", "agent"]):
        args = ["--since", since, "--until", until, "--format", "csv", *options]
        cli = run_pingback(deployment, "report", "--account", account, "--url", worker.base_url, *args)
        assert cli.returncode == 0, cli.stderr
        query = {"since": since, "until": until, "format": "csv", options[0][2:].replace("-", "_"): options[1]}
        direct = httpx.get(f"{worker.base_url}{REPORT}", params=query, headers={"Authorization": f"Bearer {token}"})
        assert cli.stdout == direct.text and cli.stdout.count("\n") > 1
    refused = run_pingback(deployment, "report", "--account", account, "--url", worker.base_url, "--since", "tomorrow")
    assert refused.returncode == 2 and "invalid_parameter" in refused.stderr


async def test_reports_equal_the_reference_across_restart_and_rebuild(kafka: str, unique: str, tmp_path: Path) -> None:
    deployment = Deployment(kafka, f"reports-{unique}", tmp_path)
    history = generate_history(now_us=now_us(), accounts=4, events=10_000, seed=23)
    events = decode_valid(history)
    tokens = {account: deployment.create_key(account) for account in sorted({e.account_id for e in events})}
    await deployment.produce(history)
    data_dir = tmp_path / "state"

    worker = deployment.start_worker(data_dir=data_dir)
    try:
        await wait_for_figures(worker, tokens, lambda account, t: reference_overview(events, account, t))
        assert_not_vacuous(await wait_for_reports(worker, tokens, events))
        await check_the_cli(deployment, worker, tokens)
    finally:
        worker.kill()  # kill -9: the restart below recovers from local state and changelogs

    restarted = deployment.start_worker(data_dir=data_dir)
    try:
        await wait_for_reports(restarted, tokens, events)
    finally:
        restarted.stop()

    rebuilt = run_pingback(deployment, "rebuild", "--yes", "--port", str(free_port()), "--data-dir", str(data_dir))
    assert rebuilt.returncode == 0, rebuilt.stdout[-2000:] + rebuilt.stderr[-2000:]
    after = deployment.start_worker(data_dir=data_dir)
    try:
        await wait_for_reports(after, tokens, events)
    finally:
        after.stop()
