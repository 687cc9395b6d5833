"""JSON responses, serialised with orjson, and the one error body shape every failure uses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
import orjson
from starlette.responses import JSONResponse, Response


class ORJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def error_response(
    status_code: int, error: str, message: str, headers: Mapping[str, str] | None = None
) -> ORJSONResponse:
    """`{"error": <machine code>, "message": <for humans>}` — the body of every non-2xx answer."""
    return ORJSONResponse({"error": error, "message": message}, status_code=status_code, headers=headers)


def struct_response(figures: msgspec.Struct) -> Response:
    """A figure set (`analytics.figures`) as JSON: exactly its fields, in its order; never cached."""
    return Response(msgspec.json.encode(figures), media_type="application/json", headers={"Cache-Control": "no-store"})


def not_ready_response(retry_after_s: int, reason: str) -> ORJSONResponse:
    """503 while an account's figures cannot be exact; a client should retry, never see a partial answer."""
    headers = {"Retry-After": str(max(0, retry_after_s)), "Cache-Control": "no-store"}
    return error_response(503, "not_ready", reason, headers=headers)
