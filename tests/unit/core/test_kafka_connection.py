"""Every Kafka client takes its connection from one place (rollwatch/core/kafka_connection.py):
plaintext by default, SASL/SCRAM over TLS when the settings say so, never SASL without
credentials."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from faust.auth import SASLCredentials

from rollwatch.core.kafka_connection import KafkaConnection, KafkaSettingsError
from rollwatch.core.settings import Settings


def test_the_development_default_is_plaintext() -> None:
    kafka = Settings(_env_file=None).kafka
    assert kafka.client_options() == {"bootstrap_servers": "127.0.0.1:9092", "security_protocol": "PLAINTEXT"}
    assert kafka.faust_credentials() is None
    assert kafka.faust_broker() == ["kafka://127.0.0.1:9092"]


def test_sasl_ssl_settings_reach_every_kind_of_client() -> None:
    kafka = Settings(
        kafka_bootstrap="k1:9093, k2:9093", kafka_security_protocol="SASL_SSL",
        kafka_username="rollwatch-tracker", kafka_password="secret-password",
    ).kafka  # fmt: skip
    options = kafka.client_options()
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == (
        "rollwatch-tracker",
        "secret-password",
    )
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    assert options["ssl_context"].check_hostname and options["ssl_context"].verify_mode == ssl.CERT_REQUIRED
    credentials = kafka.faust_credentials()
    assert isinstance(credentials, SASLCredentials)
    assert credentials.protocol.value == "SASL_SSL" and credentials.mechanism.value == "SCRAM-SHA-512"
    assert kafka.faust_broker() == ["kafka://k1:9093", "kafka://k2:9093"]
    assert "secret-password" not in repr(kafka)


def test_sasl_without_credentials_is_refused_naming_the_settings() -> None:
    with pytest.raises(KafkaSettingsError, match="ROLLWATCH_KAFKA_USERNAME and ROLLWATCH_KAFKA_PASSWORD"):
        _ = Settings(kafka_security_protocol="SASL_SSL").kafka


def test_a_missing_ca_file_is_refused_naming_the_setting() -> None:
    with pytest.raises(KafkaSettingsError, match="ROLLWATCH_KAFKA_CA_FILE"):
        KafkaConnection("k:9093", "SSL", ca_file=Path("/nonexistent/ca.pem"))


def test_the_settings_round_trip() -> None:
    settings = Settings(
        kafka_security_protocol="SASL_SSL", kafka_username="integrator", kafka_password="pw"
    )  # fmt: skip
    assert Settings(**settings.kafka.settings()).kafka == settings.kafka
