"""A local broker's SASL_SSL listener: a throwaway CA, a broker certificate and one user (SCRAM and PLAIN).

Everything lives in the broker's data directory: `tls/ca.pem` (what clients trust), `tls/broker.pem`
(the broker's PKCS#8 key and certificate chain, a PEM keystore) and `tls/password` (0600). The
certificate names `localhost` and `127.0.0.1`, so clients keep hostname checking on. SCRAM
credentials are written into the metadata when the storage is formatted (`format_args`); PLAIN is
checked against the listener's JAAS line.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SCRAM_MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-512")
_VALID_FOR = dt.timedelta(days=30)


@dataclass(frozen=True)
class Authority:
    """A certificate authority: its key and self-signed certificate."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @classmethod
    def create(cls, name: str) -> Authority:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        certificate = (
            _builder(subject, subject, key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(key, hashes.SHA256())
        )
        return cls(key, certificate)

    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def issue_server(self, hostname: str = "localhost") -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        key = ec.generate_private_key(ec.SECP256R1())
        names = [x509.DNSName(hostname), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        certificate = (
            _builder(
                x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)]),
                self.certificate.subject,
                key.public_key(),
            )
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        return key, certificate


def _builder(subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _VALID_FOR)
    )


@dataclass(frozen=True)
class BrokerSecurity:
    """The files and settings of one local broker's SASL_SSL listener."""

    directory: Path
    username: str = "pingback"

    @property
    def ca_file(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def keystore(self) -> Path:
        return self.directory / "broker.pem"

    @property
    def password_file(self) -> Path:
        return self.directory / "password"

    def create(self) -> None:
        """Make the CA, the broker's certificate and the user's password, once per data directory."""
        if self.password_file.exists():
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        authority = Authority.create("pingback local CA")
        key, certificate = authority.issue_server()
        private = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        self.keystore.write_bytes(private + certificate.public_bytes(serialization.Encoding.PEM) + authority.pem())
        self.keystore.chmod(0o600)
        self.ca_file.write_bytes(authority.pem())
        self.password_file.touch(mode=0o600)
        self.password_file.write_text(secrets.token_urlsafe(24) + "\n")

    def password(self) -> str:
        return self.password_file.read_text().strip()

    def listener_properties(self) -> list[str]:
        """server.properties lines for the listener named SASL_SSL (the caller adds it to `listeners`)."""
        jaas = "listener.name.sasl_ssl.{}.sasl.jaas.config={} required{};"
        scram = "org.apache.kafka.common.security.scram.ScramLoginModule"
        plain = "org.apache.kafka.common.security.plain.PlainLoginModule"
        return [
            "sasl.enabled.mechanisms=" + ",".join((*SCRAM_MECHANISMS, "PLAIN")),
            *(jaas.format(mechanism.lower(), scram, "") for mechanism in SCRAM_MECHANISMS),
            jaas.format("plain", plain, f' user_{self.username}="{self.password()}"'),
            "ssl.keystore.type=PEM",
            f"ssl.keystore.location={self.keystore}",
            "ssl.client.auth=none",
        ]

    def format_args(self) -> list[str]:
        """StorageTool `format` arguments that add the user's SCRAM credentials to the metadata."""
        user = f"[name={self.username},password={self.password()}]"
        return [arg for mechanism in SCRAM_MECHANISMS for arg in ("--add-scram", f"{mechanism}={user}")]

    def client_environ(self, bootstrap_servers: str, mechanism: str = "SCRAM-SHA-512") -> dict[str, str]:
        """The KAFKA_* variables our clients need for this listener (the password by file, never inline)."""
        return {
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers,
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_MECHANISM": mechanism,
            "KAFKA_SASL_USERNAME": self.username,
            "KAFKA_SASL_PASSWORD_FILE": str(self.password_file),
            "KAFKA_SSL_CAFILE": str(self.ca_file),
        }
