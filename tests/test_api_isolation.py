"""Tenant isolation, as a property: every token sees exactly its own account's figures."""

from __future__ import annotations

from typing import Any

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.openapi import OVERVIEW_SCHEMA
from tests.support.api_fakes import FakeKeys, FakeOverviews, bearer, client, make_app

OVERVIEW = "/api/v1/analytics/overview"

account_ids = st.from_regex(r"[A-Za-z0-9_.-]{1,64}", fullmatch=True)
counts = st.integers(min_value=0, max_value=10**9)
percents = st.integers(min_value=0, max_value=1000).map(lambda tenths: tenths / 10)
overviews = st.fixed_dictionaries(
    {
        "total_conversations": counts,
        "avg_first_response": counts,
        "resolution_rate": percents,
        "active_agents": counts,
        "channel_mix": st.dictionaries(
            st.from_regex(r"[a-z0-9][a-z0-9_-]{0,31}", fullmatch=True), percents, max_size=4
        ),
        "top_agents": st.lists(
            st.fixed_dictionaries(
                {
                    "name": st.text(min_size=1, max_size=200),
                    "resolved": counts,
                    "agent_id": st.text(min_size=1, max_size=128),
                }
            ),
            max_size=5,
        ),
        "quick_pulse_open": counts,
        "median_handle_time": counts,
        "avg_handle_time": counts,
        "customer_happiness": st.none() | st.integers(min_value=0, max_value=100),
    }
)
# Per account: its overview, how many live tokens and how many revoked ones it has.
tenants = st.dictionaries(
    account_ids,
    st.tuples(overviews, st.integers(min_value=1, max_value=3), st.integers(min_value=0, max_value=2)),
    min_size=1,
    max_size=5,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tenants=tenants)
async def test_every_token_sees_exactly_its_own_account(tenants: dict[str, tuple[dict[str, Any], int, int]]) -> None:
    keys = FakeKeys()
    live: dict[str, str] = {}  # token -> account
    revoked: list[str] = []
    for account, (_, n_live, n_revoked) in tenants.items():
        live.update({keys.issue(account): account for _ in range(n_live)})
        for _ in range(n_revoked):
            token = keys.issue(account)
            keys.revoke(token)
            revoked.append(token)
    source = FakeOverviews({account: overview for account, (overview, _, _) in tenants.items()})

    async with client(make_app(source, keys)) as http:
        for token, account in live.items():
            response = await http.get(OVERVIEW, headers=bearer(token))
            assert response.status_code == 200
            # Asked for its own account only (equal overviews of two accounts would hide a mix-up).
            assert source.asked.pop() == account and not source.asked
            assert response.json() == tenants[account][0]
            jsonschema.Draft202012Validator(OVERVIEW_SCHEMA).validate(response.json())
        for token in revoked:
            response = await http.get(OVERVIEW, headers=bearer(token))
            assert response.status_code == 401
            assert set(response.json()) == {"error", "message"}
        assert not source.asked  # a refused token never reaches the figures
