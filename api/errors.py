"""Exception handlers that turn Starlette's plain-text failures into the JSON error shape."""

from __future__ import annotations

from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ExceptionHandler

from api.responses import error_response

_CODES = {404: "not_found", 405: "method_not_allowed"}


async def http_error(request: Request, exc: Exception) -> Response:
    """404, 405 and any other HTTPException Starlette raises while routing."""
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if "Allow" in headers:
        # Starlette joins a set, so the order would vary from run to run.
        headers["Allow"] = ", ".join(sorted(method.strip() for method in headers["Allow"].split(",")))
    code = _CODES.get(exc.status_code, HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_"))
    message = f"{request.method} {request.url.path}: {exc.detail}"
    return error_response(exc.status_code, code, message, headers=headers)


async def server_error(request: Request, exc: Exception) -> Response:
    # The detail stays in the server log (the exception is re-raised to it); clients get no internals.
    return error_response(500, "internal_error", "The server failed to answer this request.")


EXCEPTION_HANDLERS: dict[type[Exception] | int, ExceptionHandler] = {
    HTTPException: http_error,
    Exception: server_error,
}
