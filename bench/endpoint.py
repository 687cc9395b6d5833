"""Endpoint: the overview under wrk against a constant-JSON route of the same server, at two sizes.

    .venv/bin/python -m bench.endpoint      # ~5 min; writes bench/results/endpoint.json

The server is `bench.server`'s: the real API over a worker's `LiveState` and a constant-JSON
route, the same server's ceiling in the same run. The account's views are rebuilt from synthetic
facts for 1,000 and then 1,000,000 conversations, all inside the 30-day window.

Each round runs both routes twice: with the data still ("idle": every request gets the memoised
overview) and while `bench.feeder` folds `--feed-rate` events/s into the same account on the same
event loop ("folding": the overview is re-rendered after every event, as in a busy worker). Every
wrk run is recorded, with wrk's own CPU time (the load generator must not be the bottleneck) and
this process's (the server's, and the feeder's).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections.abc import Iterator, Sequence
from typing import Any

from analytics.facts import AgentFacts, ConversationFacts, encode_facts
from analytics.time import HOUR_US, SECOND_US, WINDOW_US
from analytics.window import Views
from bench.common import BenchRun, derived_figure, figure, markdown_table, ratio
from bench.feeder import Feeder
from bench.server import ACCOUNT, CONSTANT_PATH, MODES, ROUTES, bench_server, wrk_rounds
from streams.ingest import fact_key
from streams.live_state import LiveState
from streams.partitioning import partitioner
from streams.topology import wall_clock_us

PARTITIONS = 8
CHANNELS = ["whatsapp", "widget", "telegram", "instagram", "email"]


def synthetic_facts(
    conversations: int, now_us: int, account: str = ACCOUNT, seed: int = 3, agents: int = 25, span_us: int = WINDOW_US
) -> Iterator[tuple[bytes, bytes]]:
    """(table key, stored facts) for conversations created over the `span_us` before now, mostly resolved."""
    rng = random.Random(seed)
    agent_ids = [agent_id(n) for n in range(agents)]
    for n in range(conversations):
        created_us = now_us - rng.randrange(HOUR_US, span_us - 2 * HOUR_US)
        reply_us = created_us + rng.randrange(SECOND_US, 900 * SECOND_US)
        resolved_us = reply_us + rng.randrange(60 * SECOND_US, 20 * HOUR_US)
        resolved = resolved_us < now_us and rng.random() < 0.8
        facts = ConversationFacts(
            last_event_us=min(resolved_us, now_us),
            created=(created_us, f"c{n}", rng.choice(CHANNELS)),
            first_reply=(reply_us, f"m{n}", rng.choice(agent_ids)) if reply_us < now_us else None,
            status=(resolved_us, f"s{n}", "resolved", rng.choice(agent_ids)) if resolved else None,
            rating=(resolved_us + 1, f"r{n}", rng.randint(1, 5)) if resolved and rng.random() < 0.4 else None,
            conversation_id=f"cnv_{n}",
        )
        yield fact_key(account, f"cnv_{n}"), encode_facts(facts)


def agent_id(n: int) -> str:
    return f"agt_{n:02d}"


# Newest first: an agent's latest status is live, and before it the day's usual round.
_STATUS_ROUND = ("live", "away", "live", "offline")


def agent_status_history(n: int, now_us: int, changes: int = 1, span_us: int = HOUR_US) -> AgentFacts:
    """Agent n's facts: `changes` status changes evenly spread over the `span_us` before now."""
    # event_ids shaped like UUIDs (36 characters), as producers commonly send them
    history = tuple(
        (
            now_us - span_us * (k + 1) // changes,
            f"{n:08x}-{k:04x}-4000-8000-{k:012x}",
            _STATUS_ROUND[k % len(_STATUS_ROUND)],
        )
        for k in reversed(range(changes))
    )
    return AgentFacts(agent_id(n), history, (history[-1][0], history[-1][1], f"Agent {n}"))


def agent_facts(now_us: int, agents: int = 25, changes: int = 1, span_us: int = HOUR_US) -> list[tuple[bytes, bytes]]:
    return [
        (fact_key(ACCOUNT, agent_id(n)), encode_facts(agent_status_history(n, now_us, changes, span_us)))
        for n in range(agents)
    ]


