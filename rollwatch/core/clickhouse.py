"""The one place that opens ClickHouse: embedded chDB on a data folder by default, a server over
HTTP when `ROLLWATCH_CLICKHOUSE_URL` names one. Calls block, so callers run them in a thread with
a client of that thread's own (`ClientPerThread`)."""

from __future__ import annotations

import fcntl
import hashlib
import re
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from rollwatch.core.settings import Settings

_databases_ready: set[tuple[str, str]] = set()
_databases_lock = threading.Lock()
# Per database: what its clients' writers must do before it is dropped (`ClientPerThread.on_close`).
_before_drop: dict[tuple[str, str], list[Callable[[], None]]] = {}


class _Once:
    """A callback that runs at most once, whoever calls it first."""

    def __init__(self, callback: Callable[[], None]) -> None:
        self._callback: Callable[[], None] | None = callback
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            callback, self._callback = self._callback, None
        if callback is not None:
            callback()


# For a query that names a whole batch (its event ids, its pupils): ClickHouse's default limit on
# a query's text (256 KiB) is some 6,000 UUIDs, less than a tracker's or a replay's batch.
LONG_QUERY = {"max_query_size": 64 * 1024 * 1024}

# For a read of a few granules (one pupil's rows): one reading thread. By default ClickHouse sets up
# parallel readers across the parts, which costs more than the read; measured on chDB against the
# bench's 1M-row ledger, a pupil's lookup took 6.6 ms (p50) with the default and 3.2 ms with this.
POINT_READ = {"max_threads": 1}


def batch_token(pieces: Iterable[str]) -> str:
    """An `insert_deduplication_token` for a batch named by `pieces` (each row's own id): a digest,
    since the setting travels in the query's text, which the whole list would overflow."""
    # Each piece followed by ";", hashed in one update (a batch has 10,000 pieces).
    return hashlib.sha256("".join(f"{piece};" for piece in pieces).encode()).hexdigest()


_PLAIN = re.compile(r"[0-9A-Za-z-]*")
# A batch's ids written out in the query text take some 40 bytes each (the default limit of the
# query text is 256 KiB).


# From this many values on, `in_list` sends one string for the engine to split.
LONG_LIST = 256


def in_list(values: list[str], of: Literal["String", "UUID"] = "String") -> str:
    """The right-hand side of an SQL `IN` for values that need no escaping: UPNs, URNs and event
    ids, which validation has held to letters, digits and hyphens (checked again here). Binding
    10,000 of them as query parameters escapes every character in Python, a fifth of a batch's
    write; a long list goes as one string literal split by the engine (`of`: the column's type),
    as parsing 20,000 separate literals took the engine ~65 ms of a batch's ~70 ms query, and the
    split string ~15 ms (the primary key is used all the same: `IN` a subquery)."""
    if not _PLAIN.fullmatch("".join(values)):
        raise ValueError("only letters, digits and hyphens can go in an SQL list unescaped")
    if not values:
        return "('')"
    if len(values) < LONG_LIST:
        return "('" + "','".join(values) + "')"
    split = "arrayJoin(splitByChar(',', '" + ",".join(values) + "'))"
    return f"(SELECT {split})" if of == "String" else f"(SELECT toUUID({split}))"


def connect(settings: Settings) -> Client:
    """A client on the configured database, which is created on first use."""
    key = database_key(settings)
    with _databases_lock:
        if key not in _databases_ready:
            bootstrap = _open(settings, database=None)
            bootstrap.command(f"CREATE DATABASE IF NOT EXISTS `{settings.clickhouse_database}`")
            bootstrap.close()
            _databases_ready.add(key)
    return _open(settings, database=settings.clickhouse_database)


def drop_database(settings: Settings) -> None:
    """The configured database gone, if this process created it with `connect`; its clients must
    no longer be in use. (A throwaway database's tables would otherwise stay, and every table of
    every database in the folder slows the engine's DDL down.)"""
    key = database_key(settings)
    with _databases_lock:
        callbacks = _before_drop.pop(key, [])
    for callback in callbacks:  # its writers' last flush, while it is still there
        callback()
    with _databases_lock:
        if key not in _databases_ready:
            return
        bootstrap = _open(settings, database=None)
        bootstrap.command(f"DROP DATABASE IF EXISTS `{settings.clickhouse_database}` SYNC")
        bootstrap.close()
        _databases_ready.discard(key)


def database_key(settings: Settings) -> tuple[str, str]:
    """Which database of which ledger (a server's URL, or the embedded folder) these settings name."""
    return settings.clickhouse_url or str(Path(settings.ledger_path).resolve()), settings.clickhouse_database


class LedgerInUse(RuntimeError):
    """The embedded ledger folder is held by another process."""


def _open(settings: Settings, database: str | None) -> Client:
    if settings.clickhouse_url:
        return clickhouse_connect.get_client(dsn=settings.clickhouse_url, database=database)
    path = Path(settings.ledger_path).resolve()
    path.mkdir(parents=True, exist_ok=True)
    # One engine per process and folder; chDB accepts any number of handles to it.
    try:
        return clickhouse_connect.get_client(interface="chdb", path=str(path), database=database)
    except Exception:
        if _locked_by_another_process(path):
            raise LedgerInUse(
                f"the embedded ledger at {path} is in use by another process (a running `rollwatch run`?). "
                "Stop it first, or use the HTTP API of the running process."
            ) from None
        raise


def _locked_by_another_process(path: Path) -> bool:
    """ClickHouse holds an exclusive lock on the folder's `status` file while it runs."""
    try:
        with open(path / "status", "rb") as status:
            fcntl.flock(status, fcntl.LOCK_SH | fcntl.LOCK_NB)
            fcntl.flock(status, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    except OSError:
        return False


class ClientPerThread:
    """Hands each thread its own client, as clickhouse-connect clients are not thread-safe."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._local = threading.local()
        self._all: list[Client] = []
        self._lock = threading.Lock()
        self._on_close: list[Callable[[], None]] = []

    @property
    def settings(self) -> Settings:
        return self._settings

    def on_close(self, callback: Callable[[], None]) -> None:
        """Run `callback` when the clients are closed, before they are (a writer's last flush),
        or when their database is dropped (`drop_database`), before it is; once."""
        once = _Once(callback)
        with self._lock:
            self._on_close.append(once)
        with _databases_lock:
            _before_drop.setdefault(database_key(self._settings), []).append(once)

    def get(self) -> Client:
        client: Client | None = getattr(self._local, "client", None)
        if client is None:
            client = connect(self._settings)
            self._local.client = client
            with self._lock:
                self._all.append(client)
        return client

    def close(self) -> None:
        with self._lock:
            callbacks, self._on_close = self._on_close, []
        for callback in callbacks:
            callback()
        with self._lock:
            for client in self._all:
                client.close()
            self._all.clear()
