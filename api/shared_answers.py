"""One computation per account change and question, shared by every request that asks it meanwhile.

A thousand wallboards of one account ask the same three reports whenever the account's figures
move; each would otherwise compute what the others just did. Requests are keyed by the question
(the account and the request's parameters, without T) and carry the account's data version
(`ReportSource.version`):

* an answer computed at version V for T is reused for the same question at version V until T plus
  `reuse_us` (1 s by default): an answer is exact as of its own T, which it states (`as_of`; `until`
  too when it defaults to T), and at an unchanged version only the agents' time in status would
  have grown meanwhile;
* a request that finds the same question being computed at its version waits for that answer;
* one that finds it being computed at an older version waits for the next computation, which
  starts once the running one has finished and reads the data then: however fast the version
  moves, a question is computed at most once at a time, and every request still gets an answer
  from data at least as new as it saw on arrival.

Failures (503, 429, 500) are never kept; every request that waited for the computation gets them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Answer:
    version: int  # the account's data version the answer was computed from
    as_of_us: int  # its T
    body: bytes


@dataclass(slots=True)
class _Running:
    version: int
    answer: asyncio.Future[bytes]


class _Question:
    __slots__ = ("done", "follow_up", "running")

    def __init__(self) -> None:
        self.done: Answer | None = None
        self.running: _Running | None = None
        self.follow_up: asyncio.Task[bytes] | None = None


@dataclass(frozen=True, slots=True)
class Started:
    """A computation under way: the version and T it reads the account at, and its body to come."""

    version: int
    as_of_us: int
    body: Awaitable[bytes]


# Reads the account's version and T and queues the computation, in one step of the loop.
Start = Callable[[], Started]


def _retrieve(future: asyncio.Future[bytes]) -> None:
    """Mark a failure as seen even when every request that waited for it has gone (no log noise)."""
    if not future.cancelled():
        future.exception()


class SharedAnswers:
    def __init__(self, reuse_us: int) -> None:
        self._reuse_us = reuse_us
        self._questions: dict[Hashable, _Question] = {}

    def __len__(self) -> int:
        """Questions with an answer kept or a computation under way."""
        return len(self._questions)

    async def get(self, key: Hashable, version: int, now_us: int, start: Start) -> bytes:
        """The body for `key` as the account is at `version` and T `now_us`, computing it via `start` if need be.

        `start` runs synchronously (so its version and snapshot belong together) and may raise,
        e.g. `NotReady` or `TooManyReports`: then nothing is kept and the request gets the error.
        """
        question = self._questions.get(key)
        if question is None:
            question = self._questions[key] = _Question()
        done, running = question.done, question.running
        if done is not None and done.version == version and 0 <= now_us - done.as_of_us < self._reuse_us:
            return done.body
        if running is not None and running.version == version:
            return await asyncio.shield(running.answer)
        if question.follow_up is None and running is not None:
            question.follow_up = asyncio.ensure_future(self._follow(key, question, running.answer, start))
            question.follow_up.add_done_callback(_retrieve)
        if question.follow_up is not None:
            return await asyncio.shield(question.follow_up)
        try:
            answer = self._begin(key, question, start)
        except BaseException:
            self._forget_if_idle(key, question)
            raise
        return await asyncio.shield(answer)

    def _begin(self, key: Hashable, question: _Question, start: Start) -> asyncio.Future[bytes]:
        started = start()
        answer = asyncio.ensure_future(self._settle(key, question, started))
        answer.add_done_callback(_retrieve)
        question.running = _Running(started.version, answer)
        return answer

    async def _settle(self, key: Hashable, question: _Question, started: Started) -> bytes:
        try:
            result = await started.body
        except BaseException:
            question.running = None
            self._forget_if_idle(key, question)
            raise
        question.running = None
        question.done = answer = Answer(started.version, started.as_of_us, result)
        asyncio.get_running_loop().call_later(self._reuse_us / 1e6, self._expire, key, question, answer)
        return result

    async def _follow(self, key: Hashable, question: _Question, previous: asyncio.Future[bytes], start: Start) -> bytes:
        await asyncio.wait([previous])  # its outcome belongs to its own requests
        question.follow_up = None
        if question.running is not None:  # a request that came after `previous` ended started one
            return await question.running.answer
        try:
            answer = self._begin(key, question, start)
        except BaseException:
            self._forget_if_idle(key, question)
            raise
        return await answer

    def _expire(self, key: Hashable, question: _Question, answer: Answer) -> None:
        if question.done is answer:
            question.done = None
            self._forget_if_idle(key, question)

    def _forget_if_idle(self, key: Hashable, question: _Question) -> None:
        idle = question.done is None and question.running is None and question.follow_up is None
        if idle and self._questions.get(key) is question:
            del self._questions[key]
