"""Secrets in query strings never reach the access log (issue #11 item 7)."""

from __future__ import annotations

import logging

import pytest

from api import access_log


@pytest.mark.parametrize(
    "path, logged",
    [
        ("/wallboard?token=pb_abc.def", "/wallboard?token=REDACTED"),
        ("/x?a=1&TOKEN=s3cret&b=2", "/x?a=1&TOKEN=REDACTED&b=2"),
        ("/x?api%5Fkey=s3cret", "/x?api%5Fkey=REDACTED"),  # the name is compared decoded
        ("/x?tokens=kept&token", "/x?tokens=kept&token"),  # other names, and a name without value
        ("/api/v1/analytics/overview", "/api/v1/analytics/overview"),
    ],
)
def test_secret_query_values_are_redacted(path: str, logged: str) -> None:
    assert access_log.redact_query(path) == logged


def test_the_filter_rewrites_uvicorns_access_log_line(caplog: pytest.LogCaptureFixture) -> None:
    access_log.install()
    access_log.install()  # idempotent
    logger = logging.getLogger(access_log.ACCESS_LOGGER)
    assert sum(isinstance(f, access_log.RedactSecrets) for f in logger.filters) == 1
    with caplog.at_level(logging.INFO, logger=access_log.ACCESS_LOGGER):
        # uvicorn's own call, argument for argument
        logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/wallboard?token=pb_abc.def", "1.1", 200)
    assert caplog.messages == ['127.0.0.1:5000 - "GET /wallboard?token=REDACTED HTTP/1.1" 200']
