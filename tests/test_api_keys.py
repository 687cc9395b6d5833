"""The pure key functions the API and the CLI share."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest

from api.keys import (
    ApiKey,
    decode_key_record,
    encode_key_record,
    hash_token,
    issue_key,
    new_token,
    parse_token,
    revoke,
    verify,
)

NOW = datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)


def test_new_token_has_the_documented_format_and_256_bits_of_secret() -> None:
    key_id, token = new_token()
    match = re.fullmatch(r"pbk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})", token)
    assert match and match[1] == key_id
    # 43 urlsafe-base64 characters carry 258 bits, of which the 32 random bytes fill 256.
    assert len(match[2]) * 6 >= 256
    assert new_token() != new_token()


def test_parse_token_names_the_key_id_of_well_formed_tokens_only() -> None:
    key_id, token = new_token()
    assert parse_token(token) == key_id
    for malformed in ["", "pbk_", token + "x", token[:-1], token.upper(), "xyz" + token[3:], token + "\n", " " + token]:
        assert parse_token(malformed) is None, malformed


def test_hash_token_is_sha256_hex() -> None:
    assert hash_token("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_verify_accepts_only_the_live_secret_of_that_key() -> None:
    key, token = issue_key("acme", NOW)
    _other_key, other_token = issue_key("acme", NOW)
    assert verify(token, key)
    assert not verify(other_token, key)  # another key's valid token
    wrong_secret = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert not verify(wrong_secret, key)
    assert not verify(token, revoke(key, NOW))
    assert not verify("garbage", key)


def test_key_records_round_trip_and_never_hold_the_token() -> None:
    key, token = issue_key("acme.eu-1", NOW)
    for record in [key, revoke(key, NOW + timedelta(days=3))]:
        data = encode_key_record(record)
        assert token not in data.decode()
        assert decode_key_record(data) == record


def test_decode_keeps_offsets_and_ignores_unknown_fields() -> None:
    key, _ = issue_key("acme", NOW.astimezone(timezone(timedelta(hours=2))))
    raw = orjson.loads(encode_key_record(key)) | {"label": "dashboard"}
    assert decode_key_record(orjson.dumps(raw)) == key


@pytest.mark.parametrize(
    "change",
    [
        {"key_id": "ABC"},  # not 16 lowercase hex digits
        {"account_id": "acme/../x"},  # not a SPEC account id
        {"token_sha256": "00"},  # not a SHA-256 hex digest
        {"created_at": "2024-05-01T00:00:00"},  # no offset
        {"revoked_at": "yesterday"},  # not a timestamp
        {"created_at": 1714521600},  # not a string
        {"scope": "admin"},  # not a scope
        {"chatwoot_secret": "s3cret"},  # a webhook secret on a read key
        {"scope": "ingest", "chatwoot_secret": ""},  # an empty secret would verify anything signed with ""
    ],
)
def test_decode_refuses_invalid_records(change: dict[str, object]) -> None:
    key, _ = issue_key("acme", NOW)
    raw = orjson.loads(encode_key_record(key)) | change
    with pytest.raises(ValueError):
        decode_key_record(orjson.dumps(raw))


def test_records_written_before_scopes_existed_are_read_keys() -> None:
    key, _ = issue_key("acme", NOW)
    legacy = {
        name: value
        for name, value in orjson.loads(encode_key_record(key)).items()
        if name not in ("scope", "chatwoot_secret")
    }
    assert decode_key_record(orjson.dumps(legacy)) == key
    assert key.scope == "read" and key.chatwoot_secret is None


def test_ingest_keys_and_their_webhook_secret_round_trip() -> None:
    key, token = issue_key("acme", NOW, scope="ingest", chatwoot_secret="whsec-1")
    assert decode_key_record(encode_key_record(key)) == key
    assert (key.scope, key.chatwoot_secret) == ("ingest", "whsec-1")
    assert token not in encode_key_record(key).decode()


@pytest.mark.parametrize("data", [b"", b"not json", b"[]", b'{"key_id": "0123456789abcdef"}'])
def test_decode_refuses_what_is_not_a_key_record(data: bytes) -> None:
    with pytest.raises(ValueError):
        decode_key_record(data)


def test_records_are_frozen() -> None:
    key, _ = issue_key("acme", NOW)
    with pytest.raises(dataclasses.FrozenInstanceError):
        key.account_id = "other"  # type: ignore[misc]
    with pytest.raises(ValueError):
        ApiKey("0123456789abcdef", "acme", "0" * 64, datetime(2024, 1, 1))  # naive timestamp
