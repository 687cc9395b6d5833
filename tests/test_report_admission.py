"""The caps on report work: the pure admission rule (a table), and the pool that holds a slot per computation."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from prometheus_client import CollectorRegistry

from api.ports import NotReady
from api.report_admission import ReportAdmission
from api.report_pool import ReportLimits, ReportPool, TooManyReports
from tests.support.gated_reports import GENEROUS_S

# Steps: ("admit", account, admitted?) or ("release", account); caps: 2 per account, 3 in all.
TABLE = [
    (
        "the account's cap reached: refused; another account still admitted",
        [("admit", "a", True), ("admit", "a", True), ("admit", "a", False), ("admit", "b", True)],
    ),
    (
        "a slot given back is free again",
        [("admit", "a", True), ("admit", "a", True), ("release", "a"), ("admit", "a", True), ("admit", "a", False)],
    ),
    (
        "the worker's cap reached: refused for every account, even one holding nothing",
        [("admit", "a", True), ("admit", "a", True), ("admit", "b", True), ("admit", "c", False)],
    ),
    (
        "a refusal takes nothing",
        [("admit", "a", True), ("admit", "a", True), ("admit", "a", False), ("release", "a"), ("admit", "a", True)],
    ),
    (
        "a slot freed by another account makes room under the worker's cap",
        [("admit", "a", True), ("admit", "b", True), ("admit", "c", True), ("release", "b"), ("admit", "c", True)],
    ),
]


@pytest.mark.parametrize(("case", "steps"), TABLE, ids=[case for case, _ in TABLE])
def test_admission(case: str, steps: list[tuple[object, ...]]) -> None:
    admission = ReportAdmission(per_account=2, total=3)
    held: Counter[str] = Counter()
    for step in steps:
        account = str(step[1])
        if step[0] == "release":
            admission.release(account)
            held[account] -= 1
        else:
            assert (admission.admit(account) is None) == step[2], (case, step)
            held[account] += step[2] is True
        assert {a: admission.held(a) for a in held} == dict(held)
        assert admission.held() == held.total()


def test_the_refusal_says_which_cap() -> None:
    admission = ReportAdmission(per_account=1, total=2)
    assert admission.admit("a") is None
    per_account = admission.admit("a")
    assert per_account is not None and "this account" in per_account.message
    assert admission.admit("b") is None
    worker = admission.admit("c")
    assert worker is not None and "this worker" in worker.message


def test_releasing_what_was_never_taken_is_a_bug() -> None:
    with pytest.raises(ValueError):
        ReportAdmission(per_account=1, total=1).release("a")


async def _until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(GENEROUS_S):
        while not condition():
            await asyncio.sleep(0.01)


async def test_a_slot_is_held_while_queued_and_running_and_freed_when_done() -> None:
    pool = ReportPool(ReportLimits(threads=1, per_account=2, total=4), CollectorRegistry())
    opened = threading.Event()
    running = pool.submit("a", lambda: lambda: opened.wait(GENEROUS_S))
    queued = pool.submit("a", lambda: lambda: "second")  # waits for the only thread
    assert pool.admission.held("a") == 2
    with pytest.raises(TooManyReports):
        pool.submit("a", lambda: lambda: "third")
    opened.set()
    assert await running is True and await queued == "second"
    await _until(lambda: pool.admission.held("a") == 0)
    pool.close()


async def test_a_failed_computation_frees_its_slot() -> None:
    pool = ReportPool(ReportLimits(threads=1, per_account=1, total=1), CollectorRegistry())

    def fail() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await pool.submit("a", lambda: fail)
    await _until(lambda: pool.admission.held("a") == 0)
    assert await pool.submit("a", lambda: lambda: "again") == "again"
    pool.close()


async def test_nothing_is_prepared_when_refused_and_a_failed_preparation_gives_its_slot_back() -> None:
    pool = ReportPool(ReportLimits(threads=1, per_account=1, total=1), CollectorRegistry())

    def not_ready() -> Callable[[], str]:
        raise NotReady(2, "recovering")

    with pytest.raises(NotReady):
        pool.submit("a", not_ready)
    assert pool.admission.held("a") == 0
    opened = threading.Event()
    running = pool.submit("a", lambda: lambda: opened.wait(GENEROUS_S))
    prepared: list[str] = []
    with pytest.raises(TooManyReports):
        pool.submit("a", lambda: lambda: prepared.append("no"))
    assert prepared == []
    opened.set()
    await running
    pool.close()


async def test_a_cancelled_computation_frees_its_slot_once_it_has_really_stopped() -> None:
    pool = ReportPool(ReportLimits(threads=1, per_account=2, total=2), CollectorRegistry())
    opened = threading.Event()
    running = pool.submit("a", lambda: lambda: opened.wait(GENEROUS_S))
    queued = pool.submit("a", lambda: lambda: "never")
    queued.cancel()  # not started yet: dropped, and its slot with it
    await _until(lambda: pool.admission.held("a") == 1)
    running.cancel()  # a running thread cannot stop: its slot stays taken until it ends
    for _ in range(5):  # let any callback the cancel scheduled run
        await asyncio.sleep(0)
    assert pool.admission.held("a") == 1
    opened.set()
    await _until(lambda: pool.admission.held("a") == 0)
    pool.close()
