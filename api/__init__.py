"""The HTTP API: a Starlette app built from narrow interfaces, with no knowledge of Faust."""

from api.app import create_app
from api.keys import ApiKey
from api.ports import ChangeSource, KeyLookup, NotReady, Overview, OverviewSource, OwnedElsewhere, Readiness
from api.stream import StreamSettings

__all__ = [
    "ApiKey",
    "ChangeSource",
    "KeyLookup",
    "NotReady",
    "Overview",
    "OverviewSource",
    "OwnedElsewhere",
    "Readiness",
    "StreamSettings",
    "create_app",
]
