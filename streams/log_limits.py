"""Rate-limiting repeated warnings and errors in the log: one line per kind per interval, with a count.

A fault that repeats (a broker outage, a flood of connections while file descriptors run out) logs
the same line thousands of times a second, tracebacks included: 199 MB in 50 s was seen. The first
record of a kind passes; the same kind (logger, level, message template, exception type) within
`interval_s` is counted, not written, and the next one written after the interval says how many were
left out. INFO and below pass untouched.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

# Kinds remembered at most; beyond, the oldest quiet ones are forgotten (a forgotten kind starts afresh).
MAX_KINDS = 1024

Kind = tuple[str, int, str, str]


@dataclass(slots=True)
class _Seen:
    since: float  # when the last written record of this kind was written
    left_out: int = 0


class RepeatLimiter(logging.Filter):
    """A `logging.Filter` for a handler; give each handler its own (a record passes each filter once)."""

    def __init__(self, interval_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._interval_s = interval_s
        self._clock = clock
        self._seen: dict[Kind, _Seen] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        exc_type = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else ""
        kind = (record.name, record.levelno, str(record.msg), exc_type)
        now = self._clock()
        seen = self._seen.get(kind)
        if seen is not None and now - seen.since < self._interval_s:
            seen.left_out += 1
            return False
        if seen is not None and seen.left_out:
            record.msg = f"{record.getMessage()} [{seen.left_out} more like this in the last {now - seen.since:.0f} s]"
            record.args = ()  # formatted already; not None, which mode's formatter turns into (None,)
        self._remember(kind, now)
        return True

    def _remember(self, kind: Kind, now: float) -> None:
        self._seen.pop(kind, None)  # re-inserted last: the dict stays ordered by last write
        if len(self._seen) >= MAX_KINDS:
            oldest = next(iter(self._seen))
            del self._seen[oldest]
        self._seen[kind] = _Seen(now)


def limit_repeats(interval_s: float, logger: logging.Logger | None = None) -> None:
    """Give every handler of `logger` (the root logger by default) its own RepeatLimiter."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(existing, RepeatLimiter) for existing in handler.filters):
            handler.addFilter(RepeatLimiter(interval_s))
