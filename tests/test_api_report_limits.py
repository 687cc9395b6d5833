"""How reports are run, over HTTP in-process: off the event loop, capped per account (429), shared by boards.

The source's computations block their thread until the test opens a gate (`GatedReports`), so
"still running" is a state the test holds, never a race; waits are on conditions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import jsonschema
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette

from analytics.figures import Report
from analytics.report import ReportQuery
from api import OwnedElsewhere, create_app
from api.ports import ReportSource
from api.report import ReportSettings
from api.report_pool import ReportLimits
from tests.support.api_fakes import SAMPLE_OVERVIEW, FakeKeys, FakeOverviews, FakeReadiness, bearer, client
from tests.support.builders import T_US
from tests.support.gated_reports import GENEROUS_S, GatedReports

REPORT = "/api/v1/analytics/report"
OVERVIEW = "/api/v1/analytics/overview"
TODAY = "since=2025-06-01&until=2025-06-02&group_by=hour&breakdown=agent"
SECOND_US = 1_000_000


class Clock:
    def __init__(self) -> None:
        self.now_us = T_US

    def __call__(self) -> int:
        return self.now_us


def make(
    source: ReportSource,
    limits: ReportLimits,
    clock: Callable[[], int] = lambda: T_US,
    keys: FakeKeys | None = None,
    forwarding: httpx.AsyncClient | None = None,
) -> tuple[Starlette, dict[str, str]]:
    """An app answering reports from `source`; the tokens of acme and globex (issued in `keys`)."""
    keys = keys or FakeKeys()
    tokens = {account: keys.issue(account) for account in ("acme", "globex")}
    app = create_app(
        overviews=FakeOverviews({"acme": SAMPLE_OVERVIEW, "globex": SAMPLE_OVERVIEW}),
        keys=keys,
        readiness=FakeReadiness(),
        registry=CollectorRegistry(),
        forwarding=forwarding,
        reports=(source, ReportSettings(retention_us=90 * 86_400 * SECOND_US, clock_us=clock, limits=limits)),
    )
    return app, tokens


async def started(source: GatedReports, count: int) -> None:
    """Until `count` more computations are running in their threads."""
    await asyncio.to_thread(source.wait_running, count)


def ask(http: httpx.AsyncClient, token: str, query: str = TODAY) -> Awaitable[httpx.Response]:
    return asyncio.ensure_future(http.get(f"{REPORT}?{query}", headers=bearer(token)))


async def test_a_flood_of_one_accounts_reports_gets_429_while_others_are_answered() -> None:
    source = GatedReports()
    app, tokens = make(source, ReportLimits(threads=2, per_account=2, total=16))
    async with client(app) as http:
        # Two distinct questions (the same one would be shared): acme's cap of two is taken.
        held = [ask(http, tokens["acme"], TODAY), ask(http, tokens["acme"], "since=2025-05-01")]
        await started(source, 2)
        refused = await http.get(f"{REPORT}?since=2025-05-02", headers=bearer(tokens["acme"]))
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "1" and refused.headers["cache-control"] == "no-store"
        body = refused.json()
        assert body["error"] == "too_many_requests" and "2 report(s)" in body["message"]
        document = (await http.get("/openapi.json")).json()
        documented = document["paths"][REPORT]["get"]["responses"]["429"]
        assert set(documented["headers"]) == {"Retry-After", "Cache-Control"}
        schema = documented["content"]["application/json"]["schema"] | {"components": document["components"]}
        jsonschema.Draft202012Validator(schema).validate(body)
        # Another account is admitted (it waits for a thread, not for acme's cap), and the
        # overview keeps answering on the loop while every report thread is busy.
        other = ask(http, tokens["globex"])
        overview = await http.get(OVERVIEW, headers=bearer(tokens["globex"]))
        assert overview.status_code == 200 and overview.json() == SAMPLE_OVERVIEW
        source.gate.set()
        assert [(await answer).status_code for answer in [*held, other]] == [200, 200, 200]
        # Done, the slots are free again.
        assert (await http.get(f"{REPORT}?since=2025-05-02", headers=bearer(tokens["acme"]))).status_code == 200
        assert source.prepared == {"acme": 3, "globex": 1}  # the refused request prepared nothing
        metrics = (await http.get("/metrics")).text
        assert 'pingback_report_refusals_total{cap="account"} 1.0' in metrics
        assert "pingback_report_computations_total 4.0" in metrics


async def test_the_worker_cap_refuses_every_account_beyond_it() -> None:
    source = GatedReports()
    app, tokens = make(source, ReportLimits(threads=1, per_account=2, total=2))
    async with client(app) as http:
        held = [ask(http, tokens["acme"]), ask(http, tokens["globex"])]
        await started(source, 1)  # one runs, the other is queued: both count
        refused = await http.get(f"{REPORT}?since=2025-05-02", headers=bearer(tokens["globex"]))
        assert refused.status_code == 429 and "this worker" in refused.json()["message"]
        source.gate.set()
        assert [(await answer).status_code for answer in held] == [200, 200]


async def test_a_failed_report_is_a_500_and_frees_its_slot() -> None:
    source = GatedReports(gated=False)
    source.fail_with = RuntimeError("boom")
    app, tokens = make(source, ReportLimits(threads=1, per_account=1, total=1))
    async with client(app) as http:
        failed = await http.get(f"{REPORT}?{TODAY}", headers=bearer(tokens["acme"]))
        assert failed.status_code == 500 and failed.json()["error"] == "internal_error"
        source.fail_with = None
        async with asyncio.timeout(GENEROUS_S):  # the slot comes back once the thread has ended
            while (answer := await http.get(f"{REPORT}?{TODAY}", headers=bearer(tokens["acme"]))).status_code == 429:
                await asyncio.sleep(0.01)
        assert answer.status_code == 200


async def test_the_report_runs_off_the_loop() -> None:
    """While a report's thread is blocked, the same app answers the overview (the loop is free)."""
    source = GatedReports()
    app, tokens = make(source, ReportLimits(threads=1, per_account=1, total=1))
    async with client(app) as http:
        report = ask(http, tokens["acme"])
        await started(source, 1)
        overview = await http.get(OVERVIEW, headers=bearer(tokens["acme"]))
        assert overview.status_code == 200
        assert not report.done()  # the report is still in its thread, which is what kept the loop free
        source.gate.set()
        assert (await report).status_code == 200


