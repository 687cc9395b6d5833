"""`pingback report` — an operator's SPEC §4 report, read through a worker's report endpoint.

The same endpoint as any client's, so the figures are the API's own. With `--token` (or
PINGBACK_TOKEN) it reads as that key; with only `--account` it mints a read key for the account,
uses it, and revokes it again, so an operator needs no token of a customer's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import UTC, datetime

import httpx

from analytics.filters import FILTER_PARAMETERS
from api.keys import parse_token, revoke
from api.report import REPORT_PATH
from api.report_params import PARAMETERS
from pingback import keys_command
from streams.settings import Settings

# A fresh key reaches every worker within about a second; a worker may be catching up for longer.
PATIENCE_S = 60.0


def register(subparsers: argparse._SubParsersAction) -> None:
    report = subparsers.add_parser("report", help="a report for any period (SPEC §4), as JSON or CSV on stdout")
    report.add_argument("--account", help="the account; a temporary read key is made for it (unless --token)")
    report.add_argument("--token", default=os.environ.get("PINGBACK_TOKEN"), help="read with this key instead")
    report.add_argument("--url", default=None, help="a worker's base URL (default: this machine's worker)")
    report.add_argument("--since", required=True, help="YYYY-MM-DD or an RFC 3339 timestamp with offset")
    report.add_argument("--until", help="end of the period (exclusive); default now")
    report.add_argument("--timezone", help="IANA zone, e.g. Europe/Berlin (default UTC)")
    report.add_argument("--group-by", dest="group_by", choices=["hour", "day", "week", "month"])
    report.add_argument("--compare", choices=["previous"])
    report.add_argument("--breakdown", choices=["channel", "agent", "team", "inbox", "label"])
    # SPEC §5 filters: only the conversations with this channel / inbox / current team / assignee / label.
    for name in FILTER_PARAMETERS:
        report.add_argument(f"--{name.replace('_', '-')}", dest=name, metavar=name.split("_")[0].upper())
    report.add_argument("--format", choices=["json", "csv"], default="json")
    report.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    if not args.token and not args.account:
        print("pingback report: give --account (or --token)", file=sys.stderr)
        return 2
    settings = Settings.from_environ()
    params = {name: getattr(args, name) for name in PARAMETERS if getattr(args, name) is not None}
    url = (args.url or settings.worker_url).rstrip("/") + REPORT_PATH
    token = args.token or asyncio.run(keys_command.create_key(settings, args.account))
    try:
        status, body = _fetch(url, params, token, fresh_key=not args.token)
    finally:
        if not args.token:
            asyncio.run(_revoke(settings, token))
    if status == 200:
        sys.stdout.write(body if body.endswith("\n") else body + "\n")
        return 0
    print(f"pingback report: {status} {body}", file=sys.stderr)
    return 2 if status == 400 else 1


def _fetch(url: str, params: dict[str, str], token: str, *, fresh_key: bool) -> tuple[int, str]:
    """The answer, waiting out 503s (and, for a just-made key, the 401s before it has spread)."""
    deadline = time.monotonic() + PATIENCE_S
    with httpx.Client(timeout=30) as http:
        while True:
            try:
                response = http.get(url, params=params, headers={"Authorization": f"Bearer {token}"})
            except httpx.TransportError as exc:
                if time.monotonic() > deadline:
                    return 0, f"no worker answered at {url}: {exc}"
                time.sleep(1)
                continue
            waiting = response.status_code == 503 or (fresh_key and response.status_code == 401)
            if not waiting or time.monotonic() > deadline:
                return response.status_code, response.text
            time.sleep(
                min(float(response.headers.get("Retry-After", "1") or 1), 2.0) if response.status_code == 503 else 0.2
            )


async def _revoke(settings: Settings, token: str) -> None:
    keyring = await keys_command.load_keys(settings)
    key = keyring.get(parse_token(token) or "")
    if key is not None:
        await keys_command.publish_key(settings, revoke(key, datetime.now(UTC)))
