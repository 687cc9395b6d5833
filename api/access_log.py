"""Keep secrets out of the access log: query values of known secret parameters are redacted.

The wallboard and API take the token in a header, but a user may still put one in a URL
(`/wallboard?token=…`), and uvicorn writes every request line verbatim. The filter rewrites the
path argument of uvicorn's access-log records (`'%s - "%s %s HTTP/%s" %d'`) before any handler sees it.
"""

from __future__ import annotations

import logging
from urllib.parse import unquote_plus

SECRET_PARAMETERS = frozenset({"token", "access_token", "api_key", "apikey", "key", "password", "secret"})
REDACTED = "REDACTED"
ACCESS_LOGGER = "uvicorn.access"
_PATH_ARG = 2  # client, method, path with query, HTTP version, status


def redact_query(path: str) -> str:
    """`path` with the value of every secret query parameter replaced by REDACTED."""
    base, separator, query = path.partition("?")
    if not separator:
        return path
    parts = []
    for part in query.split("&"):
        name, equals, _ = part.partition("=")
        parts.append(f"{name}={REDACTED}" if equals and unquote_plus(name).lower() in SECRET_PARAMETERS else part)
    return f"{base}?{'&'.join(parts)}"


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > _PATH_ARG:
            path = args[_PATH_ARG]
            if isinstance(path, str):
                record.args = (*args[:_PATH_ARG], redact_query(path), *args[_PATH_ARG + 1 :])
        return True


def install() -> None:
    """Add the filter to uvicorn's access logger (once)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, RedactSecrets) for existing in logger.filters):
        logger.addFilter(RedactSecrets())
