"""Configuration, read once from `ROLLWATCH_*` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rollwatch.core.topics import Topics

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SECRET = "change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROLLWATCH_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    kafka_bootstrap: str = "127.0.0.1:9092"
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
    checkpoint_interval_s: float = Field(default=300.0, gt=0)
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
    # Keyed hashing of API keys; a production start refuses the default.
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
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
        if self.clickhouse_url is None:
            problems.append("ROLLWATCH_CLICKHOUSE_URL is unset; production needs a ClickHouse server")
        if problems:
            raise ValueError("unsafe production settings: " + "; ".join(problems))
        return self

    @property
    def topics(self) -> Topics:
        return Topics(self.namespace)

    @property
    def ledger_path(self) -> Path:
        return self.data_dir / "ledger"

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
