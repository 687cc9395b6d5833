"""Reports on real Kafka: a messy history gives the reference reports in several zones, for every
group_by and both breakdowns — and the same after `kill -9` and a restart, and after `pingback rebuild`."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx

from analytics.periods import format_instant, local, parse_instant, zone
from analytics.time import DAY_US
from api.report_params import parse_report_request
from events.schema import Event
from pingback.local_kafka import free_port
from tests.support import report_reference as ref
from tests.support.cluster import Deployment, WorkerProcess, now_us, wait_for_figures
from tests.support.commands import run_pingback
from tests.support.history import decode_valid, generate_history
from tests.support.reference import reference_overview

REPORT = "/api/v1/analytics/report"
RETENTION_US = 90 * DAY_US
QUARTER_US = 15 * 60 * 10**6


def cases(t_us: int) -> list[dict[str, str]]:
    """Periods that end before T (so the expected figures do not move while the test runs)."""
    out = []
    for zone_name, group_by, breakdown in [
        ("UTC", "day", "agent"),
        ("Europe/Berlin", "week", "channel"),
        ("Asia/Kathmandu", "hour", None),
        ("America/New_York", "month", "agent"),
        ("Asia/Kolkata", None, "channel"),
    ]:
        today = local(t_us, zone(zone_name)).date()
        days = 2 if group_by == "hour" else 28
        query = {"since": str(today - timedelta(days=days)), "until": str(today), "timezone": zone_name}
        query |= {"compare": "previous"} if group_by != "hour" else {}
        query |= {"group_by": group_by} if group_by else {}
        query |= {"breakdown": breakdown} if breakdown else {}
        out.append(query)
    # ...and one up to now, with a timestamp since (on a quarter hour: SPEC §4 is exact there and at T)
    since_us = (t_us - 3 * DAY_US) // QUARTER_US * QUARTER_US
    out.append({"since": format_instant(since_us, zone("UTC")), "breakdown": "agent"})
    return out


async def wait_for_reports(
    worker: WorkerProcess, tokens: dict[str, str], events: list[Event], timeout_s: float = 180
) -> int:
    """Poll every account's reports until each equals the reference; returns how many were compared."""
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=worker.base_url, timeout=30) as http:
        while True:
            mismatches = []
            for account, token in tokens.items():
                for query in cases(now_us()):
                    try:
                        response = await http.get(
                            f"{REPORT}?{urlencode(query)}", headers={"Authorization": f"Bearer {token}"}
                        )
                    except httpx.TransportError as exc:  # not listening yet
                        mismatches.append((account, query, repr(exc)))
                        continue
                    if response.status_code != 200:
                        mismatches.append((account, query, response.status_code, response.text[:300]))
                        continue
                    # T of the request lies between these two; the reference is taken at the answer's as_of.
                    asked = parse_report_request(
                        list(query.items()), now_us=_instant_us(response.json()["as_of"]), retention_us=RETENTION_US
                    )
                    expected = ref.expected_parts(events, account, asked.query)
                    if ref.comparable(response.json()) != expected:
                        mismatches.append((account, query, "differs"))
            if not mismatches:
                return len(tokens) * len(cases(now_us()))
            assert time.monotonic() < deadline, (
                f"reports never matched the reference: {mismatches[:3]}\n{worker.log_tail()}"
            )
            await asyncio.sleep(1)


def _instant_us(text: str) -> int:
    return parse_instant(text, zone("UTC"))


async def check_the_cli(deployment: Deployment, worker: WorkerProcess, tokens: dict[str, str]) -> None:
    """`pingback report` (with a key it makes and revokes itself) prints what the endpoint answers."""
    account, token = next(iter(tokens.items()))
    today = local(now_us(), zone("UTC")).date()
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
        compared = await wait_for_reports(worker, tokens, events)
        await check_the_cli(deployment, worker, tokens)
    finally:
        worker.kill()  # kill -9: the restart below recovers from local state and changelogs
    assert compared == len(tokens) * 6

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
