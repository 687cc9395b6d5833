"""`POST /api/v1/ingest/chatwoot/{token}`: a Chatwoot account webhook, mapped to SPEC §1 events.

Webhooks cannot send headers, so the ingest-scope token is in the path and picks the account.
A key with a webhook secret only takes deliveries Chatwoot signed with it
(`X-Chatwoot-Signature: sha256=HMAC(secret, "{X-Chatwoot-Timestamp}.{raw body}")`) within
`REPLAY_WINDOW_S` of their timestamp. Whatever cannot be mapped is still answered 200, so Chatwoot
does not retry it forever: unmapped events are counted and ignored, unreadable ones dead-lettered
with the reason and the raw body. Only Kafka being away is a 503, for Chatwoot to retry.
"""

from __future__ import annotations

import hashlib
import hmac

import orjson
from prometheus_client import CollectorRegistry, Counter
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from api.auth import AuthError, insufficient_scope, key_for_token
from api.ingest import IngestSettings, check_event
from api.ingest_body import BodyError, read_limited
from api.keys import INGEST, ApiKey
from api.ports import KeyLookup, NotReady
from api.responses import ORJSONResponse, error_response, not_ready_response
from events.chatwoot_fields import Unreadable
from events.chatwoot_mapping import Ignored, map_delivery
from events.dead_letter import dead_letter_value

CHATWOOT_PATH = "/api/v1/ingest/chatwoot/{token}"
REPLAY_WINDOW_S = 300
# Where a dead letter from this door says it came from (it has no topic, partition or offset).
DEAD_LETTER_SOURCE = "http:" + CHATWOOT_PATH.removesuffix("/{token}")
# Chatwoot's webhook event names; anything else is counted as "other", so no client mints series.
KNOWN_EVENTS = frozenset(
    {
        "conversation_created",
        "conversation_updated",
        "conversation_status_changed",
        "conversation_typing_on",
        "conversation_typing_off",
        "message_created",
        "message_updated",
        "webwidget_triggered",
        "contact_created",
        "contact_updated",
        "inbox_created",
        "inbox_updated",
    }
)


def deliveries_counter(registry: CollectorRegistry) -> Counter:
    return Counter(
        "pingback_chatwoot_webhooks",
        "Chatwoot webhook deliveries by event name and outcome (mapped, ignored, dead_lettered).",
        labelnames=("event", "outcome"),
        registry=registry,
    )


def signature_problem(
    secret: str, timestamp: str | None, signature: str | None, body: bytes, now_s: float
) -> str | None:
    """Why a delivery's signature does not prove `secret`, or None when it does."""
    if not timestamp or not signature:
        return "X-Chatwoot-Timestamp and X-Chatwoot-Signature are required: this key has a webhook secret"
    try:
        sent_s = int(timestamp)
    except ValueError:
        return "X-Chatwoot-Timestamp is not a unix time in seconds"
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        return "X-Chatwoot-Signature does not match the body and timestamp"
    if abs(now_s - sent_s) > REPLAY_WINDOW_S:
        return f"X-Chatwoot-Timestamp is more than {REPLAY_WINDOW_S} s from now: a replayed or delayed delivery"
    return None


class ChatwootWebhook:
    """ASGI app: the credential is the path's token, checked here rather than by BearerAuth."""

    def __init__(self, settings: IngestSettings, keys: KeyLookup, registry: CollectorRegistry) -> None:
        self._settings, self._keys = settings, keys
        self._deliveries = deliveries_counter(registry)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self._respond(Request(scope, receive))
        await response(scope, receive, send)

    async def _respond(self, request: Request) -> Response:
        try:
            key = key_for_token(request.path_params["token"], self._keys)
            body = await read_limited(request.stream())
        except AuthError as failure:
            return error_response(401, "invalid_token", failure.description, headers={"Cache-Control": "no-store"})
        except NotReady as not_ready:
            return not_ready_response(not_ready.retry_after_s, not_ready.reason)
        except BodyError as refused:
            return error_response(refused.status, refused.code, refused.message, headers={"Cache-Control": "no-store"})
        if key.scope != INGEST:
            return insufficient_scope(key, INGEST)
        if key.chatwoot_secret is not None:
            now_s = self._settings.clock_us() / 1_000_000
            headers = request.headers
            problem = signature_problem(
                key.chatwoot_secret,
                headers.get("x-chatwoot-timestamp"),
                headers.get("x-chatwoot-signature"),
                body,
                now_s,
            )
            if problem is not None:
                return error_response(401, "invalid_signature", problem, headers={"Cache-Control": "no-store"})
        try:
            return await self._take(key, body)
        except NotReady as unavailable:
            return not_ready_response(unavailable.retry_after_s, unavailable.reason)

    async def _take(self, key: ApiKey, body: bytes) -> Response:
        name = "other"
        try:
            payload = orjson.loads(body)
            if isinstance(payload, dict) and payload.get("event") in KNOWN_EVENTS:
                name = payload["event"]
            mapped = map_delivery(payload, key.account_id)
        except orjson.JSONDecodeError as exc:
            return await self._dead_letter(key, body, name, f"not valid JSON: {exc}")
        except Unreadable as unreadable:
            return await self._dead_letter(key, body, name, unreadable.reason)
        if isinstance(mapped, Ignored):
            return self._answer(name, "ignored", 0, mapped.why)
        events = []
        for event in mapped:
            outcome = check_event(orjson.dumps(event), key.account_id, self._settings)
            if isinstance(outcome, str):
                return await self._dead_letter(key, body, name, f"maps to an invalid {event['type']} event: {outcome}")
            events.append(outcome)
        await self._settings.sink.send(key.account_id, events)
        return self._answer(name, "mapped", len(events), ", ".join(event["event_id"] for event in mapped))

    async def _dead_letter(self, key: ApiKey, body: bytes, name: str, reason: str) -> Response:
        value = dead_letter_value(
            reason=f"Chatwoot webhook: {reason}",
            source_topic=DEAD_LETTER_SOURCE,
            source_partition=-1,
            source_offset=-1,
            original_key=key.account_id.encode(),
            original_value=body,
            rejected_at_us=self._settings.clock_us(),
        )
        await self._settings.sink.dead_letter(key.account_id, value)
        return self._answer(name, "dead_lettered", 0, reason)

    def _answer(self, name: str, outcome: str, events: int, message: str) -> Response:
        self._deliveries.labels(name, outcome).inc()
        return ORJSONResponse(
            {"outcome": outcome, "events": events, "message": message}, headers={"Cache-Control": "no-store"}
        )
