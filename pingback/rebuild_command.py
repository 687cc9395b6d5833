"""`pingback rebuild` — rebuild all state from the start of the event topics.

The design is "reset with the workers stopped, then serve nothing partial":

1. Refuse while any worker of the consumer group runs: its tables and commits would fight the
   reset. Stop every worker first.
2. Reset (`streams.reset`): rewind the group's committed offsets to the start of the event topics,
   delete the tables' changelog topics (waiting until the broker has), delete the local state.
3. Run the worker, the very code of `pingback worker`, with its API on --port. Until it has folded
   everything that was in the event topics when it started, the API answers 503 with Retry-After
   (the catch-up gating of `streams.live_state`), never a partial figure. Progress shows the events
   remaining, from the group's lag; "rebuild complete: N events in S s" (N: the events it folded
   or dead-lettered) ends it, and the command exits 0, or with --serve goes on as a normal worker.

Exit status: 0 complete; 1 the worker stopped before it was (running `pingback rebuild` again
starts over; starting the workers instead resumes the replay, still gated); 2 refused or failed
before anything was changed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from aiokafka.errors import KafkaConnectionError, KafkaError

from pingback.worker_command import add_worker_arguments, worker_settings
from streams.kafka_preflight import unusable
from streams.reset import (
    EventLog,
    UnsafeDataDir,
    changelog_topics,
    delete_changelogs,
    group_members,
    read_event_log,
    remove_local_state,
    rewind_group,
)
from streams.settings import Settings
from streams.topics import TopicLayoutError, ensure_topics


def register(subparsers: argparse._SubParsersAction) -> None:
    rebuild = subparsers.add_parser("rebuild", help="rebuild all state from the start of the event topics")
    rebuild.add_argument("--yes", action="store_true", help="do not ask for confirmation (needed without a terminal)")
    rebuild.add_argument("--serve", action="store_true", help="keep running as a normal worker once rebuilt")
    add_worker_arguments(
        rebuild,
        port_help="HTTP port of the rebuilding worker, which answers 503 until complete",
        data_dir_help="local state to delete and rebuild",
    )
    rebuild.set_defaults(run=_run)  # checks Kafka itself, after the refusals that need none


def _run(args: argparse.Namespace) -> int:
    settings = worker_settings(args)
    if not args.yes and not sys.stdin.isatty():
        return _refuse("standard input is not a terminal, so there is no one to confirm; pass --yes to rebuild")
    problem = unusable(settings.kafka)
    if problem is not None:
        return _refuse(f"cannot use Kafka at {settings.bootstrap_servers}: {problem}")
    try:
        members, log = asyncio.run(_preflight(settings))
    except KafkaConnectionError:
        return _refuse(f"cannot reach Kafka at {settings.bootstrap_servers} (KAFKA_BOOTSTRAP_SERVERS)")
    except (KafkaError, TopicLayoutError) as exc:
        return _refuse(str(exc))
    if members:
        return _refuse(
            f"{len(members)} worker(s) of consumer group {settings.app_id!r} are running "
            f"({', '.join(sorted(members))}); stop them all first. A worker killed without a clean "
            f"stop stays listed for the group's session timeout (PINGBACK_SESSION_TIMEOUT_S)"
        )
    if not args.yes and not _confirmed(settings, log):
        return _refuse("not confirmed; nothing was changed")

    from pingback.rebuild_watch import RebuildWatch  # Faust is heavy to import; only the replay needs it
    from streams.worker import run_worker

    started = time.monotonic()
    try:
        asyncio.run(_reset(settings, log))
    except UnsafeDataDir as exc:
        return _refuse(str(exc))
    except (KafkaError, TimeoutError) as exc:
        print(f"pingback rebuild: the reset failed half-way ({exc}); run `pingback rebuild` again", file=sys.stderr)
        return 1
    watch = RebuildWatch(settings, log, started=started, serve=args.serve, out=sys.stdout, err=sys.stderr)
    print(
        f"rebuild: replaying {log.records:,} events; http://{settings.web_host}:{settings.web_port} answers "
        f"503 until complete",
        flush=True,
    )
    try:
        run_worker(settings, loglevel=args.loglevel, supervisor=watch)
    except SystemExit:
        pass  # the worker always leaves this way; whether the rebuild completed is the watch's to say
    if watch.complete:
        return 0
    print(
        "pingback rebuild: the worker stopped before the rebuild was complete; run `pingback rebuild` "
        "again to start over, or start the workers to resume (they answer 503 until caught up)",
        file=sys.stderr,
    )
    return 1


async def _preflight(settings: Settings) -> tuple[list[str], EventLog]:
    await ensure_topics(settings)
    return await group_members(settings), await read_event_log(settings)


async def _reset(settings: Settings, log: EventLog) -> None:
    # Local state first: refusing an unsafe PINGBACK_DATA_DIR must leave Kafka untouched.
    removed = remove_local_state(settings.data_dir)
    print(f"rebuild: {'deleted' if removed else 'no'} local state in {settings.data_dir}")
    await rewind_group(settings, log)
    print(f"rebuild: consumer group {settings.app_id!r} rewound to the start of {len(log.start)} event partitions")
    deleted = await delete_changelogs(settings)
    print(f"rebuild: deleted changelog topics {', '.join(deleted)}" if deleted else "rebuild: no changelog topics yet")


def _confirmed(settings: Settings, log: EventLog) -> bool:
    print(
        f"This rebuilds all state of {settings.app_id!r} from the event topics. It deletes:\n"
        f"  - the committed offsets of consumer group {settings.app_id!r}\n"
        f"  - the changelog topics {', '.join(changelog_topics(settings))}\n"
        f"  - the local state in {settings.data_dir}\n"
        f"and then replays {log.records:,} events from {settings.conversation_topic} and {settings.agent_topic};\n"
        f"the API answers 503 until that is complete. API keys and dead letters are kept."
    )
    return input("Rebuild now? [y/N] ").strip().lower() in ("y", "yes")


def _refuse(message: str) -> int:
    print(f"pingback rebuild: {message}", file=sys.stderr)
    return 2
