"""Configuration, read once from `ROLLWATCH_*` environment variables."""

from __future__ import annotations

import datetime as dt
import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import orjson
from limits import parse_many
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from rollwatch.core.kafka_connection import KafkaConnection, SaslMechanism, SecurityProtocol
from rollwatch.core.signing import SecretKeys, derive
from rollwatch.core.topics import Topics

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SECRET = "change-me"
DEFAULT_METRICS_PORT = 9464  # Prometheus's registry of default ports: the OpenTelemetry exporter's


def _parse_processes() -> int:
    # One worker keeps up with the tracker's own process (validating costs it less than writing);
    # on a single core it would only compete with it.
    return 1 if (os.cpu_count() or 1) > 1 else 0


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROLLWATCH_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    kafka_bootstrap: str = "127.0.0.1:9092"
    # How every Kafka client connects (rollwatch/core/kafka_connection.py). Production refuses
    # anything but SASL_SSL: SCRAM credentials, over TLS verified against the CA file (unset: the
    # system's trust store).
    kafka_security_protocol: SecurityProtocol = "PLAINTEXT"
    kafka_sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    kafka_username: str | None = None
    kafka_password: SecretStr | None = None
    kafka_ca_file: Path | None = None
    # Prefix of every topic and consumer group: lets deployments or test runs share a cluster.
    namespace: str = Field(default="", pattern=r"^[a-z0-9._-]*$")
    # The local broker's controller listener (KRaft); only used by `rollwatch kafka start`.
    kafka_controller_port: int = 9093
    kafka_cache_dir: Path = PROJECT_ROOT / ".cache" / "kafka"
    clickhouse_url: str | None = None
    clickhouse_database: str = Field(default="rollwatch", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    # A ClickHouse cluster (a name in the servers' remote_servers): migrations then create the
    # tables ON CLUSTER, replicated, the pupil-keyed ones sharded by UPN (core/cluster_ddl.py).
    # Unset: the single-node tables. Needs ROLLWATCH_CLICKHOUSE_URL.
    clickhouse_cluster: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$")
    data_dir: Path = Path(".rollwatch")
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    events_partitions: int = Field(default=4, ge=1)
    # Unset: from the cluster's size (3 on three or more brokers, else one per broker), with
    # min.insync.replicas one less (rollwatch/core/topics.py). Set it to pin a factor.
    topic_replication: int | None = Field(default=None, ge=1)
    tracker_batch_size: int = Field(default=10_000, ge=1)
    # Batches close when full or after this long: short enough for sub-second visibility when
    # quiet; under load they fill by size first.
    tracker_batch_seconds: float = Field(default=0.2, gt=0)
    # Processes validating the tracker's large batches beside it (services/tracker/parse_pool.py):
    # one by default on a machine of two cores or more; 0 validates in the tracker's process.
    tracker_parse_processes: int = Field(default_factory=_parse_processes, ge=0, le=64)
    checkpoint_interval_s: float = Field(default=300.0, gt=0)
    # The embedded ledger's history tables merged into one part each, nightly at this London time,
    # by the process holding the ledger (services/tracker/compaction_schedule.py); "off": never.
    # With a ClickHouse server, `rollwatch compact` runs from a CronJob instead (the Helm chart's).
    compact_at: dt.time | None = dt.time(2, 30)
    # Static membership of the stream processors' consumer group (Kafka's group.instance.id): a
    # process restarted with the same id (a crashed pod restarted in place) gets its partitions
    # back at once instead of after the dead member's session (`stream_session_timeout_s`). One
    # distinct id per process, stable across its restarts (e.g. the pod name); unset: dynamic.
    stream_instance_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]{1,200}$")
    # How long Kafka waits for a silent stream processor before giving its partitions to others.
    stream_session_timeout_s: float = Field(default=10.0, ge=6.0, le=300.0)
    # Waiting alert rules fire on event time ("event": the newest event's date, so a replay gives
    # the same alerts) or on the later of that and today's date ("wall", for live service).
    alert_clock: Literal["event", "wall"] = "wall"
    alert_tick_seconds: float = Field(default=5.0, gt=0)
    max_batch_events: int = Field(default=1_000, ge=1)
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    # Signs key records and checkpoints and keys the hashes of API keys (rollwatch/core/signing.py);
    # a production start refuses the default.
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    # Earlier secrets, used only to verify what they signed or hashed while a rotation settles
    # (docs/operations.md, "Rotating secrets"): comma-separated, or a JSON list.
    previous_secret_keys: Annotated[tuple[SecretStr, ...], NoDecode] = ()
    # Keys alert fingerprints (HMAC of rule and UPN). It must outlive rotations of the secret, or
    # alerts would stop folding into the ones already raised; unset, it is derived from
    # ROLLWATCH_SECRET_KEY, so it must be set before that secret is rotated.
    fingerprint_key: SecretStr | None = None
    # /readyz fails when the key follower has not been caught up with `access-keys` for this long.
    keyring_max_lag_s: float = Field(default=30.0, gt=0)
    log_level: str = "INFO"
    # "console": readable lines; "json": JSON lines; "auto": console when stderr is a terminal.
    log_format: Literal["auto", "console", "json"] = "auto"
    # `rollwatch run --demo`: how many schools the simulated LA has, and the events per API
    # request of its feed. The tests make the demo smaller; a person keeps the defaults.
    demo_schools: int = Field(default=40, ge=1)
    demo_batch: int = Field(default=500, ge=1, le=1_000)
    # Where alert notifications go, per LA (services/alerts/delivery/routes.py); unset: nowhere.
    alert_routes_file: Path | None = None
    # At shutdown, how long deliveries in flight may take before they become dead letters.
    delivery_shutdown_timeout_s: float = Field(default=30.0, ge=0)
    # Where people reach this service (the console's links in email digests), e.g.
    # https://rollwatch.example.gov.uk; unset: digests carry no links.
    public_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")
    # The console: a signed-in officer is signed out after this long without a request.
    console_idle_minutes: float = Field(default=30.0, gt=0)
    # The longest an officer may silence an alert's notifications for.
    silence_max_days: int = Field(default=30, ge=1)
    # GOV.UK and MOJ Frontend as installed by `npm ci` (the console's styles, fonts and scripts).
    console_assets_dir: Path = PROJECT_ROOT / "node_modules"
    # Requests per API key, by the key's role, in the `limits` notation ("N/second;M/hour": every
    # limit holds at once, over a sliding window). Over one: 429 with Retry-After.
    rate_limit_school: str = "50/second;20000/hour"
    rate_limit_la_officer: str = "10/second;2000/hour"
    rate_limit_auditor: str = "10/second;2000/hour"
    # /docs, /redoc and /openapi.json: unset, served except in production.
    openapi_enabled: bool | None = None
    # /metrics on a port of its own, away from the API (production: 9464 unless set); unset in
    # development and test: on the API's port. Bound to ROLLWATCH_METRICS_HOST (default: the API's).
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str | None = None
    # How long records holding UPNs are kept where they are not the ledger or the audit logs:
    # dead letters (the alert deliveries given up on, the events on the dead-letter topics) and the
    # delivery log. Applied by migration 0012 and at every start (rollwatch/core/retention.py).
    dead_letters_ttl_days: int = Field(default=90, ge=1)
    delivery_log_ttl_days: int = Field(default=365, ge=1)

    @field_validator("rate_limit_school", "rate_limit_la_officer", "rate_limit_auditor")
    @classmethod
    def _rate_limits(cls, value: str) -> str:
        try:
            parse_many(value)
        except ValueError as exc:
            raise ValueError(f"not a rate limit such as '10/second;2000/hour': {exc}") from None
        return value

    @field_validator("compact_at", mode="before")
    @classmethod
    def _off_is_never(cls, value: Any) -> Any:
        return None if isinstance(value, str) and value.strip().lower() in ("", "off") else value

    @field_validator("fingerprint_key", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("previous_secret_keys", mode="before")
    @classmethod
    def _split_secrets(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return orjson.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _fingerprints_survive_rotation(self) -> Settings:
        if self.previous_secret_keys and self.fingerprint_key is None:
            raise ValueError(
                "ROLLWATCH_PREVIOUS_SECRET_KEYS is set but ROLLWATCH_FINGERPRINT_KEY is not: alert "
                "fingerprints would change with the secret and new alerts would not fold into open ones. "
                "Set ROLLWATCH_FINGERPRINT_KEY to what `rollwatch secrets fingerprint-key` prints with "
                "ROLLWATCH_SECRET_KEY set to the secret the alerts were fingerprinted with "
                "(docs/operations.md, 'Rotating secrets')"
            )
        return self

    @model_validator(mode="after")
    def _cluster_needs_a_server(self) -> Settings:
        if self.clickhouse_cluster and not self.clickhouse_url:
            raise ValueError("ROLLWATCH_CLICKHOUSE_CLUSTER needs ROLLWATCH_CLICKHOUSE_URL (chDB is one node)")
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment != "production":
            return self
        problems = []
        if self.secret_key.get_secret_value() == DEFAULT_SECRET:
            problems.append("ROLLWATCH_SECRET_KEY is the default; set a long random value")
        if any(s.get_secret_value() == DEFAULT_SECRET for s in self.previous_secret_keys):
            problems.append("ROLLWATCH_PREVIOUS_SECRET_KEYS holds the default secret; drop it")
        if self.fingerprint_key is not None and self.fingerprint_key.get_secret_value() == DEFAULT_SECRET:
            problems.append("ROLLWATCH_FINGERPRINT_KEY is the default secret; set a long random value")
        if self.clickhouse_url is None:
            problems.append("ROLLWATCH_CLICKHOUSE_URL is unset; production needs a ClickHouse server")
        if self.kafka_security_protocol != "SASL_SSL":
            problems.append(
                f"ROLLWATCH_KAFKA_SECURITY_PROTOCOL is {self.kafka_security_protocol}; production "
                "needs SASL_SSL (SCRAM credentials over TLS), never plaintext"
            )
        elif not (self.kafka_username and self.kafka_password):
            problems.append("ROLLWATCH_KAFKA_USERNAME and ROLLWATCH_KAFKA_PASSWORD must be set in production")
        if problems:
            raise ValueError("unsafe production settings: " + "; ".join(problems))
        return self

    @property
    def kafka(self) -> KafkaConnection:
        """Where and how the Kafka clients connect; KafkaSettingsError when SASL lacks credentials."""
        return KafkaConnection(
            bootstrap=self.kafka_bootstrap,
            security_protocol=self.kafka_security_protocol,
            sasl_mechanism=self.kafka_sasl_mechanism,
            username=self.kafka_username,
            password=self.kafka_password,
            ca_file=self.kafka_ca_file,
        )

    @property
    def openapi_served(self) -> bool:
        return self.openapi_enabled if self.openapi_enabled is not None else self.environment != "production"

    @property
    def metrics_port_in_use(self) -> int | None:
        """The port /metrics has to itself, or None when the API's port serves it."""
        if self.metrics_port is None and self.environment == "production":
            return DEFAULT_METRICS_PORT
        return self.metrics_port

    @property
    def secrets(self) -> SecretKeys:
        """The current secret, which signs, and the previous ones, which only verify."""
        return SecretKeys(
            self.secret_key.get_secret_value().encode(),
            tuple(s.get_secret_value().encode() for s in self.previous_secret_keys),
        )

    @property
    def fingerprint_secret(self) -> bytes:
        if self.fingerprint_key is not None:
            return self.fingerprint_key.get_secret_value().encode()
        return derive(self.secret_key.get_secret_value().encode(), "alert-fingerprint").hex().encode()

    @property
    def topics(self) -> Topics:
        return Topics(self.namespace)

    @property
    def ledger_path(self) -> Path:
        return self.data_dir / "ledger"

    @property
    def audit_journal_dir(self) -> Path:
        """Where audit entries are stored before they reach their table
        (rollwatch/core/sealed_journal.py): durable storage, as the ledger's is."""
        return self.data_dir / "audit-journal"

    @property
    def kafka_data_dir(self) -> Path:
        return self.data_dir / "kafka"

    @property
    def alerts_config_dir(self) -> Path:
        """Per-LA term dates (`calendars/<la>.json`) and rule parameters (`rules/<la>.json`)."""
        return self.data_dir / "alerts"

    @property
    def stream_data_dir(self) -> Path:
        return self.data_dir / "streams"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
