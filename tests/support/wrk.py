"""`wrk` (Debian's package) against a server on this machine: bounded in time, results as a dict.

Used by the endpoint benchmark and the load test. The token reaches wrk_report.lua through the
environment, so it never shows in a process list.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("wrk_report.lua")


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise RuntimeError("wrk is not installed: `apt-get install -y wrk` (make test and make bench do it)")
    return path


async def run_wrk(
    url: str,
    *,
    token: str = "",
    seconds: float,
    connections: int,
    threads: int = 1,
    script: Path = SCRIPT,
    environment: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """wrk's totals, errors and latency percentiles (µs) for `seconds` of load on `url` (loopback only).

    `script` replaces wrk_report.lua (it must print the same JSON line; it may `dofile` this one,
    whose path is in PINGBACK_WRK_REPORT); `environment` adds variables for it.
    """
    assert url.startswith(("http://127.", "http://localhost", "http://[::1]")), f"load only this machine: {url}"
    process = await asyncio.create_subprocess_exec(
        wrk_path(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "5s",
        "-s",
        str(script),
        url,
        env={**os.environ, **(environment or {}), "PINGBACK_TOKEN": token, "PINGBACK_WRK_REPORT": str(SCRIPT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=seconds + 60)
    report = next((line for line in out.decode().splitlines() if line.startswith("{")), None)
    if process.returncode != 0 or report is None:
        raise RuntimeError(f"wrk exited {process.returncode}: {out.decode()}\n{err.decode()}")
    result: dict[str, Any] = json.loads(report)
    result["requests_per_s"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = sum(
        result[kind] for kind in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
    )
    return result
