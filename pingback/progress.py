"""The progress bar of long-running commands (`pingback import`, `pingback rebuild`), on stderr.

Stdout stays for results a script may read; the bar goes to stderr. On a terminal it redraws a few
times a second; in a log (CI, a container) it writes a line now and then rather than thousands.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

from tqdm import tqdm

TERMINAL_REFRESH_S = 0.2
LOG_REFRESH_S = 10.0


def progress_bar(*, file: TextIO | None = None, **options: Any) -> tqdm:
    """A tqdm bar on `file` (default stderr); `options` are tqdm's (total, unit, desc...)."""
    stream = sys.stderr if file is None else file
    refresh_s = TERMINAL_REFRESH_S if stream.isatty() else LOG_REFRESH_S
    return tqdm(file=stream, mininterval=refresh_s, dynamic_ncols=True, **options)
