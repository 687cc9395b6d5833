"""Run `pingback` commands whose exit status is the point of the test (Deployment.pingback raises on any failure)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import IO

from tests.support.cluster import PINGBACK, Deployment


def run_pingback(
    deployment: Deployment, *args: str, stdin: bytes | None = None, cwd: Path | None = None, timeout_s: float = 180
) -> subprocess.CompletedProcess[str]:
    """The finished command, with its exit status, stdout and stderr (as text), whatever they are."""
    result = subprocess.run(
        [*PINGBACK, *args], env=deployment.env(), cwd=cwd, input=stdin, capture_output=True, timeout=timeout_s
    )
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode(errors="replace"), result.stderr.decode(errors="replace")
    )


def start_pingback(deployment: Deployment, *args: str, stdout: IO[bytes], stderr: IO[bytes]) -> subprocess.Popen[bytes]:
    """A long-running command in the background, without standard input, as in CI."""
    return subprocess.Popen(
        [*PINGBACK, *args], env=deployment.env(), stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr
    )
