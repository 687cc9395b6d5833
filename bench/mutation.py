"""`make mutation`: mutation testing of analytics/ and events/ (mutmut), results in bench/results/mutation.json.

What is mutated and which tests run is configured in pyproject.toml ([tool.mutmut]); mutmut runs, for
each mutant, only the selected tests that reached the mutated function. `--report-only` rewrites the
results from the last run (after `mutmut run NAME…` re-checked some mutants) without running again.
Survivors that no test can kill are explained in bench/mutation_equivalent.json, by mutant name (an
entry starting "killed:" names the test added since that kills it; "pending:" marks a report part).
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import json
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "mutation.json"
EQUIVALENT = ROOT / "bench" / "mutation_equivalent.json"
# Being rewritten with the report engine: not counted until it is done. The files themselves are
# left out by [tool.mutmut] do_not_mutate; these are the report parts of a file that stays in.
PENDING_FUNCTIONS = ["analytics.window.xǁAccountViewǁreport__mutmut_*", "analytics.window.xǁViewsǁreport__mutmut_*"]
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests"}
STATUS |= dict.fromkeys((36, 24, -24, 152, 255), "timeout")  # mutmut stops a mutant by its CPU time (SIGXCPU)


def _mutmut() -> Path:
    return Path(sys.executable).parent / "mutmut"


def _source_line(path: Path, mutant: str, diff: str) -> int | None:
    """The line of `path` the mutant changes: the first removed line of its diff, inside its function."""
    from mutmut.__main__ import orig_function_and_class_names_from_key

    function, class_name = orig_function_and_class_names_from_key(mutant)
    removed = [line[1:].strip() for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")]
    if not removed:
        return None
    tree = ast.parse(path.read_text())
    scope: list[ast.AST] = [tree]
    if class_name is not None:
        scope = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == class_name]
    lines = path.read_text().splitlines()
    for owner in scope:
        for node in ast.walk(owner):
            if isinstance(node, ast.FunctionDef) and node.name == function:
                for number in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                    if lines[number - 1].strip() == removed[0]:
                        return number
    return None


def collect(duration_s: float | None) -> dict[str, Any]:
    from mutmut.__main__ import get_diff_for_mutant

    equivalent: dict[str, str] = json.loads(EQUIVALENT.read_text()) if EQUIVALENT.exists() else {}
    counts: dict[str, int] = {}
    survivors, pending, unchecked = [], 0, dict[str, int]()
    for meta in sorted((ROOT / "mutants").rglob("*.py.meta")):
        source = meta.relative_to(ROOT / "mutants").with_suffix("")
        for name, exit_code in json.loads(meta.read_text())["exit_code_by_key"].items():
            if any(fnmatch.fnmatch(name, pattern) for pattern in PENDING_FUNCTIONS) or equivalent.get(
                name, ""
            ).startswith("pending:"):
                pending += 1
                continue
            status = "not checked" if exit_code is None else STATUS.get(exit_code, "suspicious")
            if status == "survived" and equivalent.get(name, "").startswith("killed:"):
                status = (
                    "killed"  # by a test added after the run checked it (bench/mutation_equivalent.json says which)
                )
            counts[status] = counts.get(status, 0) + 1
            if status == "not checked":  # the run was stopped before it reached these
                unchecked[str(source)] = unchecked.get(str(source), 0) + 1
            if status in ("survived", "no tests"):
                diff = get_diff_for_mutant(name, path=source)
                line = _source_line(ROOT / source, name, diff)
                changed = [d for d in diff.splitlines()[2:] if d[:1] in "+-"]
                survivors.append(
                    {
                        "mutant": name,
                        "at": f"{source}:{line}",
                        "status": status,
                        "mutation": changed,
                        "equivalent_because": equivalent.get(name),
                    }
                )
    total = sum(counts.values())
    killed = counts.get("killed", 0) + counts.get("timeout", 0)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    return {
        "benchmark": "mutation",
        "commit": commit,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "tool": "mutmut 3.7.0: per-mutant test selection, 2 workers, properties at most 40 examples per mutant"
        " (tests/support/mutmut_compat.py)",
        "tests": "pyproject.toml [tool.mutmut] pytest_add_cli_args_test_selection, broker-free (-m 'not kafka')",
        "duration_s": duration_s,
        "pending": {
            "why": "the report engine is being rewritten; re-include it by editing [tool.mutmut] do_not_mutate"
            " and PENDING_FUNCTIONS in bench/mutation.py",
            "files": ["analytics/report.py", "analytics/report_rows.py", "analytics/grouped.py"],
            "functions": PENDING_FUNCTIONS,
            "mutants_left_out": pending,
        },
        "mutants": total,
        "killed": killed,
        "timeouts_counted_as_killed": counts.get("timeout", 0),
        "survived": counts.get("survived", 0),
        "no_tests": counts.get("no tests", 0),
        "not_checked": counts.get("not checked", 0),
        "not_checked_by_file": dict(sorted(unchecked.items(), key=lambda kv: -kv[1])),
        "killed_share": round(killed / total, 4) if total else None,
        "killed_share_of_checked": round(killed / (total - counts.get("not checked", 0)), 4) if total else None,
        "equivalent": sum(s["equivalent_because"] is not None for s in survivors),
        "survivors": survivors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report-only", action="store_true", help="write the results of the last run")
    parser.add_argument("--measured-s", type=int, help="with --report-only: the run's duration, measured by hand")
    args = parser.parse_args()
    duration_s = None
    if not args.report_only:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)  # every mutant checked afresh, none from a cache
        started = time.monotonic()
        subprocess.run([str(_mutmut()), "run", "--max-children", "2"], cwd=ROOT, check=True)
        duration_s = round(time.monotonic() - started)
    elif args.measured_s is not None:
        duration_s = args.measured_s
    elif RESULTS.exists():
        duration_s = json.loads(RESULTS.read_text()).get("duration_s")
    results = collect(duration_s)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(
        f"{results['killed']} of {results['mutants']} mutants killed ({results['killed_share']:.1%}), "
        f"{len(results['survivors'])} survivors ({results['equivalent']} equivalent) -> {RESULTS.relative_to(ROOT)}"
    )


if __name__ == "__main__":
    main()
