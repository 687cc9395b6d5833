"""The routes of the ingest doors, for `api.app.create_app` to add when its host can produce."""

from __future__ import annotations

from prometheus_client import CollectorRegistry
from starlette.routing import Route

from api.auth import BearerAuth
from api.chatwoot import CHATWOOT_PATH, ChatwootWebhook
from api.ingest import EVENTS_PATH, IngestEndpoint, IngestSettings
from api.keys import INGEST
from api.ports import KeyLookup


def ingest_routes(settings: IngestSettings, keys: KeyLookup, registry: CollectorRegistry) -> list[Route]:
    return [
        Route(EVENTS_PATH, BearerAuth(IngestEndpoint(settings), keys, scope=INGEST), methods=["POST"]),
        Route(CHATWOOT_PATH, ChatwootWebhook(settings, keys, registry), methods=["POST"]),
    ]
