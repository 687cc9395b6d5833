"""Who may start report work now: a cap per account and one for the whole worker. Pure: no I/O, no clock.

A report computation holds a slot from the moment it is queued for a thread until it has finished
(answered, failed or been cancelled), so the caps count work queued and running alike. Beyond
either cap the request is refused (the API answers 429): one tenant can keep at most its own cap
of work in the queue, so the threads go round the tenants, and the worker's cap bounds how long
anyone's report waits.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class Refusal:
    """Why a report was not admitted, for the 429's message."""

    cap: str  # "account" or "worker"
    message: str


class ReportAdmission:
    def __init__(self, *, per_account: int, total: int) -> None:
        if per_account < 1 or total < 1:
            raise ValueError("report caps must be at least 1")
        self._per_account = per_account
        self._total = total
        self._held: Counter[str] = Counter()

    def admit(self, account_id: str) -> Refusal | None:
        """Take a slot for `account_id` and return None, or return why not (taking nothing)."""
        if self._held[account_id] >= self._per_account:
            return Refusal(
                "account",
                f"this account already has {self._per_account} report(s) being computed; retry when they are done",
            )
        if self._held.total() >= self._total:
            return Refusal("worker", f"this worker is computing {self._total} report(s) already; retry shortly")
        self._held[account_id] += 1
        return None

    def release(self, account_id: str) -> None:
        """Give back a slot `admit` took for `account_id`."""
        if self._held[account_id] <= 0:
            raise ValueError(f"no report slot held for {account_id!r}")
        self._held[account_id] -= 1
        if not self._held[account_id]:
            del self._held[account_id]

    def held(self, account_id: str | None = None) -> int:
        """Slots held by `account_id`, or by everyone."""
        return self._held.total() if account_id is None else self._held[account_id]
