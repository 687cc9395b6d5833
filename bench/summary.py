"""The README's benchmark table, built only from the committed result files, so it cannot drift.

    .venv/bin/python -m bench.summary            # print the Markdown block
    .venv/bin/python -m bench.summary --write    # replace the marked block in README.md and bench/README.md

Every number in the table is a number of some `bench/results/*.json` (its `figures`: best and
median of the rounds, the same-run baseline's, their ratios); targets come from `bench.targets`.
A result file without `figures` (written before the shared format) is listed as to be re-measured.
`tests/test_bench_summary.py` fails when a README's block is not what this prints.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench.common import RESULTS, ROOT, markdown_table
from bench.targets import TARGETS

START = "<!-- bench-summary:start (python -m bench.summary --write) -->"
END = "<!-- bench-summary:end -->"
READMES = (ROOT / "README.md", ROOT / "bench" / "README.md")


def load_results(folder: Path = RESULTS) -> dict[str, dict[str, Any]]:
    return {path.stem: json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))}


def number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,}"


def verdict(entry: dict[str, Any], key: str) -> str:
    target = TARGETS[key]
    measured = entry if target.of == "value" else entry["ratio"]
    best, median = target.met(measured["best"]), target.met(measured["median"])
    word = "met" if median else ("**best round only**" if best else "**missed**")
    return f"{target.text}: {word}"


def figure_row(name: str, entry: dict[str, Any]) -> list[str]:
    unit = f" {entry['unit']}" if entry["unit"] else ""
    baseline, ratios = entry.get("baseline"), entry.get("ratio")
    return [
        f"`{name}`: {entry['name']}",
        f"{number(entry['best'])}{unit}",
        f"{number(entry['median'])}{unit} ({entry['rounds']})",
        ""
        if baseline is None
        else f"{baseline['name']}: {number(baseline['best'])} / {number(baseline['median'])} ({baseline['rounds']})",
        "" if ratios is None else f"{number(ratios['best'])} / {number(ratios['median'])}",
        "; ".join(verdict(entry, key) for key in entry.get("targets", ())),
    ]


def run_row(name: str, result: dict[str, Any]) -> list[str]:
    machine, sha, changed = result["machine"], result["commit"]["sha"], result["commit"]["uncommitted_changes"]
    revision = "—" if sha is None else sha[:10]
    if changed:
        revision += (
            f" + uncommitted {', '.join(changed)}" if len(changed) <= 3 else f" + {len(changed)} uncommitted files"
        )
    load = " / ".join(str(x) for x in machine["load_average_at_start"])
    return [
        f"`{name}.json`",
        result["date"],
        revision,
        f"{machine['cpu']}, {machine['cores']} cores, {machine['ram_gib']} GiB, Python {machine['python']}",
        load,
        f"{len(result['rounds'])}",
    ]


def render(results: dict[str, dict[str, Any]]) -> str:
    current = {name: result for name, result in results.items() if "figures" in result}
    stale = [name for name in results if name not in current]
    figures = markdown_table(
        ["benchmark", "best", "median (rounds)", "baseline, same run: best / median", "ratio best / median", "target"],
        [figure_row(name, entry) for name, result in current.items() for entry in result["figures"]],
    )
    runs = markdown_table(
        ["result file", "date (UTC)", "commit", "machine", "load average at start (1/5/15 min)", "rounds recorded"],
        [run_row(name, result) for name, result in current.items()],
    )
    parts = [figures, runs]
    if stale:
        listed = ", ".join(f"`{name}.json` ({results[name].get('date', 'undated')[:10]})" for name in stale)
        parts.append(
            f"Not yet in the shared format (no rounds or provenance recorded), so not quoted: {listed} — "
            "to be re-measured (`python -m bench.<name>`)."
        )
    return "\n\n".join(parts)


def replace_block(text: str, block: str) -> str:
    head, found, rest = text.partition(START)
    _, closed, tail = rest.partition(END)
    if not found or not closed:
        raise ValueError(f"no {START} … {END} block")
    return f"{head}{START}\n{block}\n{END}{tail}"


def block_of(text: str) -> str:
    return text.partition(START)[2].partition(END)[0].strip("\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="replace the marked block in the READMEs")
    args = parser.parse_args()
    block = render(load_results())
    if not args.write:
        print(block)
        return
    for readme in READMES:
        readme.write_text(replace_block(readme.read_text(), block))
        print(f"rewrote the benchmark block of {readme.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