def populate(
    state: LiveState,
    conversations: int,
    *,
    agents: int = 25,
    span_us: int = WINDOW_US,
    status_changes: int = 1,
    status_span_us: int = HOUR_US,
) -> float:
    """Rebuild the views as the worker does after recovery; returns the seconds it took.

    Conversations are created over the `span_us` before now; each of `agents` agents has
    `status_changes` status changes over the `status_span_us` before now.
    """
    started = time.perf_counter()
    now_us = wall_clock_us()
    all_partitions = [(topic, p) for topic in ("conversations", "agents") for p in range(PARTITIONS)]
    state.recovered(
        assigned=all_partitions,
        conversations=synthetic_facts(conversations, now_us, agents=agents, span_us=span_us),
        agents=agent_facts(now_us, agents, status_changes, status_span_us),
        next_offsets={},
        highwaters={},
        now_us=now_us,
    )
    return time.perf_counter() - started


async def bench(
    sizes: list[int], seconds: float, connections: int, rounds: int, feed_rate: float
) -> list[dict[str, Any]]:
    state = LiveState(views=Views(), partition_of=partitioner(PARTITIONS))
    runs: list[dict[str, Any]] = []
    async with bench_server(state) as (base_url, token):
        for size in sizes:
            build_s = populate(state, size)
            feeder = Feeder(state, ACCOUNT)
            print(f"{size:,} conversations: views built in {build_s:.1f} s", flush=True)
            for run in await wrk_rounds(base_url, token, seconds, connections, rounds, ROUTES, feeder, feed_rate):
                runs.append({"conversations": size, "views_build_s": round(build_s, 2), **run})
    return runs


def size_figures(runs: Sequence[dict[str, Any]], size: int, mode: str) -> list[dict[str, Any]]:
    def values(route: str, field: str, scale: float = 1) -> list[float]:
        return [
            run[field] / scale
            for run in runs
            if (run["conversations"], run["mode"], run["route"]) == (size, mode, route)
        ]

    name = f"overview, {size:,} conversations, {mode}"
    return [
        figure(
            name,
            "req/s",
            values("overview", "requests_per_s"),
            baseline=(f"constant route, {mode}", values("constant", "requests_per_s")),
            targets=["overview.ratio_to_constant"],
        ),
        figure(
            f"{name}: p99",
            "ms",
            values("overview", "p99_us", 1000),
            higher_is_better=False,
            digits=1,
            baseline=(f"constant route, {mode}", values("constant", "p99_us", 1000)),
            targets=["overview.p99_ms"],
        ),
    ]


def headline(runs: Sequence[dict[str, Any]], sizes: list[int], feed_rate: float) -> list[dict[str, Any]]:
    figures = [entry for size in sizes for mode in MODES for entry in size_figures(runs, size, mode)]
    for mode in MODES:
        first, last = (
            next(f for f in figures if f["name"] == f"overview, {n:,} conversations, {mode}")
            for n in (sizes[0], sizes[-1])
        )
        figures.append(
            derived_figure(
                f"overview req/s change, {sizes[0]:,} → {sizes[-1]:,} conversations, {mode}",
                "",
                ratio(last["best"] - first["best"], first["best"]),
                ratio(last["median"] - first["median"], first["median"]),
                first["rounds"],
                targets=["overview.change_1k_to_1m"],
            )
        )
    folding_runs = [run for run in runs if run["mode"] == "folding" and run["route"] == "overview"]
    figures.append(
        figure(
            f"events folded while the overview was loaded (asked {feed_rate:,.0f}/s)",
            "events/s",
            [run["feeder"]["events_per_s"] for run in folding_runs],
        )
    )
    figures.append(
        figure(
            "load generator: wrk's CPU per second of load (1 thread; the machine has 2 cores)",
            "cores",
            [run["wrk_cpu_s"] / (run["duration_us"] / 1e6) for run in runs],
            higher_is_better=False,
            digits=2,
        )
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 1_000_000])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--feed-rate", type=float, default=1_000, help="events/s folded in the 'folding' runs")
    args = parser.parse_args()
    run = BenchRun("endpoint")
    runs = asyncio.run(bench(args.sizes, args.seconds, args.connections, args.rounds, args.feed_rate))
    figures = headline(runs, args.sizes, args.feed_rate)
    settings = {"seconds": args.seconds, "connections": args.connections, "threads": 1, "feed_rate": args.feed_rate}
    path = run.write(
        {"baseline": f"GET {CONSTANT_PATH} (constant JSON) on the same server, same run, same mode", "wrk": settings},
        rounds=runs,
        figures=figures,
    )
    print(
        markdown_table(
            ["figure", "best", "median", "baseline best / median"],
            [
                [
                    f["name"],
                    f["best"],
                    f["median"],
                    f"{f['baseline']['best']} / {f['baseline']['median']}" if "baseline" in f else "",
                ]
                for f in figures
            ],
        )
    )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
