"""`make demo` starts the whole product and Ctrl-C stops everything it started (bounded smoke test)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from pingback.local_kafka import free_port

ROOT = Path(__file__).resolve().parent.parent
# `make demo` starts its own broker rather than using the session's.
pytestmark = pytest.mark.kafka


def test_make_demo_serves_figures_and_ctrl_c_leaves_nothing_running(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}  # the demo brings its own
    demo = subprocess.Popen(
        ["make", "--no-print-directory", "demo", f"DEMO_ARGS=--port {port} --state-dir {tmp_path} --backfill-days 1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not any("Press Ctrl-C" in line for line in output):
            line = demo.stdout.readline()  # type: ignore[union-attr]
            assert line, "demo exited early:\n" + "".join(output)
            output.append(line)
        token = re.search(r"token:\s+(\S+)", "".join(output)).group(1)  # type: ignore[union-attr]
        base = f"http://127.0.0.1:{port}"
        figures = {}
        while time.monotonic() < deadline and not figures.get("total_conversations"):
            response = httpx.get(f"{base}/api/v1/analytics/overview", headers={"Authorization": f"Bearer {token}"})
            figures = response.json() if response.status_code == 200 else {}
            time.sleep(0.5)
        assert figures["total_conversations"] > 0, figures
        assert httpx.get(f"{base}/wallboard").status_code == 200
    finally:
        os.killpg(demo.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole foreground group
        rest, _ = demo.communicate(timeout=120)
    assert "nothing left running" in rest, "".join(output) + rest
    # A newcomer's first screen: no retried produce on topics created a moment before (issue #23).
    assert "NotLeaderForPartition" not in "".join(output), "".join(output)
    pids = [int(pid) for pid in re.search(r"processes:\s+([\d ]+)", "".join(output)).group(1).split()]  # type: ignore[union-attr]
    assert len(pids) == 3  # worker, simulator, broker
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower(), pid
