"""How many streams one worker relays from others: capped per account and in total.

Every relayed stream holds a connection to the owner for as long as a wallboard is open. Without a
cap, one account's boards could take every file descriptor of the worker that relays them (and of the
owner). The stream over a cap is refused at once with a clear 503, so its client backs off and others
keep being served; relayed streams have their own connection pool, apart from request forwarding.
"""

from __future__ import annotations

import logging
from collections import Counter

log = logging.getLogger(__name__)

# A board refused for capacity waits this long before trying again.
STREAMS_RETRY_AFTER_S = 30


class RelaySlots:
    def __init__(self, *, per_account: int, total: int) -> None:
        self._per_account = per_account
        self._total = total
        self._by_account: Counter[str] = Counter()

    @property
    def open(self) -> int:
        """Relayed streams open now, over all accounts."""
        return self._by_account.total()

    def acquire(self, account_id: str) -> str | None:
        """Take a slot for a stream of `account_id`: None when granted, else why not (for the 503)."""
        if self.open >= self._total:
            reason = f"this worker already relays {self._total} streams, its limit"
        elif self._by_account[account_id] >= self._per_account:
            reason = f"this worker already relays {self._per_account} streams of the account, its limit"
        else:
            self._by_account[account_id] += 1
            return None
        log.warning("refused to relay a stream of account %r: %s", account_id, reason)
        return reason

    def release(self, account_id: str) -> None:
        self._by_account[account_id] -= 1
        if self._by_account[account_id] <= 0:
            del self._by_account[account_id]
