"""Bearer-token authentication (RFC 6750) as a wrapper around any account-scoped endpoint.

`BearerAuth(endpoint, keys)` is itself an ASGI app: it resolves the token to its key and
calls `endpoint(request, key)`, or answers 401. The overview endpoint uses it today and a
Server-Sent-Events endpoint can reuse it unchanged, since the wrapped endpoint may return
any response, streaming ones included. Each endpoint needs one key scope (`read` unless
told otherwise); a live key of the other scope is a `403 insufficient_scope`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from api.keys import READ, ApiKey, parse_token, verify
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
    return key_for_token(token, keys)


def key_for_token(token: str, keys: KeyLookup) -> ApiKey:
    """The live key `token` is the secret of, or AuthError (also for a token carried in a path)."""
    key_id = parse_token(token)
    if key_id is None:
        raise AuthError("invalid_token", "The bearer token is malformed.")
    key = keys.get(key_id)
    if key is None or not verify(token, key):
        raise AuthError("invalid_token", "The bearer token is unknown or revoked.")
    return key


def insufficient_scope(key: ApiKey, needed: str) -> Response:
    """403 for a live key of the wrong scope (RFC 6750 §3.1), naming the scope the endpoint needs."""
    message = f"This endpoint needs a key of scope `{needed}`; this key has scope `{key.scope}`."
    challenge = f'Bearer realm="{REALM}", error="insufficient_scope", scope="{needed}"'
    return error_response(
        403, "insufficient_scope", message, headers={"WWW-Authenticate": challenge, "Cache-Control": "no-store"}
    )


class BearerAuth:
    """ASGI app: authenticate, then hand the request and its key to the wrapped endpoint."""

    def __init__(self, endpoint: AccountEndpoint, keys: KeyLookup, scope: str = READ) -> None:
        self._endpoint = endpoint
        self._keys = keys
        self._scope = scope

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            key = authenticate(request.headers.get("authorization"), self._keys)
        except AuthError as failure:
            response = failure.response()
        except NotReady as not_ready:  # the keys are still loading: "unknown" would not be true yet
            response = not_ready_response(not_ready.retry_after_s, not_ready.reason)
        else:
            if key.scope != self._scope:
                response = insufficient_scope(key, self._scope)
            else:
                response = await self._endpoint(request, key)
        await response(scope, receive, send)
