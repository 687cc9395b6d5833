"""API keys: the stored record, and pure token functions shared by the API and the CLI.

A token is `pbk_<key_id>_<secret>`. The key id is public (it names the record to look up);
the secret carries 256 random bits. Only the SHA-256 of the whole token is ever stored, so a
leaked key topic grants nothing; tokens themselves are never stored or logged.

A key has one scope: `read` (the analytics endpoints) or `ingest` (sending events). An ingest
key may carry a Chatwoot webhook secret; unlike the token it is stored as given, because
verifying an HMAC needs the secret itself (it lets its holder sign webhooks, never read).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import secrets
from datetime import datetime
from typing import Any

import orjson

from events.schema import is_account_id

TOKEN_PREFIX = "pbk_"
_KEY_ID_BYTES = 8  # 64 random bits: ids only need to be unique, not secret
_SECRET_BYTES = 32  # 256 bits of secret, as urlsafe base64 (43 characters, no padding)
_KEY_ID = r"[0-9a-f]{16}"
_TOKEN_RE = re.compile(rf"pbk_(?P<key_id>{_KEY_ID})_[A-Za-z0-9_-]{{43}}")
_KEY_ID_RE = re.compile(_KEY_ID)
_SHA256_HEX_RE = re.compile(r"[0-9a-f]{64}")

READ = "read"
INGEST = "ingest"
SCOPES = (READ, INGEST)


@dataclasses.dataclass(frozen=True, slots=True)
class ApiKey:
    """One key as stored on the compacted key topic (keyed by `key_id`)."""

    key_id: str
    account_id: str
    token_sha256: str
    created_at: datetime
    revoked_at: datetime | None = None
    scope: str = READ
    chatwoot_secret: str | None = None

    def __post_init__(self) -> None:
        # Validated on construction so a corrupt topic record fails at decode, not at request time.
        if not _KEY_ID_RE.fullmatch(self.key_id):
            raise ValueError(f"key_id must be 16 lowercase hex digits, got {self.key_id!r}")
        # SPEC §1's rule, so a key can never name an account no event could belong to.
        if not is_account_id(self.account_id):
            raise ValueError(f"account_id is not a valid account id: {self.account_id!r}")
        if not _SHA256_HEX_RE.fullmatch(self.token_sha256):
            raise ValueError("token_sha256 must be 64 lowercase hex digits")
        if self.scope not in SCOPES:
            raise ValueError(f"scope must be one of {', '.join(SCOPES)}, got {self.scope!r}")
        if self.chatwoot_secret is not None and (self.scope != INGEST or not self.chatwoot_secret):
            raise ValueError("a Chatwoot secret must be non-empty and belongs to an ingest key")
        for name in ("created_at", "revoked_at"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"{name} must carry a UTC offset")

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


def new_token() -> tuple[str, str]:
    """A fresh `(key_id, token)`; the caller shows the token once and stores only its hash."""
    key_id = secrets.token_hex(_KEY_ID_BYTES)
    return key_id, f"{TOKEN_PREFIX}{key_id}_{secrets.token_urlsafe(_SECRET_BYTES)}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_token(token: str) -> str | None:
    """The key id a well-formed token names, or None for anything else."""
    match = _TOKEN_RE.fullmatch(token)
    return match["key_id"] if match else None


def verify(token: str, key: ApiKey) -> bool:
    """Whether `token` is the live secret of `key`, compared in constant time."""
    if parse_token(token) != key.key_id:
        return False
    # Compare before looking at revocation so timing does not tell a revoked key from a wrong secret.
    matches = hmac.compare_digest(hash_token(token), key.token_sha256)
    return matches and not key.revoked


def issue_key(
    account_id: str, created_at: datetime, *, scope: str = READ, chatwoot_secret: str | None = None
) -> tuple[ApiKey, str]:
    """A new key record for `account_id` and the token for it (to be shown once, then forgotten)."""
    key_id, token = new_token()
    key = ApiKey(key_id, account_id, hash_token(token), created_at, scope=scope, chatwoot_secret=chatwoot_secret)
    return key, token


def revoke(key: ApiKey, revoked_at: datetime) -> ApiKey:
    return dataclasses.replace(key, revoked_at=revoked_at)


def encode_key_record(key: ApiKey) -> bytes:
    return orjson.dumps(key)


def decode_key_record(data: bytes) -> ApiKey:
    """The key in a topic record; raises ValueError for anything that is not a valid one."""
    try:
        raw: Any = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"key record is not JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise ValueError("key record is not a JSON object")
    try:
        revoked_at = raw.get("revoked_at")
        secret = raw.get("chatwoot_secret")
        # Unknown extra fields are ignored so a newer writer does not break an older reader;
        # records written before scopes existed are read keys, as they always were.
        return ApiKey(
            key_id=_string(raw["key_id"]),
            account_id=_string(raw["account_id"]),
            token_sha256=_string(raw["token_sha256"]),
            created_at=datetime.fromisoformat(_string(raw["created_at"])),
            revoked_at=None if revoked_at is None else datetime.fromisoformat(_string(revoked_at)),
            scope=_string(raw.get("scope", READ)),
            chatwoot_secret=None if secret is None else _string(secret),
        )
    except KeyError as exc:
        raise ValueError(f"key record lacks field {exc.args[0]!r}") from exc


def _string(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    return value
