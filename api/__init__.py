"""The HTTP API: a Starlette app built from narrow interfaces, with no knowledge of Faust."""

from api.app import create_app
from api.keys import ApiKey
from api.ports import KeyLookup, NotReady, Overview, OverviewSource, OwnedElsewhere, Readiness

__all__ = ["ApiKey", "KeyLookup", "NotReady", "Overview", "OverviewSource", "OwnedElsewhere", "Readiness", "create_app"]
