"""Bearer-token authentication (RFC 6750) as a wrapper around any account-scoped endpoint.

`BearerAuth(endpoint, keys)` is itself an ASGI app: it resolves the token to its key and
calls `endpoint(request, key)`, or answers 401. The overview endpoint uses it today and a
Server-Sent-Events endpoint can reuse it unchanged, since the wrapped endpoint may return
any response, streaming ones included.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from api.keys import ApiKey, parse_token, verify
from api.ports import KeyLookup, NotReady
from api.responses import error_response, not_ready_response

REALM = "pingback"

AccountEndpoint = Callable[[Request, ApiKey], Awaitable[Response]]


class AuthError(Exception):
    """Why a request is not authenticated; `code` is the RFC 6750 error code, if any."""

    def __init__(self, code: str | None, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description

    def challenge(self) -> str:
        """The `WWW-Authenticate` value for this failure."""
        if self.code is None:
            # RFC 6750 §3.1: no error code when the request carried no bearer credentials at all.
            return f'Bearer realm="{REALM}"'
        return f'Bearer realm="{REALM}", error="{self.code}", error_description="{self.description}"'

    def response(self) -> Response:
        return error_response(
            401,
            self.code or "missing_token",
            self.description,
            headers={"WWW-Authenticate": self.challenge(), "Cache-Control": "no-store"},
        )


def authenticate(authorization: str | None, keys: KeyLookup) -> ApiKey:
    """The live key an `Authorization` header value proves, or AuthError.

    A missing header and a different scheme (e.g. Basic) are "no bearer credentials"; an empty,
    malformed, unknown, wrong or revoked token is `invalid_token`. The messages never echo
    the token, and do not say which of unknown / wrong / revoked it was.
    """
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    # RFC 7235 §2.1: the scheme name is case-insensitive.
    if scheme.lower() != "bearer":
        raise AuthError(None, "An `Authorization: Bearer <token>` header is required.")
    token = credentials.strip()
    if not token:
        raise AuthError("invalid_token", "The bearer token is empty.")
    key_id = parse_token(token)
    if key_id is None:
        raise AuthError("invalid_token", "The bearer token is malformed.")
    key = keys.get(key_id)
    if key is None or not verify(token, key):
        raise AuthError("invalid_token", "The bearer token is unknown or revoked.")
    return key


class BearerAuth:
    """ASGI app: authenticate, then hand the request and its key to the wrapped endpoint."""

    def __init__(self, endpoint: AccountEndpoint, keys: KeyLookup) -> None:
        self._endpoint = endpoint
        self._keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            key = authenticate(request.headers.get("authorization"), self._keys)
        except AuthError as failure:
            response = failure.response()
        except NotReady as not_ready:  # the keys are still loading: "unknown" would not be true yet
            response = not_ready_response(not_ready.retry_after_s, not_ready.reason)
        else:
            response = await self._endpoint(request, key)
        await response(scope, receive, send)
