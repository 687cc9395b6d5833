"""Faust's own floor: the worker's Faust app and topics with an agent that does nothing per event.

    python -m bench.faust_floor RECORDS     # env: the worker's settings (Deployment.env)

What a Faust agent costs before any work of ours: fetch, conductor, stream, ack and commit. It
prints `FLOOR <seconds from first to last event> <process CPU seconds in that span>` and exits once `RECORDS` events went through.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time

import faust

from pingback.local_kafka import free_port
from streams.app import create_faust_app, use_event_loop
from streams.settings import Settings
from streams.topology import raw


def main() -> None:
    records = int(sys.argv[1])
    settings = Settings.from_environ()
    use_event_loop(settings)  # the same loop as the worker's, so the floor is comparable
    app = create_faust_app(dataclasses.replace(settings, web_port=free_port()))
    topic = app.topic(settings.conversation_topic, settings.agent_topic, **raw())

    @app.agent(topic, name="floor", concurrency=1)
    async def count(stream: faust.StreamT) -> None:
        seen, started, cpu = 0, 0.0, 0.0
        async for _ in stream.events():
            if not seen:
                started, cpu = time.perf_counter(), time.process_time()
            seen += 1
            if seen == records:
                print(f"FLOOR {time.perf_counter() - started} {time.process_time() - cpu}", flush=True)
                os._exit(0)  # the number is out; a clean Faust shutdown would only add seconds

    faust.Worker(app, loglevel="warning", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
