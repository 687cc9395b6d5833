"""`POST /api/v1/events`: SPEC §1 events over HTTP, onto the same topics, checked the same way.

Each event is judged by `events.decode.decode_event` — the worker's own rules, so an event accepted
here is one the worker folds — plus one rule of this door: its `account_id` must be the key's.
Valid events are produced and acknowledged by Kafka before the answer; rejected ones never reach
the topics (they are the client's to fix, and the answer lists them with their reasons).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from api.ingest_body import BodyError, decode_content, read_limited, split_events
from api.keys import ApiKey
from api.ports import EventSink, NotReady
from api.responses import ORJSONResponse, error_response, not_ready_response
from events.decode import decode_event
from events.errors import InvalidEvent

EVENTS_PATH = "/api/v1/events"


def wall_clock_us() -> int:
    return time.time_ns() // 1000


@dataclass(frozen=True)
class IngestSettings:
    """What the ingest doors need from their host: where events go and the worker's clock rule."""

    sink: EventSink
    max_ahead_us: int
    clock_us: Callable[[], int] = field(default=wall_clock_us)


class _EventId(msgspec.Struct):
    event_id: str | None = None


_EVENT_ID = msgspec.json.Decoder(_EventId)


def check_event(value: bytes, account_id: str, settings: IngestSettings) -> tuple[str, bytes] | str:
    """`(event type, value)` to produce, or the reason the event is refused."""
    try:
        event = decode_event(value, key=None, now_us=settings.clock_us(), max_ahead_us=settings.max_ahead_us)
    except InvalidEvent as invalid:
        return invalid.reason
    if event.account_id != account_id:
        return f"`account_id` {event.account_id!r} is not the account of this key ({account_id!r})"
    return str(type(event).__struct_config__.tag), value


def event_id_of(value: bytes) -> str | None:
    """The `event_id` a refused event names, if it names one as a string (for the client to match)."""
    try:
        return _EVENT_ID.decode(value).event_id
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None


class IngestEndpoint:
    """An account endpoint (see `api.auth.BearerAuth`, scope `ingest`)."""

    def __init__(self, settings: IngestSettings) -> None:
        self._settings = settings

    async def __call__(self, request: Request, key: ApiKey) -> Response:
        try:
            body = decode_content(await read_limited(request.stream()), request.headers.get("content-encoding"))
            values = split_events(body, request.headers.get("content-type"))
        except BodyError as refused:
            return error_response(refused.status, refused.code, refused.message, headers={"Cache-Control": "no-store"})
        accepted: list[tuple[str, bytes]] = []
        rejected: list[dict[str, object]] = []
        for index, value in enumerate(values):
            outcome = check_event(value, key.account_id, self._settings)
            if isinstance(outcome, str):
                rejected.append({"index": index, "event_id": event_id_of(value), "reason": outcome})
            else:
                accepted.append(outcome)
        if accepted:
            try:
                await self._settings.sink.send(key.account_id, accepted)
            except NotReady as unavailable:
                return not_ready_response(unavailable.retry_after_s, unavailable.reason)
        return ORJSONResponse({"accepted": len(accepted), "rejected": rejected}, headers={"Cache-Control": "no-store"})
