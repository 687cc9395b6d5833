"""SPEC §4/§5 report parameters, read without HTTP: the filters, and which fault is named first."""

from __future__ import annotations

import pytest

from analytics.filters import Filters
from analytics.time import DAY_US
from api.report_params import InvalidParameter, parse_report_request
from tests.support.builders import T_US

RETENTION_US = 90 * DAY_US


def parse(query: str) -> Filters:
    items = [tuple(part.split("=", 1)) for part in query.split("&") if part]
    request = parse_report_request(items, now_us=T_US, retention_us=RETENTION_US)  # type: ignore[arg-type]
    return request.query.filters


def fault(query: str) -> str:
    with pytest.raises(InvalidParameter) as raised:
        parse(query)
    assert raised.value.message
    return raised.value.parameter


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("since=2025-05-01", Filters()),
        ("since=2025-05-01&channel=whatsapp", Filters(channel="whatsapp")),
        # every filter at once; values are taken as given (case-sensitive, any text for ids and labels)
        (
            "since=2025-05-01&channel=email&inbox_id=Mail 1&team_id=t/1&assignee_id=a1&label=VIP ✨",
            Filters(channel="email", inbox_id="Mail 1", team_id="t/1", assignee_id="a1", label="VIP ✨"),
        ),
        # the longest values allowed
        ("since=2025-05-01&team_id=" + "t" * 128 + "&label=" + "l" * 64, Filters(team_id="t" * 128, label="l" * 64)),
    ],
)
def test_filters_are_read(query: str, expected: Filters) -> None:
    assert parse(query) == expected


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        # each filter's own faults
        ("since=2025-05-01&channel=", "channel"),  # empty
        ("since=2025-05-01&channel=WhatsApp", "channel"),  # not the §1 channel pattern
        ("since=2025-05-01&channel=" + "w" * 33, "channel"),
        ("since=2025-05-01&inbox_id=" + "i" * 129, "inbox_id"),  # longer than 128
        ("since=2025-05-01&team_id=a\x07b", "team_id"),  # a control character
        ("since=2025-05-01&assignee_id=a\x7f", "assignee_id"),  # DEL is one too
        ("since=2025-05-01&label=" + "l" * 65, "label"),  # labels: 64 at most
        ("since=2025-05-01&label=", "label"),
        # pairs of faults: the first rule in SPEC's list is named
        ("since=2025-05-01&label=&label=x", "label"),  # repeated comes first, even for a filter
        ("since=2025-05-01&team_id=&foo=1", "foo"),  # unknown before any filter
        ("timezone=Mars/Base&channel=", "timezone"),  # the zone before the filters
        ("since=soon&channel=", "since"),  # since before the filters
        ("since=2025-05-01&until=later&channel=", "until"),  # until before the filters
        ("since=2025-05-01&breakdown=teams&channel=", "breakdown"),  # unknown values before the filters
        ("since=2025-05-01&format=xml&label=", "format"),
        ("since=2025-03-05&group_by=hour&channel=", "channel"),  # a filter before the 1,000-period rule
        ("since=2025-04-01&compare=previous&inbox_id=", "inbox_id"),  # ... and before compare's rule
        ("since=2025-05-01&group_by=day&breakdown=team&format=csv&label=", "label"),  # ... and before csv's
        # two filters at fault: the first in the order channel, inbox_id, team_id, assignee_id, label
        ("since=2025-05-01&label=&channel=", "channel"),
        ("since=2025-05-01&assignee_id=&inbox_id=" + "i" * 129, "inbox_id"),
        ("since=2025-05-01&label=&team_id=", "team_id"),
    ],
)
def test_the_first_fault_in_spec_order_is_named(query: str, parameter: str) -> None:
    assert fault(query) == parameter


@pytest.mark.parametrize("breakdown", ["channel", "agent", "team", "inbox", "label"])
def test_every_breakdown_is_known(breakdown: str) -> None:
    items = [("since", "2025-05-01"), ("breakdown", breakdown)]
    assert parse_report_request(items, now_us=T_US, retention_us=RETENTION_US).query.breakdown == breakdown


@pytest.mark.parametrize(
    ("filters", "values", "matches"),
    [
        (Filters(), ("email", None, None, None, ()), True),  # no filter: everything
        (Filters(channel="email"), ("email", None, None, None, ()), True),
        (Filters(channel="email"), ("widget", None, None, None, ()), False),
        (Filters(team_id="t1"), ("email", None, None, None, ()), False),  # no team matches no team filter
        (Filters(label="vip"), ("email", None, None, None, ("billing", "vip")), True),  # contains
        (Filters(label="VIP"), ("email", None, None, None, ("vip",)), False),  # case-sensitive
        (Filters(team_id="t1", assignee_id="a1"), ("email", None, "t1", "a2", ()), False),  # all must hold
        (Filters(inbox_id="i", team_id="t", assignee_id="a"), ("email", "i", "t", "a", ()), True),
    ],
)
def test_a_conversation_matches_when_every_filter_holds(
    filters: Filters, values: tuple[str, str | None, str | None, str | None, tuple[str, ...]], matches: bool
) -> None:
    assert filters.matches(*values) is matches
    assert bool(filters) is (filters != Filters())
