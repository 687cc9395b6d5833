"""Settings read from the environment: the event-loop switch."""

from __future__ import annotations

import pytest

from streams.settings import ConfigError, Settings


def test_uvloop_is_on_by_default_and_turned_off_by_zero() -> None:
    assert Settings.from_environ({}).uvloop is True
    assert Settings.from_environ({"PINGBACK_UVLOOP": "1"}).uvloop is True
    assert Settings.from_environ({"PINGBACK_UVLOOP": "0"}).uvloop is False


@pytest.mark.parametrize("raw", ["yes", "true", "2", "off"])
def test_uvloop_rejects_anything_but_0_or_1(raw: str) -> None:
    with pytest.raises(ConfigError, match="PINGBACK_UVLOOP must be 0 or 1"):
        Settings.from_environ({"PINGBACK_UVLOOP": raw})
