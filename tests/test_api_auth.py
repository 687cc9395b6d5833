"""Bearer authentication of the overview endpoint (RFC 6750, SPEC §3)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from api.keys import new_token
from tests.support.api_fakes import SAMPLE_OVERVIEW, FakeKeys, FakeOverviews, client, make_app

OVERVIEW = "/api/v1/analytics/overview"
CHALLENGE = 'Bearer realm="pingback"'
INVALID_CHALLENGE = re.compile(r'Bearer realm="pingback", error="invalid_token", error_description="[^"\\]+"')


@dataclass(frozen=True)
class Tokens:
    valid: str
    revoked: str


def _with_secret_changed(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


# (header value or None, expected status, expected RFC 6750 error code); each row says why.
Header = Callable[[Tokens], str | None]
CASES: list[tuple[str, Header, int, str | None]] = [
    # No credentials at all: 401 with a bare challenge, no error code (RFC 6750 §3.1).
    ("no header", lambda t: None, 401, None),
    # Another scheme is "no bearer credentials" too, so again no error code.
    ("basic scheme", lambda t: "Basic dXNlcjpwYXNz", 401, None),
    # A bearer attempt without a token is malformed.
    ("bearer without token", lambda t: "Bearer", 401, "invalid_token"),
    ("bearer with blank token", lambda t: "Bearer    ", 401, "invalid_token"),
    # Not in the pbk_<key_id>_<secret> format.
    ("garbage token", lambda t: "Bearer not-a-token", 401, "invalid_token"),
    # Well-formed, but no key has that id.
    ("unknown key id", lambda t: f"Bearer {new_token()[1]}", 401, "invalid_token"),
    # The right key id with a wrong secret: the hash does not match.
    ("wrong secret", lambda t: f"Bearer {_with_secret_changed(t.valid)}", 401, "invalid_token"),
    # The exact token of a revoked key.
    ("revoked key", lambda t: f"Bearer {t.revoked}", 401, "invalid_token"),
    # A live token under another scheme is still no bearer credentials.
    ("valid token, other scheme", lambda t: f"Token {t.valid}", 401, None),
    # The live token of the account.
    ("valid", lambda t: f"Bearer {t.valid}", 200, None),
    # Scheme names are case-insensitive (RFC 7235 §2.1).
    ("lowercase scheme", lambda t: f"bearer {t.valid}", 200, None),
    ("uppercase scheme", lambda t: f"BEARER {t.valid}", 200, None),
    # RFC 6750 §2.1 allows one or more spaces after the scheme.
    ("several spaces", lambda t: f"Bearer   {t.valid}", 200, None),
]


@pytest.mark.parametrize(("header", "status", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_auth_matrix(header: Header, status: int, code: str | None) -> None:
    keys = FakeKeys()
    tokens = Tokens(valid=keys.issue("acme"), revoked=keys.issue("acme"))
    keys.revoke(tokens.revoked)
    app = make_app(FakeOverviews({"acme": SAMPLE_OVERVIEW}), keys)
    value = header(tokens)

    async with client(app) as http:
        response = await http.get(OVERVIEW, headers={} if value is None else {"Authorization": value})

    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    if status == 200:
        assert body == SAMPLE_OVERVIEW
        assert "www-authenticate" not in response.headers
        return
    assert set(body) == {"error", "message"}
    assert all(isinstance(v, str) and v for v in body.values())
    assert tokens.valid not in response.text and tokens.revoked not in response.text
    challenge = response.headers["www-authenticate"]
    if code is None:
        assert challenge == CHALLENGE
        assert body["error"] == "missing_token"
    else:
        assert INVALID_CHALLENGE.fullmatch(challenge), challenge
        assert body["error"] == code


async def test_failures_do_not_say_which_check_refused_the_token() -> None:
    # Unknown, wrong-secret and revoked tokens answer identically, so probing learns nothing.
    keys = FakeKeys()
    live = keys.issue("acme")
    revoked = keys.issue("acme")
    keys.revoke(revoked)
    app = make_app(FakeOverviews({"acme": SAMPLE_OVERVIEW}), keys)
    async with client(app) as http:
        answers = [
            await http.get(OVERVIEW, headers={"Authorization": f"Bearer {token}"})
            for token in (new_token()[1], _with_secret_changed(live), revoked)
        ]
    assert len({(a.text, a.headers["www-authenticate"]) for a in answers}) == 1


async def test_an_ingest_key_cannot_read() -> None:
    keys = FakeKeys()
    token = keys.issue("acme", scope="ingest")
    app = make_app(FakeOverviews({"acme": SAMPLE_OVERVIEW}), keys)
    async with client(app) as http:
        response = await http.get(OVERVIEW, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert "`read`" in response.json()["message"] and token not in response.text
    assert response.headers["www-authenticate"] == 'Bearer realm="pingback", error="insufficient_scope", scope="read"'
