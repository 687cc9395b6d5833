"""`GET /wallboard`: a live overview page for a TV or a laptop, served whole by the API itself.

The page is one HTML document with its CSS and JavaScript inlined at startup (from
`api/static/`), so it needs nothing but this server: no CDN, works offline. Because everything
is inline, the Content-Security-Policy can allow exactly those two blocks by hash and nothing
else: no other script can run in the page that holds the token in localStorage.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Awaitable, Callable
from importlib.resources import files

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

WALLBOARD_PATH = "/wallboard"
_STATIC = files("api") / "static"


def _asset(name: str) -> str:
    return (_STATIC / name).read_text(encoding="utf-8")


def _hash_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


# One script, in dependency order: the page's own code comes last.
_SCRIPTS = (
    "sse.js",
    "wallboard_format.js",
    "wallboard_data.js",
    "wallboard_trend.js",
    "wallboard_deltas.js",
    "wallboard_team.js",
    "wallboard_extras.js",
    "wallboard.js",
)


def wallboard_page(heartbeat_s: float, reports: bool = False) -> tuple[str, str]:
    """The page, and the Content-Security-Policy that allows exactly its inline style and script.

    `heartbeat_s` is the server's heartbeat interval: the page reconnects after a few missed ones.
    With `reports` (the server answers the report and agents endpoints) the page also shows the
    trend chart, each tile's change against the previous 30 days, and the team panel.
    """
    style = _asset("wallboard.css")
    script = "".join(_asset(name) for name in _SCRIPTS)
    page = (
        _asset("wallboard.html")
        .replace("__HEARTBEAT_S__", f"{heartbeat_s:g}")
        .replace("__REPORTS__", "on" if reports else "off")
        .replace("__STYLE__", style)
        .replace("__SCRIPT__", script)
    )
    policy = "; ".join(
        [
            "default-src 'none'",
            f"script-src {_hash_source(script)}",
            f"style-src {_hash_source(style)}",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",  # the token form never submits anywhere: the script reads it
            "frame-ancestors 'none'",
        ]
    )
    return page, policy


def wallboard(heartbeat_s: float, reports: bool = False) -> Callable[[Request], Awaitable[Response]]:
    """The page's endpoint; the page is built once, here."""
    page, policy = wallboard_page(heartbeat_s, reports)
    headers = {
        "Content-Security-Policy": policy,
        "Cache-Control": "no-cache",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }

    async def endpoint(request: Request) -> Response:
        return HTMLResponse(page, headers=headers)

    return endpoint
