"""`pingback chatwoot agents` — Chatwoot agent presence as `agent.status_changed` events.

Chatwoot has no webhook for presence, so this polls its agents API
(`GET {url}/api/v1/accounts/{account-id}/agents`, header `api_access_token`) every `--interval`
seconds and produces an event, keyed by the Pingback `--account`, for each agent whose
`availability_status` changed (every agent on the first poll). A poll that fails for a passing
reason (network, a 5xx, Kafka away) is reported and retried at the next interval; a refused token
or an unknown account stops it with exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable

import httpx
import orjson
from aiokafka.errors import KafkaError

from api.ports import EventSink, NotReady
from events.chatwoot_agents import agent_changes
from events.chatwoot_fields import Unreadable
from events.decode import decode_event
from events.errors import InvalidEvent
from streams.event_sink import KafkaEventSink
from streams.settings import Settings
from streams.topics import TopicLayoutError, ensure_topics

HTTP_TIMEOUT_S = 15.0


class PollRefused(Exception):
    """Chatwoot refuses the request as made (token, account, URL): polling again will not help."""


def register(subparsers: argparse._SubParsersAction) -> None:
    chatwoot = subparsers.add_parser("chatwoot", help="Chatwoot integrations")
    actions = chatwoot.add_subparsers(dest="action", required=True, metavar="ACTION")
    agents = actions.add_parser("agents", help="poll Chatwoot's agents API and emit agent.status_changed on changes")
    agents.add_argument("--url", required=True, help="Chatwoot's base URL, e.g. https://app.chatwoot.com")
    agents.add_argument("--api-token", required=True, help="a Chatwoot user's access token (Profile settings)")
    agents.add_argument("--account-id", required=True, type=int, help="the Chatwoot account id (in its URLs)")
    agents.add_argument("--account", required=True, help="the Pingback account the events belong to")
    agents.add_argument("--interval", type=float, default=30.0, help="seconds between polls (default 30)")
    agents.set_defaults(run=_run, uses_kafka=True)


class AgentsPoller:
    def __init__(
        self,
        client: httpx.AsyncClient,
        sink: EventSink,
        *,
        url: str,
        api_token: str,
        chatwoot_account: int,
        account_id: str,
        max_ahead_us: int,
        clock_s: Callable[[], float] = time.time,
    ) -> None:
        self._client, self._sink, self._clock_s = client, sink, clock_s
        self._url = f"{url.rstrip('/')}/api/v1/accounts/{chatwoot_account}/agents"
        self._headers = {"api_access_token": api_token, "Accept": "application/json"}
        self._account_id, self._max_ahead_us = account_id, max_ahead_us
        self._seen: dict[str, str] = {}
        self.warn: Callable[[str], None] = lambda text: print(f"pingback chatwoot: {text}", file=sys.stderr)

    async def poll(self) -> int:
        """One poll: the number of events produced. Raises PollRefused, httpx errors, NotReady."""
        response = await self._client.get(self._url, headers=self._headers)
        if response.status_code in (401, 403, 404):
            raise PollRefused(f"{self._url} answered {response.status_code}: check --url, --api-token and --account-id")
        response.raise_for_status()
        try:
            payload = orjson.loads(response.content)
            seen = dict(self._seen)  # committed only once Kafka has the events, so a failed send is retried
            events, warnings = agent_changes(payload, seen, self._clock_s())
        except (orjson.JSONDecodeError, Unreadable) as exc:
            raise httpx.DecodingError(f"{self._url} did not answer an agents list: {exc}") from None
        for warning in warnings:
            self.warn(warning)
        records = []
        for event in (dict(e, account_id=self._account_id) for e in events):
            value = orjson.dumps(event)
            try:
                decode_event(value, key=None, now_us=int(self._clock_s() * 1e6), max_ahead_us=self._max_ahead_us)
            except InvalidEvent as invalid:
                self.warn(f"agent {event['agent_id']!r} skipped: {invalid.reason}")
                continue
            records.append(("agent.status_changed", value))
        if records:
            await self._sink.send(self._account_id, records)
        self._seen = seen
        return len(records)


async def _poll_forever(args: argparse.Namespace, settings: Settings) -> int:
    await ensure_topics(settings)
    sink = KafkaEventSink(settings)
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S) as client:
        poller = AgentsPoller(
            client,
            sink,
            url=args.url,
            api_token=args.api_token,
            chatwoot_account=args.account_id,
            account_id=args.account,
            max_ahead_us=settings.max_ahead_s * 1_000_000,
        )
        try:
            while True:
                try:
                    produced = await poller.poll()
                    if produced:
                        print(f"{time.strftime('%H:%M:%S')} {produced} agent status change(s) sent", flush=True)
                except PollRefused as refused:
                    print(f"pingback chatwoot: {refused}", file=sys.stderr)
                    return 2
                except (httpx.HTTPError, NotReady) as passing:  # retried at the next interval
                    print(
                        f"pingback chatwoot: poll failed, retrying in {args.interval:g} s: {passing}", file=sys.stderr
                    )
                await asyncio.sleep(args.interval)
        finally:
            await sink.stop()


def _run(args: argparse.Namespace) -> int:
    if args.interval <= 0:
        print("pingback chatwoot: --interval must be positive", file=sys.stderr)
        return 2
    settings = Settings.from_environ()
    try:
        return asyncio.run(_poll_forever(args, settings))
    except TopicLayoutError as exc:
        print(f"pingback chatwoot: {exc}", file=sys.stderr)
    except KafkaError as exc:
        print(f"pingback chatwoot: cannot reach Kafka at {settings.bootstrap_servers}: {exc}", file=sys.stderr)
    return 2
