"""What `pingback import` tells its user: the rejected lines and the closing summary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

SHOWN_ON_TERMINAL = 5


@dataclass
class Counts:
    read: int = 0
    imported: int = 0
    blank: int = 0


def reject_entry(where: str, reason: str, line: bytes) -> bytes:
    """`file:line: reason`, then the line itself, indented, so it can be fixed and imported again."""
    return f"{where}: {reason}\n".encode() + b"    " + line + b"\n"


class Rejects:
    """Every rejected line goes to the rejects file, created at the first one; the first few are shown too."""

    def __init__(self, path: Path, show: Callable[[str], None]) -> None:
        self.path = path
        self.count = 0
        self._show = show
        self._file: BinaryIO | None = None

    def add(self, where: str, reason: str, line: bytes) -> None:
        self.count += 1
        if self._file is None:
            self._file = open(self.path, "wb")  # a clean run leaves an older rejects file alone
        self._file.write(reject_entry(where, reason, line))
        if self.count <= SHOWN_ON_TERMINAL:
            self._show(f"rejected {where}: {reason}")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    def closing_note(self) -> str:
        more = f"... and {self.count - SHOWN_ON_TERMINAL:,} more; " if self.count > SHOWN_ON_TERMINAL else ""
        return f"{more}all {self.count:,} rejected lines, with file:line and the reason, are in {self.path}"


def summary(counts: Counts, rejected: int, elapsed_s: float) -> str:
    rate = counts.imported / elapsed_s if elapsed_s > 0 else 0.0
    blank = f" ({counts.blank:,} blank, skipped)" if counts.blank else ""
    return (
        f"import: {counts.read:,} lines read{blank}, {counts.imported:,} imported, {rejected:,} rejected"
        f" in {elapsed_s:.1f} s ({rate:,.0f} events/s)"
    )
