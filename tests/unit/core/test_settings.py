import pytest
from pydantic import ValidationError

from rollwatch.core.settings import Settings


def test_development_defaults_are_accepted() -> None:
    settings = Settings(_env_file=None)
    assert settings.kafka_bootstrap == "127.0.0.1:9092"
    assert settings.http_port == 8000
    assert settings.ledger_path.name == "ledger"


def test_production_refuses_default_secret_and_embedded_ledger() -> None:
    with pytest.raises(ValidationError) as info:
        Settings(environment="production")
    message = str(info.value)
    assert "ROLLWATCH_SECRET_KEY" in message
    assert "ROLLWATCH_CLICKHOUSE_URL" in message


SAFE_KAFKA = {
    "kafka_security_protocol": "SASL_SSL",
    "kafka_username": "rollwatch-ingest",
    "kafka_password": "p" * 32,
}


def test_production_accepts_safe_settings() -> None:
    settings = Settings(
        environment="production", secret_key="x" * 40, clickhouse_url="http://clickhouse.internal:8123",
        **SAFE_KAFKA,
    )  # fmt: skip
    assert settings.environment == "production"


@pytest.mark.parametrize(
    ("kafka", "named"),
    [
        ({}, "ROLLWATCH_KAFKA_SECURITY_PROTOCOL is PLAINTEXT"),
        ({**SAFE_KAFKA, "kafka_security_protocol": "SASL_PLAINTEXT"}, "never plaintext"),
        ({**SAFE_KAFKA, "kafka_security_protocol": "SSL"}, "needs SASL_SSL"),
        ({"kafka_security_protocol": "SASL_SSL"}, "ROLLWATCH_KAFKA_USERNAME and ROLLWATCH_KAFKA_PASSWORD"),
    ],
)
def test_production_refuses_kafka_without_sasl_over_tls(kafka: dict[str, str], named: str) -> None:
    with pytest.raises(ValidationError) as info:
        Settings(environment="production", secret_key="x" * 40, clickhouse_url="http://ch:8123", **kafka)
    assert named in str(info.value)


def test_namespace_prefixes_every_topic() -> None:
    topics = Settings(namespace="staging.").topics
    assert topics.pupil_events == "staging.pupil-events"
    assert set(topics.partitions(3)) == {
        "staging.pupil-events",
        "staging.pupil-events.dlq",
        "staging.pupil-moves",
        "staging.pupil-moves.dlq",
        "staging.access-keys",
        "staging.ledger-checkpoints",
        "staging.pupil-event-ids",
    }
