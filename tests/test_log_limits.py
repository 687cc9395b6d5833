"""Repeated warnings and errors are written once per interval, then once more with how many were left out."""

from __future__ import annotations

import io
import logging

from mode.utils.logging import ExtensionFormatter

from streams.log_limits import RepeatLimiter, limit_repeats


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _logger(
    interval_s: float, clock: Clock, formatter: logging.Formatter | None = None
) -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    handler.addFilter(RepeatLimiter(interval_s, clock))
    logger = logging.getLogger(f"test.log_limits.{id(out)}")
    logger.propagate = False
    logger.handlers = [handler]
    return logger, out


def test_a_flood_of_one_error_is_one_line_per_interval_with_a_count() -> None:
    clock = Clock()
    logger, out = _logger(10, clock)
    for _ in range(30):  # 100 a second for 30 s, each with its traceback
        for n in range(100):
            try:
                raise OSError(24, "Too many open files")
            except OSError:
                logger.exception("accept failed on fd %d", n)
        clock.now += 1
    lines = [line for line in out.getvalue().splitlines() if line.startswith("accept failed")]
    assert lines == [
        "accept failed on fd 0",
        "accept failed on fd 0 [999 more like this in the last 10 s]",
        "accept failed on fd 0 [999 more like this in the last 10 s]",
    ]
    assert out.getvalue().count("Traceback") == 3


def test_the_counted_line_goes_through_the_worker_s_formatter() -> None:
    # mode's formatter (the worker's) turned a cleared `args=None` into `(None,)`: "not all arguments converted".
    clock = Clock()
    logger, out = _logger(10, clock, ExtensionFormatter(fmt="%(message)s"))
    for _ in range(3):
        logger.warning("Heartbeat failed for group %s because it is rebalancing", "acme-app")
        clock.now += 6
    assert out.getvalue().splitlines() == [
        "Heartbeat failed for group acme-app because it is rebalancing",
        "Heartbeat failed for group acme-app because it is rebalancing [1 more like this in the last 12 s]",
    ]


def test_different_messages_levels_and_info_lines_are_not_merged() -> None:
    clock = Clock()
    logger, out = _logger(10, clock)
    logger.setLevel(logging.INFO)
    for _ in range(3):
        logger.warning("broker %s unreachable", "a")
        logger.error("broker %s unreachable", "a")
        logger.warning("partition stalled")
        logger.info("progress")
    assert out.getvalue().splitlines() == [
        "broker a unreachable",
        "broker a unreachable",
        "partition stalled",
        "progress",
        "progress",
        "progress",
    ]


def test_a_kind_that_stopped_repeating_is_written_again_without_a_count() -> None:
    clock = Clock()
    logger, out = _logger(10, clock)
    logger.error("lost the broker")
    clock.now += 60
    logger.error("lost the broker")
    assert out.getvalue().splitlines() == ["lost the broker", "lost the broker"]


def test_every_handler_gets_its_own_limiter_once() -> None:
    root = logging.getLogger("test.log_limits.root")
    root.handlers = [logging.StreamHandler(io.StringIO()), logging.StreamHandler(io.StringIO())]
    limit_repeats(5, root)
    limit_repeats(5, root)
    filters = [f for handler in root.handlers for f in handler.filters]
    assert len(filters) == 2 and filters[0] is not filters[1]
    assert all(isinstance(f, RepeatLimiter) for f in filters)
