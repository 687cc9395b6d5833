"""History as the JSON Lines files `pingback import` reads: one record's original value bytes a line."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tests.support.history import Record


def jsonl(records: Iterable[Record]) -> bytes:
    return b"".join(record.value + b"\n" for record in records)


def write_jsonl(path: Path, records: Iterable[Record]) -> Path:
    path.write_bytes(jsonl(records))
    return path
