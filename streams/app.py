"""The Faust app object, alone, configured from `Settings` passed in."""

from __future__ import annotations

import faust

from streams.settings import Settings


def create_faust_app(settings: Settings) -> faust.App:
    return faust.App(
        settings.app_id,
        broker=[f"kafka://{server}" for server in settings.bootstrap_list],
        store=settings.store,
        datadir=str(settings.data_dir),
        topic_partitions=settings.partitions,
        # At-least-once, always: faust-streaming's exactly_once is not reliable. The state is a
        # join of facts (idempotent), so a redelivered record changes nothing.
        processing_guarantee="at_least_once",
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        broker_commit_interval=1.0,
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=max(1.0, settings.session_timeout_s / 5),
        # The web server is ours (Starlette under uvicorn, see streams.worker); Faust needs web
        # enabled to start it and canonical_url to tell the other workers where we answer.
        web_enabled=True,
        web_bind=settings.web_host,
        web_port=settings.web_port,
        canonical_url=settings.worker_url,
        autodiscover=False,
    )
