"""The wallboard page: self-contained (nothing from other hosts), no token in it, a strict CSP."""

from __future__ import annotations

import base64
import hashlib
import re

from api.openapi import OVERVIEW_FIELDS
from api.wallboard import WALLBOARD_PATH
from tests.support.api_fakes import SAMPLE_OVERVIEW, FakeKeys, client, make_app
from tests.support.core_source import CoreSource, core_app
from tests.support.stream_fakes import FAST, LiveFakes, live_app


async def _page() -> tuple[str, dict[str, str], str]:
    keys = FakeKeys()
    token = keys.issue("acme")
    async with client(live_app(LiveFakes({"acme": SAMPLE_OVERVIEW}), keys)) as http:
        response = await http.get(WALLBOARD_PATH)
    assert response.status_code == 200
    return response.text, dict(response.headers), token


async def test_the_page_is_html_that_loads_nothing_from_anywhere_else() -> None:
    page, headers, _ = await _page()
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert page.startswith("<!doctype html>")
    assert re.findall(r"https?://", page) == []  # no CDN, no fonts, no analytics: works offline
    assert re.findall(r"""(?:src|href)\s*=""", page) == []  # no external file of any kind
    assert "__STYLE__" not in page and "__SCRIPT__" not in page and "__HEARTBEAT_S__" not in page


async def test_the_page_holds_no_token_and_never_puts_one_in_a_url() -> None:
    page, _, token = await _page()
    assert token not in page and token.split("_")[1] not in page  # neither the token nor its key id
    inputs = re.findall(r"<input[^>]*>", page)
    assert inputs and all("name=" not in tag for tag in inputs)  # no form submission can carry a token
    assert "localStorage" in page and "Authorization" in page


async def test_every_overview_field_has_a_stable_element() -> None:
    page, _, _ = await _page()
    for field in OVERVIEW_FIELDS:
        assert page.count(f'data-field="{field}"') == 1, field


async def test_the_policy_allows_exactly_the_inline_style_and_script() -> None:
    page, headers, _ = await _page()
    policy = headers["content-security-policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    for tag, directive in [("style", "style-src"), ("script", "script-src")]:
        blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", page, re.S)
        assert len(blocks) == 1
        digest = base64.b64encode(hashlib.sha256(blocks[0].encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in policy
    assert "unsafe-inline" not in policy


async def test_the_page_knows_the_servers_heartbeat_interval() -> None:
    page, _, _ = await _page()
    assert 'data-heartbeat-s="30"' in page  # FAST's interval: it reconnects after 2.5 silent ones


async def test_an_app_without_change_tracking_serves_no_wallboard() -> None:
    async with client(make_app()) as http:
        assert (await http.get(WALLBOARD_PATH)).status_code == 404


async def test_the_report_panels_are_switched_on_only_where_reports_and_agents_are_served() -> None:
    async with client(core_app(CoreSource(), FakeKeys(), FAST)) as http:
        with_reports = await http.get(WALLBOARD_PATH)
    without, headers, _ = await _page()
    assert 'data-reports="on"' in with_reports.text and 'data-reports="off"' in without
    # The flag sits in the markup, not in the script: one script, so one hash, either way.
    assert with_reports.headers["content-security-policy"] == headers["content-security-policy"]
    assert with_reports.text.count('<p class="delta" data-delta=') == 6 and 'id="trend"' in with_reports.text
