"""`pingback rebuild` without a broker: lag arithmetic, the local-state guard, and the refusals that
must come before anything is touched."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiokafka import TopicPartition
from aiokafka.structs import OffsetAndMetadata
from prometheus_client import CollectorRegistry

from pingback import cli
from streams.metrics import ProcessorMetrics
from streams.reset import EventLog, UnsafeDataDir, changelog_topics, remove_local_state
from streams.settings import Settings
from streams.worker import build_worker_app

A0, A1, B0 = TopicPartition("a", 0), TopicPartition("a", 1), TopicPartition("b", 0)


def test_the_event_log_counts_records_and_what_the_group_has_not_committed() -> None:
    # Partition a/1 starts at 40: retention (if someone set one) removed what came before.
    log = EventLog(start={A0: 0, A1: 40, B0: 0}, end={A0: 100, A1: 50, B0: 0})
    assert log.records == 110
    assert log.remaining({}) == 110  # no commits: everything from the start
    committed = {A0: OffsetAndMetadata(60, ""), A1: OffsetAndMetadata(10, "")}
    assert log.remaining(committed) == 40 + 10  # a commit before the start counts from the start
    assert log.remaining({A0: OffsetAndMetadata(120, ""), A1: OffsetAndMetadata(50, "")}) == 0  # newer events: done


def test_the_end_line_counts_what_was_folded_or_dead_lettered_not_what_was_rerouted() -> None:
    metrics = ProcessorMetrics(CollectorRegistry())
    assert metrics.handled() == 0
    metrics.processed.labels("conversation.created").inc(3)
    metrics.processed.labels("agent.status_changed").inc(2)
    metrics.rejected.labels("invalid_json").inc()
    metrics.rerouted.inc(4)  # re-sent to their partition: counted when that copy is folded
    metrics.changelog_recovered.inc(7)  # restored, not replayed
    assert metrics.handled() == 6


def test_the_reset_deletes_the_changelog_of_every_table_the_worker_has(tmp_path: Path) -> None:
    settings = Settings(app_id="pb", store="memory://", data_dir=tmp_path)
    tables = build_worker_app(settings).tables.values()  # built, not started: no Kafka needed
    assert sorted(table.changelog_topic.get_topic_name() for table in tables) == sorted(changelog_topics(settings))


def test_local_state_is_removed_unless_the_path_cannot_be_the_worker_s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "worker"
    assert remove_local_state(state) is False
    (state / "v1" / "tables").mkdir(parents=True)
    (state / "v1" / "tables" / "conversations-0.db").write_text("old")
    assert remove_local_state(state) is True and not state.exists()

    monkeypatch.chdir(state.parent)
    for unsafe in (Path("."), Path(".."), Path.home()):
        with pytest.raises(UnsafeDataDir, match="refusing to delete"):
            remove_local_state(unsafe)
    assert tmp_path.exists()


def test_without_a_terminal_and_without_yes_it_refuses_before_contacting_kafka(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9")  # nothing listens there
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert cli.main(["rebuild"]) == 2
    assert "pass --yes" in capsys.readouterr().err


def test_an_unreachable_kafka_is_a_clear_refusal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9")
    assert cli.main(["rebuild", "--yes"]) == 2
    assert "cannot use Kafka at 127.0.0.1:9: 127.0.0.1:9: connection refused" in capsys.readouterr().err
