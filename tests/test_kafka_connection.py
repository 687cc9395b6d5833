"""One Kafka connection config for every client: read from KAFKA_* variables, checked, never showing the password."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest

from streams.app import broker_credentials
from streams.kafka_connection import KafkaConnection, Secret
from streams.settings import ConfigError, Settings

PASSWORD = "correct horse battery staple"
SASL = {"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_USERNAME": "svc", "KAFKA_SASL_PASSWORD": PASSWORD}


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        # nothing set: the local broker, in plain text (make kafka)
        ({}, {"bootstrap_servers": ["127.0.0.1:9092"], "security_protocol": "PLAINTEXT", "ssl_context": None}),
        # several brokers, spaces around commas
        (
            {"KAFKA_BOOTSTRAP_SERVERS": "b1:9092, b2:9092 ,"},
            {"bootstrap_servers": ["b1:9092", "b2:9092"], "security_protocol": "PLAINTEXT"},
        ),
        # Confluent Cloud / MSK style: SASL over TLS with the system's CAs
        (
            {**SASL, "KAFKA_SASL_MECHANISM": "PLAIN"},
            {"security_protocol": "SASL_SSL", "sasl_mechanism": "PLAIN", "sasl_plain_username": "svc"},
        ),
        # SCRAM, e.g. MSK's SASL/SCRAM or a self-hosted cluster
        ({**SASL, "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512"}, {"sasl_mechanism": "SCRAM-SHA-512"}),
        # SASL without TLS (a private network)
        (
            {**SASL, "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT"},
            {"security_protocol": "SASL_PLAINTEXT", "ssl_context": None},
        ),
        # the client id brokers log and quota by
        ({"KAFKA_CLIENT_ID": "pingback-eu"}, {"client_id": "pingback-eu"}),
    ],
)
def test_client_options_from_the_environment(env: dict[str, str], expected: dict[str, Any]) -> None:
    options = Settings.from_environ(env).kafka.client_options()
    for name, value in expected.items():
        assert options[name] == value, name
    assert (options["ssl_context"] is not None) == env.get("KAFKA_SECURITY_PROTOCOL", "").endswith("SSL")


def test_tls_checks_the_hostname_unless_turned_off() -> None:
    on = KafkaConnection.from_environ({"KAFKA_SECURITY_PROTOCOL": "SSL"}).ssl_context()
    off = KafkaConnection.from_environ(
        {"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_CHECK_HOSTNAME": "0"}
    ).ssl_context()
    assert on is not None and on.check_hostname and on.verify_mode == ssl.CERT_REQUIRED
    assert off is not None and not off.check_hostname and off.verify_mode == ssl.CERT_REQUIRED  # still verified


def test_the_password_can_come_from_a_mounted_file(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n")
    env = {**SASL, "KAFKA_SASL_PASSWORD": "", "KAFKA_SASL_PASSWORD_FILE": str(secret)}
    assert KafkaConnection.from_environ(env).client_options()["sasl_plain_password"] == PASSWORD


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KAFKA_SECURITY_PROTOCOL": "TLS"}, "KAFKA_SECURITY_PROTOCOL must be one of PLAINTEXT, SSL, SASL_PLAINTEXT"),
        ({**SASL, "KAFKA_SASL_MECHANISM": "GSSAPI"}, "KAFKA_SASL_MECHANISM must be one of PLAIN, SCRAM-SHA-256"),
        ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"),
        ({**SASL, "KAFKA_SASL_PASSWORD": ""}, "needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"),
        ({**SASL, "KAFKA_SASL_PASSWORD_FILE": "/no/such/file"}, "KAFKA_SASL_PASSWORD_FILE: no such file"),
        ({"KAFKA_SSL_CAFILE": "/no/ca.pem"}, "KAFKA_SSL_CAFILE: no such file: /no/ca.pem"),
        ({"KAFKA_SSL_CHECK_HOSTNAME": "no"}, "KAFKA_SSL_CHECK_HOSTNAME must be 0 or 1"),
    ],
)
def test_unusable_settings_name_the_variable_and_never_the_password(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_environ(env)
    assert message in str(refused.value)
    assert PASSWORD not in str(refused.value)


def test_mutual_tls_needs_both_the_certificate_and_its_key(tmp_path: Path) -> None:
    cert = tmp_path / "client.pem"
    cert.write_text("x")
    with pytest.raises(ConfigError, match="KAFKA_SSL_CERTFILE and KAFKA_SSL_KEYFILE go together"):
        KafkaConnection.from_environ({"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_CERTFILE": str(cert)})


def test_the_password_never_prints() -> None:
    settings = Settings.from_environ(SASL)
    for shown in (repr(settings), str(settings), repr(settings.kafka), f"{settings.kafka.sasl_password}"):
        assert PASSWORD not in shown
    assert Secret(PASSWORD) == Secret(PASSWORD) and repr(Secret(PASSWORD)) == "Secret('********')"
    credentials = broker_credentials(settings.kafka)
    assert credentials is not None and PASSWORD not in repr(credentials)


def test_faust_gets_the_same_security() -> None:
    assert broker_credentials(KafkaConnection()) is None
    sasl = broker_credentials(KafkaConnection.from_environ({**SASL, "KAFKA_SASL_MECHANISM": "SCRAM-SHA-256"}))
    assert (sasl.protocol.value, sasl.mechanism.value) == ("SASL_SSL", "SCRAM-SHA-256")  # type: ignore[union-attr]
    tls = broker_credentials(KafkaConnection.from_environ({"KAFKA_SECURITY_PROTOCOL": "SSL"}))
    assert tls is not None and tls.protocol.value == "SSL"  # type: ignore[attr-defined]
