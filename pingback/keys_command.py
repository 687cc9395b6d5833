"""`pingback keys create|revoke|list` — API keys, kept as hashed records in the compacted keys topic.

A token is printed once, at creation, and exists nowhere else: the topic holds only its SHA-256.
Every worker follows the topic (streams.keyring), so a new or revoked key takes effect within
about a second everywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer

from api.keys import INGEST, READ, SCOPES, ApiKey, encode_key_record, issue_key, parse_token, revoke, verify
from streams.keyring import KeyRing
from streams.settings import Settings
from streams.topics import ensure_topics


def register(subparsers: argparse._SubParsersAction) -> None:
    keys = subparsers.add_parser("keys", help="create, revoke and list API keys")
    actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a key for an account and print its token once")
    create.add_argument("--account", required=True, help="the account (tenant) id the key belongs to")
    create.add_argument(
        "--scope",
        choices=SCOPES,
        default=READ,
        help="read: the analytics endpoints (default); ingest: send events over HTTP",
    )
    create.add_argument(
        "--chatwoot-secret",
        default=None,
        metavar="S",
        help="an ingest key's Chatwoot webhook secret: its deliveries must then be signed with it",
    )
    create.set_defaults(run=_create, uses_kafka=True)
    revoke_parser = actions.add_parser("revoke", help="revoke a key, given its token or its key id")
    revoke_parser.add_argument("token_or_key_id")
    revoke_parser.set_defaults(run=_revoke, uses_kafka=True)
    listing = actions.add_parser("list", help="list key ids (never tokens)")
    listing.add_argument("--account", default=None)
    listing.set_defaults(run=_list, uses_kafka=True)


async def create_key(
    settings: Settings, account_id: str, *, scope: str = READ, chatwoot_secret: str | None = None
) -> str:
    """Store a new key for `account_id` and return its token (raises ValueError for a bad account id,
    or a Chatwoot secret on a key that is not an ingest key)."""
    key, token = issue_key(account_id, datetime.now(UTC), scope=scope, chatwoot_secret=chatwoot_secret)
    await publish_key(settings, key)
    return token


def _create(args: argparse.Namespace) -> int:
    if args.chatwoot_secret is not None and args.scope != INGEST:
        print("pingback keys: --chatwoot-secret needs --scope ingest", file=sys.stderr)
        return 2
    try:
        token = asyncio.run(
            create_key(Settings.from_environ(), args.account, scope=args.scope, chatwoot_secret=args.chatwoot_secret)
        )
    except ValueError as exc:
        print(f"pingback keys: {exc}", file=sys.stderr)
        return 2
    print(token)
    print(f"{args.scope} key for account {args.account}; the token is shown only this once", file=sys.stderr)
    return 0


def _revoke(args: argparse.Namespace) -> int:
    settings = Settings.from_environ()
    given = args.token_or_key_id.strip()
    key_id = parse_token(given) or given
    key = asyncio.run(load_keys(settings)).get(key_id)
    if key is None or (given != key_id and not _token_matches(given, key)):
        print(f"pingback keys: no key {key_id!r}", file=sys.stderr)
        return 1
    if key.revoked:
        print(f"key {key.key_id} was already revoked at {key.revoked_at:%Y-%m-%d %H:%M:%S}Z")
        return 0
    asyncio.run(publish_key(settings, revoke(key, datetime.now(UTC))))
    print(f"revoked key {key.key_id} of account {key.account_id}")
    return 0


def _list(args: argparse.Namespace) -> int:
    keyring = asyncio.run(load_keys(Settings.from_environ()))
    rows = [key for key in keyring.all() if args.account in (None, key.account_id)]
    print(f"{'KEY ID':<18}{'ACCOUNT':<24}{'SCOPE':<8}{'CREATED (UTC)':<22}REVOKED (UTC)")
    for key in rows:
        revoked = f"{key.revoked_at:%Y-%m-%d %H:%M:%S}" if key.revoked_at else "-"
        created = f"{key.created_at:%Y-%m-%d %H:%M:%S}"
        print(f"{key.key_id:<18}{key.account_id:<24}{key.scope:<8}{created}   {revoked}")
    return 0


def _token_matches(token: str, key: ApiKey) -> bool:
    # A revoked key no longer verifies, but its owner may still revoke it again harmlessly.
    return verify(token, key) or key.revoked


async def publish_key(settings: Settings, key: ApiKey) -> None:
    await ensure_topics(settings)
    producer = AIOKafkaProducer(**settings.kafka.client_options(), acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(settings.keys_topic, key=key.key_id.encode(), value=encode_key_record(key))
    finally:
        await producer.stop()


async def load_keys(settings: Settings) -> KeyRing:
    await ensure_topics(settings)
    keyring = KeyRing(kafka=settings.kafka, topic=settings.keys_topic)
    await keyring.follow(until_loaded=True)
    return keyring
