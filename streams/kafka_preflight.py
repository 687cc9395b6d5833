"""Can we use Kafka at all? One connection to a bootstrap server, with the cause in words when not.

aiokafka's clients fail fast on a wrong password, an untrusted certificate or a plaintext client
on a TLS port, but say only "Unable to bootstrap"; the cause goes to its log. Every command and
the worker ask this first, so they can stop with a message that names it (and never retry a
credential that cannot work).
"""

from __future__ import annotations

import asyncio
import ssl

from aiokafka.conn import create_conn
from aiokafka.errors import KafkaConnectionError, KafkaError, SaslAuthenticationFailed

from streams.kafka_connection import KafkaConnection

_ANSWER_TIMEOUT_S = 10.0


async def connection_problem(kafka: KafkaConnection, timeout_s: float = _ANSWER_TIMEOUT_S) -> str | None:
    """None when a bootstrap server accepts our connection (TLS and SASL included); else why none did."""
    options = kafka.client_options()
    del options["bootstrap_servers"]
    problems = []
    for server in kafka.bootstrap_list:
        host, _, port = server.rpartition(":")
        try:
            conn = await asyncio.wait_for(
                create_conn(host, int(port), request_timeout_ms=int(timeout_s * 1000), **options), timeout_s
            )
        except (OSError, KafkaError, TimeoutError, ValueError) as error:
            problems.append(f"{server}: {_cause(error, kafka, timeout_s)}")
        else:
            conn.close()
            return None
    return "; ".join(problems) or "KAFKA_BOOTSTRAP_SERVERS names no server"


def unusable(kafka: KafkaConnection) -> str | None:
    """`connection_problem`, for a command outside an event loop: why Kafka cannot be used, or None."""
    return asyncio.run(connection_problem(kafka))


def _cause(error: BaseException, kafka: KafkaConnection, timeout_s: float) -> str:
    if isinstance(error, SaslAuthenticationFailed):
        return (
            f"authentication failed for user {kafka.sasl_username!r} with {kafka.sasl_mechanism} "
            "(check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM)"
        )
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"the broker's TLS certificate is not trusted: {error.verify_message} "
            "(KAFKA_SSL_CAFILE names the CA that signed it; KAFKA_SSL_CHECK_HOSTNAME=0 skips the name check)"
        )
    if isinstance(error, ssl.SSLError):
        return f"TLS handshake failed ({error.reason}): is this a TLS listener? (KAFKA_SECURITY_PROTOCOL={kafka.security_protocol})"
    if isinstance(error, KafkaConnectionError) and not kafka.uses_tls:
        return (
            "the broker closed the connection: the listener may expect TLS or SASL "
            f"(KAFKA_SECURITY_PROTOCOL={kafka.security_protocol})"
        )
    if isinstance(error, TimeoutError):
        return f"no answer within {timeout_s:g} s"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused: no broker listens there"
    return f"{type(error).__name__}: {error}"
