"""A managed-Kafka setup on this machine: SASL_SSL with SCRAM and a private CA (issue #23).

The local broker's SASL_SSL listener (`pingback kafka start --secured`) is used by every part of the
product exactly as a Confluent Cloud or MSK cluster would be: the worker, `keys`, `import`,
`simulate`, `rebuild` and HTTP ingest, with exact figures. A wrong password, an untrusted CA and a
plaintext client on the TLS port each fail fast with a message naming the cause.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from pingback.local_kafka import LocalKafka, free_port
from pingback.local_tls import Authority
from tests.support.cluster import Deployment, now_us, wait_for_figures
from tests.support.commands import run_pingback
from tests.support.history import decode_valid, generate_history
from tests.support.jsonl import write_jsonl
from tests.support.reference import reference_overview

pytestmark = pytest.mark.kafka  # a broker of its own, started here: fails, never skips, without one


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    broker = LocalKafka(port=free_port(), data_dir=tmp_path_factory.mktemp("secured-kafka"), secured=True)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


def deployment_on(broker: LocalKafka, name: str, tmp: Path, **overrides: str) -> Deployment:
    security = broker.security
    assert security is not None
    connection = security.client_environ(broker.bootstrap_servers) | overrides
    return Deployment(broker.bootstrap_servers, name, tmp, connection=connection)


async def test_every_part_of_the_product_works_over_sasl_ssl(secured: LocalKafka, unique: str, tmp_path: Path) -> None:
    deployment = deployment_on(secured, f"secured-{unique}", tmp_path)
    history = [r for r in generate_history(now_us=now_us(), accounts=2, events=1500, seed=23) if r.valid]
    imported, posted = history[:1000], history[1000:]
    accounts = sorted({event.account_id for event in decode_valid(history)})
    tokens = {account: deployment.create_key(account) for account in accounts}  # keys over SASL_SSL
    ingest = {
        account: deployment.pingback("keys", "create", "--account", account, "--scope", "ingest").stdout.strip()
        for account in accounts
    }

    result = run_pingback(deployment, "import", str(write_jsonl(tmp_path / "history.jsonl", imported)), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    worker = deployment.start_worker()
    try:
        worker.wait_ready()
        for record in posted:  # HTTP ingest: the worker produces them over SASL_SSL
            token = ingest[orjson.loads(record.value)["account_id"]]
            answer = httpx.post(
                f"{worker.base_url}/api/v1/events",
                content=b"[" + record.value + b"]",
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                timeout=30,
            )
            assert (answer.status_code, answer.json()["accepted"]) == (200, 1), answer.text
        events = decode_valid(history)
        await wait_for_figures(worker, tokens, lambda account, t: reference_overview(events, account, t))
    finally:
        deployment.stop_all()

    rebuilt = run_pingback(deployment, "rebuild", "--yes", "--port", str(free_port()), timeout_s=300)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    again = deployment.start_worker(data_dir=tmp_path / "after-rebuild")
    try:
        # The reference's figures again after the rebuild (not the same answer as before: the 30-day
        # window has moved on meanwhile, and items near its lower edge drop out by the hour).
        await wait_for_figures(again, tokens, lambda account, t: reference_overview(events, account, t))
    finally:
        deployment.stop_all()

    simulated = run_pingback(
        deployment, "simulate", "--accounts", "1", "--backfill-days", "0.02", "--duration", "1", timeout_s=120
    )
    assert simulated.returncode == 0 and "simulate: accounts acme" in simulated.stdout, simulated.stderr


def _wrong_password(broker: LocalKafka, tmp: Path) -> dict[str, str]:
    secret = tmp / "wrong-password"
    secret.write_text("not-the-password\n")
    return {"KAFKA_SASL_PASSWORD_FILE": str(secret)}


def _untrusted_ca(broker: LocalKafka, tmp: Path) -> dict[str, str]:
    other = tmp / "someone-elses-ca.pem"
    other.write_bytes(Authority.create("someone else's CA").pem())
    return {"KAFKA_SSL_CAFILE": str(other)}


def _plaintext(broker: LocalKafka, tmp: Path) -> dict[str, str]:
    return {"KAFKA_SECURITY_PROTOCOL": "PLAINTEXT"}


@pytest.mark.parametrize(
    ("misconfigure", "cause"),
    [
        (_wrong_password, "authentication failed for user 'pingback' with SCRAM-SHA-512"),
        (_untrusted_ca, "the broker's TLS certificate is not trusted"),
        (_plaintext, "the broker closed the connection: the listener may expect TLS or SASL"),
    ],
    ids=["wrong password", "untrusted CA", "plaintext client on the TLS port"],
)
def test_a_misconfigured_client_fails_fast_naming_the_cause(
    secured: LocalKafka, unique: str, tmp_path: Path, misconfigure: object, cause: str
) -> None:
    deployment = deployment_on(secured, f"refused-{unique}", tmp_path, **misconfigure(secured, tmp_path))  # type: ignore[operator]
    for command in (["keys", "create", "--account", "acme"], ["import", "-"], ["simulate", "--duration", "1"]):
        started = time.monotonic()
        result = run_pingback(deployment, *command, stdin=b"", timeout_s=60)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert cause in result.stderr and "cannot use Kafka" in result.stderr, result.stderr
        assert "not-the-password" not in result.stderr + result.stdout
        print(f"\n[secured] {' '.join(command)} refused in {time.monotonic() - started:.1f} s")
    worker = deployment.start_worker()
    assert worker.process is not None
    assert worker.process.wait(timeout=60) == 2  # the worker stops at once, saying why
    assert cause in worker.log_tail()
