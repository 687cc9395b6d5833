"""Report computations off the event loop: a bounded thread pool, under the caps of `ReportAdmission`.

The event loop serves every tenant's overview, streams and the fold, so a report never runs on it:
the source prepares it on the loop (a cheap snapshot) and the computation runs in one of a few
threads (numpy releases the GIL in its heavy calls). A computation that is not admitted raises
`TooManyReports` at once, before anything is queued.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from prometheus_client import CollectorRegistry, Counter

from api.report_admission import Refusal, ReportAdmission

T = TypeVar("T")

# What a 429 asks a client to wait: a report takes milliseconds, a queue of them well under a second.
TOO_MANY_RETRY_AFTER_S = 1


@dataclass(frozen=True)
class ReportLimits:
    threads: int = 2  # threads computing reports, for all accounts
    per_account: int = 2  # report computations queued or running per account; beyond: 429
    total: int = 16  # the same, for all accounts together
    # An answer is shared with identical requests this long after its T, while the account's
    # data does not change (see `api.shared_answers`).
    reuse_us: int = 1_000_000


class TooManyReports(Exception):
    """The account (or the worker) is at its cap of report work: answer 429 with Retry-After."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.message = refusal.message
        self.retry_after_s = TOO_MANY_RETRY_AFTER_S


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[[str], None], argument: str) -> None:
    """Run `callback` on `loop`'s thread (done callbacks run in the pool's); nothing once the loop is closed."""
    try:
        loop.call_soon_threadsafe(callback, argument)
    except RuntimeError:  # the loop has closed: its admission is gone with it
        pass


class ReportPool:
    """The threads, their admission, and two counters on `registry` (what the caps did, for /metrics)."""

    def __init__(self, limits: ReportLimits, registry: CollectorRegistry) -> None:
        self._thread_count = limits.threads
        self._threads: ThreadPoolExecutor | None = None  # made on first use, again after a close
        self.admission = ReportAdmission(per_account=limits.per_account, total=limits.total)
        self._computed = Counter(
            "pingback_report_computations",
            "Report computations queued for the report threads (shared answers and refusals not included).",
            registry=registry,
        )
        self._refused = Counter(
            "pingback_report_refusals",
            "Report requests answered 429, by the cap they met (account or worker).",
            labelnames=("cap",),
            registry=registry,
        )

    def submit(self, account_id: str, prepare: Callable[[], Callable[[], T]]) -> asyncio.Future[T]:
        """Admit, `prepare` here, and queue what it returns for a thread, holding one of the
        account's slots until that has finished.

        Synchronous, so the caller's snapshot (taken by `prepare`, on the loop) and the queueing
        are one step of the loop. Raises `TooManyReports` when not admitted (nothing is prepared
        then), and whatever `prepare` raises (the slot is given back). Cancelling the returned future before a
        thread has taken the computation drops it; once running, it runs to its end (a thread
        cannot be interrupted), and its slot is held until then.
        """
        refusal = self.admission.admit(account_id)
        if refusal is not None:
            self._refused.labels(cap=refusal.cap).inc()
            raise TooManyReports(refusal)
        loop = asyncio.get_running_loop()
        try:
            if self._threads is None:
                self._threads = ThreadPoolExecutor(max_workers=self._thread_count, thread_name_prefix="pingback-report")
            work = self._threads.submit(prepare())
        except BaseException:  # e.g. NotReady from `prepare`, or the pool is shut down
            self.admission.release(account_id)
            raise
        # The thread's future, not the loop's: the slot is given back when the work has ended
        # (done, failed, or dropped before it started), not when an awaiting request gave up.
        work.add_done_callback(lambda _: _call_soon(loop, self.admission.release, account_id))
        self._computed.inc()
        return asyncio.wrap_future(work, loop=loop)

    def close(self) -> None:
        """Drop the queued computations; running ones finish in their threads (at app shutdown).

        An app whose lifespan runs again (a test client per test, say) gets new threads on its next report."""
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)
            self._threads = None
