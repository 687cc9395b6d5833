"""The benchmark table in the READMEs is what the committed result files hold, and nothing else."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from analytics.window import Views
from bench.common import ROOT, BenchRun, figure
from bench.endpoint import PARTITIONS, populate
from bench.feeder import POOL, Feeder
from bench.server import ACCOUNT
from bench.summary import READMES, START, block_of, load_results, render, replace_block
from bench.targets import TARGETS, Target
from streams.live_state import LiveState
from streams.partitioning import partitioner
from streams.topology import wall_clock_us

NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def numbers_in(document: Any) -> set[float]:
    if isinstance(document, bool):
        return set()
    if isinstance(document, int | float):
        return {float(document)}
    if isinstance(document, dict):
        return set().union(*(numbers_in(value) for value in document.values()))
    if isinstance(document, list):
        return set().union(*(numbers_in(value) for value in document))
    return set()


@pytest.mark.parametrize("readme", READMES, ids=lambda path: str(path.relative_to(ROOT)))
def test_readme_block_is_what_the_result_files_render(readme: Path) -> None:
    text = readme.read_text()
    assert START in text, f"{readme} has no generated benchmark block"
    assert block_of(text) == render(load_results()), "re-run `python -m bench.summary --write`"


def test_every_figure_in_the_table_is_held_by_a_result_file() -> None:
    results = load_results()
    held = numbers_in(list(results.values()))
    table = render(results).split("\n\n")[0].splitlines()[2:]
    assert table, "the table has no figures"
    for row in table:
        # best, median, baseline and ratio columns; the figure's name and the target are not measurements
        cells = row.strip("|").split(" | ")[1:5]
        for cell in cells:
            measured = re.sub(r"\(\d+\)", "", cell.rsplit(": ", 1)[-1])  # without a baseline's name and round counts
            for token in NUMBER.findall(measured):
                assert float(token.replace(",", "")) in held, f"{token} in {row!r} is in no result file"


def test_every_figure_names_known_targets() -> None:
    for name, result in load_results().items():
        for entry in result.get("figures", []):
            for key in entry.get("targets", []):
                assert key in TARGETS, f"{name}: unknown target {key}"
                assert TARGETS[key].of == "value" or "ratio" in entry, f"{name}: {key} bounds a ratio it lacks"


def test_result_file_holds_provenance_every_round_and_the_figures(tmp_path: Path) -> None:
    run = BenchRun("sample", folder=tmp_path)
    rounds = [{"round": n, "events_per_s": rate} for n, rate in enumerate([90, 120, 100])]
    entry = figure("ingest", "events/s", [r["events_per_s"] for r in rounds], baseline=("bare", [200, 400, 300]))
    document = json.loads(run.write({"records": 5}, rounds=rounds, figures=[entry]).read_text())

    assert document["rounds"] == rounds and document["records"] == 5
    assert len(document["commit"]["sha"]) == 40
    machine = document["machine"]
    assert machine["cores"] >= 1 and machine["python"] and len(machine["load_average_at_start"]) == 3
    assert document["figures"] == [
        {
            "name": "ingest",
            "unit": "events/s",
            "best": 120,
            "median": 100,
            "rounds": 3,
            "higher_is_better": True,
            "baseline": {"name": "bare", "best": 400, "median": 300, "rounds": 3},
            "ratio": {"best": 0.3, "median": 0.333},
        }
    ]


def test_a_result_file_without_rounds_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        BenchRun("sample", folder=tmp_path).write({}, rounds=[], figures=[figure("x", "s", [1.0])])
    with pytest.raises(ValueError):
        BenchRun("sample", folder=tmp_path).write({"rounds": 1}, rounds=[{}], figures=[figure("x", "s", [1.0])])


def test_lower_is_better_takes_the_smallest_round_as_best() -> None:
    entry = figure("p99", "ms", [4.0, 9.5, 6.25], higher_is_better=False, digits=1)
    assert (entry["best"], entry["median"]) == (4.0, 6.2)


def test_targets_bound_values_and_ratios() -> None:
    assert Target("value", "at_least", 30_000, "").met(30_000)
    assert not Target("value", "at_most", 5.0, "").met(5.1)
    assert Target("value", "within", 0.2, "").met(-0.19) and not Target("value", "within", 0.2, "").met(-0.21)


def test_summary_flags_files_in_the_old_format(tmp_path: Path) -> None:
    (tmp_path / "old.json").write_text(json.dumps({"date": "2026-11-24T00:00:00+00:00", "summary": {}}))
    run = BenchRun("new", folder=tmp_path)
    run.write(
        {},
        rounds=[{"s": 3.0}],
        figures=[figure("restart", "s", [3.0], higher_is_better=False, targets=["takeover.seconds"])],
    )
    block = render(load_results(tmp_path))
    assert "`old.json` (2026-11-24)" in block and "to be re-measured" in block
    assert "| `new`: restart | 3 s | 3 s (1) |  |  | ≤ 10 s: met |" in block


def test_replace_block_keeps_the_text_around_it() -> None:
    text = f"before\n{START}\nold\n<!-- bench-summary:end -->\nafter\n"
    assert replace_block(text, "new") == f"before\n{START}\nnew\n<!-- bench-summary:end -->\nafter\n"


def test_the_feeder_changes_the_overview_without_growing_the_account_past_its_pool() -> None:
    state = LiveState(views=Views(), partition_of=partitioner(PARTITIONS))
    populate(state, 50)
    feeder = Feeder(state, ACCOUNT)  # creates its pool
    before = state.overview(ACCOUNT, wall_clock_us())
    assert before.total_conversations == 50 + POOL
    feeder.fold(POOL)  # the first turn: every pool conversation resolved
    resolved = state.overview(ACCOUNT, wall_clock_us())
    assert resolved.total_conversations == before.total_conversations
    assert resolved.quick_pulse_open == before.quick_pulse_open - POOL
    feeder.fold(2 * POOL)  # rated, then reopened
    reopened = state.overview(ACCOUNT, wall_clock_us())
    assert reopened.quick_pulse_open == before.quick_pulse_open
    assert reopened.total_conversations == before.total_conversations
