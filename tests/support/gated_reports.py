"""A `ReportSource` whose computations block their thread until the test opens a gate, counting them.

For the tests of how reports are run: off the event loop, under the caps, shared between requests.
The reports themselves are an empty account's (all zeros), as of the query's T.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

from analytics.figures import Report
from analytics.report import ReportQuery
from analytics.window import Views

GENEROUS_S = 30.0  # no computation of these tests waits longer, however slow the machine


class GatedReports:
    def __init__(self, *, gated: bool = True) -> None:
        self.gate = threading.Event()
        if not gated:
            self.gate.set()
        self.versions: Counter[str] = Counter()  # bump one to say the account's data changed
        self.prepared: Counter[str] = Counter()  # computations prepared (on the loop), per account
        self.running = threading.Semaphore(0)  # released once by each computation a thread starts
        self.fail_with: Exception | None = None  # raised by the next computations while set
        # Each request reads the version once on arrival (then, on the loop, joins or starts a
        # computation before it awaits anything), and each computation once more as it starts.
        self.version_reads = 0

    def version(self, account_id: str) -> int:
        self.version_reads += 1
        return self.versions[account_id]

    def prepare_report(self, account_id: str, query: ReportQuery) -> Callable[[], Report]:
        self.prepared[account_id] += 1

        def compute() -> Report:
            self.running.release()
            if not self.gate.wait(GENEROUS_S):
                raise TimeoutError("the test never opened the gate")
            if self.fail_with is not None:
                raise self.fail_with
            return Views().report(account_id, query)

        return compute

    def wait_running(self, count: int) -> None:
        """Block until `count` more computations have started in a thread (call it off the loop)."""
        for _ in range(count):
            if not self.running.acquire(timeout=GENEROUS_S):
                raise TimeoutError("the computations did not start")
