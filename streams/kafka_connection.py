"""How every Kafka client of ours connects: one config for Faust's app, the producers, consumers and admins.

Named as the Kafka ecosystem names them (`security.protocol`, `sasl.mechanism`, …), read from
`KAFKA_*` environment variables (README "Configuration"). PLAINTEXT, SSL (with mutual TLS when a
client certificate is given), SASL_PLAINTEXT and SASL_SSL with PLAIN or SCRAM; hostname checking is
on unless turned off. The password lives in a `Secret`, which never prints, so it cannot reach a
log line, an error message or /metrics by accident.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streams.environ import ConfigError, Environ

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


class Secret:
    """A value that is never shown: its repr and str are a mask; `reveal()` hands it to the client."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class KafkaConnection:
    bootstrap_servers: str = "127.0.0.1:9092"
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str = "PLAIN"
    sasl_username: str | None = None
    sasl_password: Secret | None = field(default=None, repr=False)
    ssl_cafile: Path | None = None  # None: the system's trusted CAs
    ssl_certfile: Path | None = None  # a client certificate (mutual TLS), with its key
    ssl_keyfile: Path | None = None
    ssl_check_hostname: bool = True
    client_id: str = "pingback"

    def __post_init__(self) -> None:
        if self.security_protocol not in SECURITY_PROTOCOLS:
            raise ConfigError(f"KAFKA_SECURITY_PROTOCOL must be one of {', '.join(SECURITY_PROTOCOLS)}")
        if self.uses_sasl and (self.sasl_username is None or self.sasl_password is None):
            raise ConfigError(
                f"KAFKA_SECURITY_PROTOCOL={self.security_protocol} needs KAFKA_SASL_USERNAME and "
                "KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE)"
            )
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ConfigError("KAFKA_SSL_CERTFILE and KAFKA_SSL_KEYFILE go together (mutual TLS)")

    @classmethod
    def from_environ(cls, env: Mapping[str, str]) -> KafkaConnection:
        read = Environ(env)
        password = read.optional("KAFKA_SASL_PASSWORD")
        password_file = read.file("KAFKA_SASL_PASSWORD_FILE")
        if password is not None and password_file is not None:
            raise ConfigError("give KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, not both")
        if password_file is not None:  # a mounted secret: its first line, without the newline
            password = password_file.read_text().splitlines()[0] if password_file.read_text() else ""
        return cls(
            bootstrap_servers=read.text("KAFKA_BOOTSTRAP_SERVERS", cls.bootstrap_servers),
            security_protocol=read.choice("KAFKA_SECURITY_PROTOCOL", cls.security_protocol, SECURITY_PROTOCOLS),
            sasl_mechanism=read.choice("KAFKA_SASL_MECHANISM", cls.sasl_mechanism, SASL_MECHANISMS),
            sasl_username=read.optional("KAFKA_SASL_USERNAME"),
            sasl_password=None if password is None else Secret(password),
            ssl_cafile=read.file("KAFKA_SSL_CAFILE"),
            ssl_certfile=read.file("KAFKA_SSL_CERTFILE"),
            ssl_keyfile=read.file("KAFKA_SSL_KEYFILE"),
            ssl_check_hostname=read.flag("KAFKA_SSL_CHECK_HOSTNAME", cls.ssl_check_hostname),
            client_id=read.text("KAFKA_CLIENT_ID", cls.client_id),
        )

    @property
    def bootstrap_list(self) -> list[str]:
        return [server.strip() for server in self.bootstrap_servers.split(",") if server.strip()]

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context for SSL and SASL_SSL (None otherwise): the CA file or the system's CAs."""
        if not self.uses_tls:
            return None
        context = ssl.create_default_context(cafile=None if self.ssl_cafile is None else str(self.ssl_cafile))
        context.check_hostname = self.ssl_check_hostname
        if self.ssl_certfile is not None and self.ssl_keyfile is not None:
            context.load_cert_chain(str(self.ssl_certfile), str(self.ssl_keyfile))
        return context

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for every aiokafka client (producer, consumer, admin, bare client)."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_list,
            "security_protocol": self.security_protocol,
            "ssl_context": self.ssl_context(),
            "client_id": self.client_id,
        }
        if self.uses_sasl:
            assert self.sasl_password is not None  # __post_init__
            options |= {
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.sasl_username,
                "sasl_plain_password": self.sasl_password.reveal(),
            }
        return options
