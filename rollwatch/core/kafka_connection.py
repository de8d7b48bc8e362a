"""How every Kafka client of Rollwatch connects: the bootstrap list and its security, from the
`ROLLWATCH_KAFKA_*` settings (`Settings.kafka`). Faust, aiokafka and kafka-python each take
their options from here, so one setting means the same thing to every client:
SASL/SCRAM over TLS in production, plaintext on loopback for development."""

from __future__ import annotations

import dataclasses
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import SecretStr

if TYPE_CHECKING:
    from faust.types.auth import CredentialsT

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]


class KafkaSettingsError(ValueError):
    """The Kafka security settings do not make a connection: the message names the variables."""


@dataclass(frozen=True)
class KafkaConnection:
    bootstrap: str
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    username: str | None = None
    password: SecretStr | None = field(default=None, repr=False)
    # The CA that signed the brokers' certificates; None: the system's trust store.
    ca_file: Path | None = None

    def __post_init__(self) -> None:
        if self.sasl and not (self.username and self.password and self.password.get_secret_value()):
            raise KafkaSettingsError(
                f"ROLLWATCH_KAFKA_SECURITY_PROTOCOL={self.security_protocol} needs "
                "ROLLWATCH_KAFKA_USERNAME and ROLLWATCH_KAFKA_PASSWORD (a local secured broker's: "
                "`rollwatch kafka credentials PRINCIPAL`)"
            )
        if self.ca_file is not None and not self.ca_file.is_file():
            raise KafkaSettingsError(f"ROLLWATCH_KAFKA_CA_FILE {self.ca_file} is not a readable file")

    @property
    def sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    @property
    def tls(self) -> bool:
        return self.security_protocol.endswith("SSL")

    @property
    def addresses(self) -> list[str]:
        return [a.strip() for a in self.bootstrap.split(",") if a.strip()]

    def with_bootstrap(self, bootstrap: str) -> KafkaConnection:
        """The same security towards other brokers (a local cluster's, a subset that answers)."""
        return dataclasses.replace(self, bootstrap=bootstrap)

    def with_user(self, username: str, password: str) -> KafkaConnection:
        """The same broker and security, as another principal."""
        return dataclasses.replace(self, username=username, password=SecretStr(password))

    def settings(self) -> dict[str, str]:
        """The `ROLLWATCH_*` settings (lower case, without the prefix) that make this connection."""
        values = {
            "kafka_bootstrap": self.bootstrap,
            "kafka_security_protocol": self.security_protocol,
            "kafka_sasl_mechanism": self.sasl_mechanism,
            "kafka_username": self.username,
            "kafka_password": self.password.get_secret_value() if self.password else None,
            "kafka_ca_file": str(self.ca_file) if self.ca_file else None,
        }
        return {name: value for name, value in values.items() if value is not None}

    def ssl_context(self) -> ssl.SSLContext | None:
        """Verifies the broker's certificate and host name against the CA (or the system's)."""
        if not self.tls:
            return None
        return ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)

    def _sasl_options(self) -> dict[str, Any]:
        if not self.sasl:
            return {}
        assert self.password is not None  # __post_init__
        return {
            "sasl_mechanism": self.sasl_mechanism,
            "sasl_plain_username": self.username,
            "sasl_plain_password": self.password.get_secret_value(),
        }

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for kafka-python's and aiokafka's producers, consumers and admin
        clients (both name these options alike)."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": self.security_protocol,
            **self._sasl_options(),
        }
        if self.tls:
            options["ssl_context"] = self.ssl_context()
        return options

    def faust_broker(self) -> list[str]:
        return [f"kafka://{address}" for address in self.addresses]

    def faust_credentials(self) -> CredentialsT | None:
        """Faust's `broker_credentials`: SASL (with TLS when the protocol says so) or TLS alone."""
        from faust.auth import SASLCredentials, SSLCredentials

        if self.sasl:
            assert self.password is not None
            credentials = SASLCredentials(
                username=self.username,
                password=self.password.get_secret_value(),
                ssl_context=self.ssl_context(),
                mechanism=self.sasl_mechanism,
            )
            return credentials
        if self.tls:
            context = self.ssl_context()
            assert context is not None
            return SSLCredentials(context)
        return None
