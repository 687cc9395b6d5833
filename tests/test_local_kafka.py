"""The development broker's configuration, without starting Java: its two listeners never share a port."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pingback import local_kafka
from pingback.local_kafka import KafkaStartError, LocalKafka, kafka_version

BROKER_PORT = 41_234


def ports(*chosen: int) -> Callable[[], int]:
    """A port chooser that answers `chosen` in turn, as a kernel that reuses a just-closed port would."""
    answers: Iterator[int] = iter(chosen)
    return lambda: next(answers)


def listener_ports(properties: Path) -> dict[str, int]:
    listeners = re.search(r"^listeners=(.*)$", properties.read_text(), re.M)
    assert listeners is not None, properties.read_text()
    return {name: int(port) for name, port in re.findall(r"(\w+)://127\.0\.0\.1:(\d+)", listeners[1])}


def test_the_controller_never_gets_the_broker_port_even_when_it_is_offered_again(tmp_path: Path) -> None:
    broker = LocalKafka(port=BROKER_PORT, data_dir=tmp_path, choose_port=ports(BROKER_PORT, BROKER_PORT, 41_235))
    properties = broker.write_properties()
    assert listener_ports(properties) == {"PLAINTEXT": BROKER_PORT, "CONTROLLER": 41_235}
    assert "controller.quorum.voters=1@127.0.0.1:41235" in properties.read_text()


def test_a_chooser_that_only_offers_the_broker_port_is_an_error_not_a_broken_config(tmp_path: Path) -> None:
    broker = LocalKafka(port=BROKER_PORT, data_dir=tmp_path, choose_port=lambda: BROKER_PORT)
    with pytest.raises(KafkaStartError, match="other than the broker's"):
        broker.write_properties()


def test_the_kafka_version_comes_from_the_pom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", kafka_version())
    (tmp_path / "pom.xml").write_text("<project><properties></properties></project>")
    monkeypatch.setattr(local_kafka, "_RUNTIME", tmp_path)
    with pytest.raises(KafkaStartError, match=r"no <kafka\.version> in"):
        kafka_version()
