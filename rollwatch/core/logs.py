"""Structured (JSON lines) logging. Log records carry counts, ids and codes; never a UPN, a name or
a date of birth: callers pass only such fields, and `extra` keys named like personal data are
dropped here as a second line of defence."""

from __future__ import annotations

import datetime as dt
import logging
import sys

import orjson

_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}
_PERSONAL = {"upn", "former_upn", "name", "forename", "surname", "date_of_birth", "dob", "pupil"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_") and key not in _PERSONAL:
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Client libraries log broker chatter at INFO; keep it for when it matters.
    for noisy in ("aiokafka", "kafka", "faust", "mode", "uvicorn.access", "clickhouse_connect", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