async def test_boards_asking_the_same_report_share_one_computation_per_change() -> None:
    source = GatedReports()
    clock = Clock()
    app, tokens = make(source, ReportLimits(threads=2, per_account=2, total=16), clock)
    boards = 50
    async with client(app) as http:
        first = [ask(http, tokens["acme"]) for _ in range(boards)]
        await started(source, 1)
        source.gate.set()
        answers = [await answer for answer in first]
        assert {answer.status_code for answer in answers} == {200}
        assert source.prepared["acme"] == 1  # 50 boards, one computation
        assert len({answer.content for answer in answers}) == 1
        # Unchanged data a moment later: the same answer, still saying the T it was computed for.
        clock.now_us += SECOND_US // 2
        again = await http.get(f"{REPORT}?{TODAY}", headers=bearer(tokens["acme"]))
        assert again.content == answers[0].content and source.prepared["acme"] == 1
        # The data changed: one computation more for all boards, as of the new T.
        source.versions["acme"] += 1
        changed = await asyncio.gather(*(ask(http, tokens["acme"]) for _ in range(boards)))
        assert source.prepared["acme"] == 2
        assert {answer.json()["as_of"] for answer in changed} == {"2025-06-01T12:34:57.289000+00:00"}
        # Another question (here: CSV of the same period) is a computation of its own.
        csv = await http.get(f"{REPORT}?since=2025-06-01&until=2025-06-02&format=csv", headers=bearer(tokens["acme"]))
        assert csv.status_code == 200 and source.prepared["acme"] == 3
        # Unchanged data but a second later: the answer is too old to share, computed afresh.
        clock.now_us += SECOND_US
        later = await http.get(f"{REPORT}?{TODAY}", headers=bearer(tokens["acme"]))
        assert later.json()["as_of"] == "2025-06-01T12:34:58.289000+00:00" and source.prepared["acme"] == 4


async def test_requests_arriving_during_an_older_computation_share_the_next_one() -> None:
    """However fast the data moves, one question is computed once at a time, and nobody gets data older than it saw."""
    source = GatedReports()
    app, tokens = make(source, ReportLimits(threads=2, per_account=2, total=16))
    async with client(app) as http:
        early = ask(http, tokens["acme"])
        await started(source, 1)
        late = []
        for _ in range(20):  # the data changes between every two of these requests
            source.versions["acme"] += 1
            late.append(ask(http, tokens["acme"]))
        async with asyncio.timeout(GENEROUS_S):
            while source.version_reads < 2 + len(late):  # the early one and its start, then each late one
                await asyncio.sleep(0.01)
        assert source.prepared["acme"] == 1  # all 20 wait: none computes beside the running one
        source.gate.set()
        assert (await early).status_code == 200
        assert {(await answer).status_code for answer in late} == {200}
        assert source.prepared["acme"] == 2  # the follow-up, started after all of them had arrived


class OwnedByAnother:
    """The report source of a worker that owns no account: every account lives at the owner."""

    def version(self, account_id: str) -> int:
        raise OwnedElsewhere("http://owner:6066")

    def prepare_report(self, account_id: str, query: ReportQuery) -> Callable[[], Report]:
        raise OwnedElsewhere("http://owner:6066")


async def test_forwarded_reports_are_capped_by_the_owner_alone() -> None:
    source = GatedReports()
    keys = FakeKeys()
    owner, _ = make(source, ReportLimits(threads=1, per_account=1, total=4), keys=keys)
    # The worker asked has the smallest caps: forwarded reports must not count against them.
    to_owner = httpx.AsyncClient(transport=httpx.ASGITransport(app=owner))
    asked, tokens = make(
        OwnedByAnother(), ReportLimits(threads=1, per_account=1, total=1), keys=keys, forwarding=to_owner
    )
    async with client(asked) as http:
        held = ask(http, tokens["acme"])
        await started(source, 1)
        refused = await http.get(f"{REPORT}?since=2025-05-01", headers=bearer(tokens["acme"]))
        assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
        assert refused.json()["error"] == "too_many_requests"
        other = ask(http, tokens["globex"])  # admitted by the owner; waits for its one thread
        source.gate.set()
        assert [(await held).status_code, (await other).status_code] == [200, 200]
    assert source.prepared == {"acme": 1, "globex": 1}
