"""`pingback import` input: JSON Lines from files (plain or gzip) or stdin, checked line by line.

Each line is checked with `events.decode.decode_event`, the worker's own validation (without a key:
the file has none, and the importer keys each record by its `account_id`), so a line accepted here
is one the worker folds, and a rejected line gets the reason its dead letter would have carried.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from events.decode import decode_event
from events.errors import InvalidEvent
from events.topics import topic_for

STDIN = "-"
STDIN_NAME = "<stdin>"
GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
# The broker refuses records above about 1 MB (message.max.bytes): such a line is rejected here
# rather than failing the whole import when its batch is refused.
MAX_LINE_BYTES = 1_000_000


class InputError(Exception):
    """An input cannot be opened or read; the message names it and says why."""


@dataclass(frozen=True)
class Valid:
    topic: str
    account_id: str
    value: bytes


@dataclass(frozen=True)
class Invalid:
    reason: str


def is_gzip(name: str, head: bytes) -> bool:
    """By the magic bytes, whatever the name; or by a `.gz` name (a damaged file then fails clearly)."""
    return head.startswith(GZIP_MAGIC) or name.endswith(".gz")


class Source:
    """One opened input: its numbered lines without line terminators, and how far it has been read."""

    def __init__(self, name: str, raw: BinaryIO, size: int | None) -> None:
        self.name = name
        self.size = size  # bytes on disk; None for stdin, which has no size to show progress against
        self._raw = raw
        self._lines_read_bytes = 0
        # peek() does not consume, so stdin (not seekable) can be sniffed as well as a file.
        head = raw.peek(len(GZIP_MAGIC))[: len(GZIP_MAGIC)]  # type: ignore[attr-defined]
        self._stream: BinaryIO = gzip.GzipFile(fileobj=raw, mode="rb") if is_gzip(name, head) else raw

    def lines(self) -> Iterator[tuple[int, bytes]]:
        number = 0
        try:
            for number, line in enumerate(self._stream, 1):
                self._lines_read_bytes += len(line)
                if number == 1:
                    line = line.removeprefix(UTF8_BOM)  # some Windows tools start UTF-8 text with one
                yield number, line.rstrip(b"\r\n")
        except (OSError, EOFError, zlib.error) as exc:  # gzip's BadGzipFile is an OSError
            raise InputError(f"{self.name}: cannot read past line {number}: {exc}") from exc

    def position(self) -> int:
        """Bytes read: of the file on disk (compressed, like `size`), or of the lines for stdin."""
        return self._lines_read_bytes if self.size is None else self._raw.tell()

    def close(self) -> None:
        self._stream.close()
        self._raw.close()


def open_source(name: str, stdin: BinaryIO) -> Source:
    if name == STDIN:
        return Source(STDIN_NAME, stdin, None)
    try:
        raw = open(name, "rb")
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory, not a file") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot open: {exc.strerror or exc}") from None
    return Source(name, raw, os.fstat(raw.fileno()).st_size)


class LineChecker:
    """Turns one line into the record to produce, or the reason it cannot be imported."""

    def __init__(
        self, *, conversation_topic: str, agent_topic: str, max_ahead_us: int, clock_us: Callable[[], int]
    ) -> None:
        self._conversation_topic, self._agent_topic = conversation_topic, agent_topic
        self._max_ahead_us = max_ahead_us
        self._clock_us = clock_us

    def check(self, line: bytes) -> Valid | Invalid:
        if len(line) > MAX_LINE_BYTES:
            return Invalid(f"the line has {len(line):,} bytes; Kafka takes records of at most {MAX_LINE_BYTES:,}")
        try:
            event = decode_event(line, key=None, now_us=self._clock_us(), max_ahead_us=self._max_ahead_us)
        except InvalidEvent as invalid:
            return Invalid(invalid.reason)
        event_type = str(type(event).__struct_config__.tag)
        topic = topic_for(event_type, conversation_topic=self._conversation_topic, agent_topic=self._agent_topic)
        return Valid(topic, event.account_id, line)


def location(source: str, number: int) -> str:
    """`file:line`, as compilers and editors print it, so a terminal can jump there."""
    return f"{source}:{number}"
