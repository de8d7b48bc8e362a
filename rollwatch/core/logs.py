"""Logs: JSON lines for machines, readable lines for a person at a terminal, both through the
standard `logging` module (every `logging.getLogger(...)` call keeps working) and structlog's
processors (`structlog.get_logger()` works too).

Log records carry counts, ids and codes; never a UPN, a name or a date of birth: callers pass only
such fields, and `extra` keys named like personal data are dropped here as a second line of
defence, in both formats.

Which format: `ROLLWATCH_LOG_FORMAT` (settings.log_format) is `json`, `console`, or `auto` (the
default): console when stderr is a terminal, JSON lines otherwise (a pipe, a file, a container).

`rollwatch run` at a terminal talks to a person: it prints its own short summary and passes
`for_person=True`, so that the terminal shows only the product's own warnings and errors and other
libraries' errors, while every record (INFO and up) goes as JSON lines to a log file in the data
folder."""

from __future__ import annotations

import datetime as dt
import logging
import logging.handlers
import sys
import time
from pathlib import Path
from typing import Any, Literal, TextIO

import orjson
import structlog
from structlog.typing import EventDict, Processor

LogFormat = Literal["auto", "console", "json"]

_PERSONAL = {"upn", "former_upn", "name", "forename", "surname", "date_of_birth", "dob", "pupil"}
# Client libraries that log broker chatter at INFO; kept at WARNING.
LIBRARIES = ("aiokafka", "kafka", "faust", "mode", "uvicorn.access", "clickhouse_connect", "httpx")
# The product's own code: everything else is a library.
OWN = ("rollwatch", "services", "schemas", "tools")
# Kafka clients log every retried connection or metadata problem as an error (a fresh broker
# answers "coordinator not available" for its first seconds); the product's code reports the
# failures that matter. On a person's terminal they stay in the log file.
_RETRYING = ("aiokafka", "kafka")
# uvicorn repeats its colourised message as an extra field.
_NOISE = {"color_message"}


def drop_personal_data(_logger: object, _method: str, event_dict: EventDict) -> EventDict:
    """A structlog processor: drop fields named like personal data, private (`_x`) fields other
    than structlog's own, and known noise."""
    for key in list(event_dict):
        if key in _PERSONAL or key in _NOISE or (key.startswith("_") and key not in _STRUCTLOG_KEYS):
            del event_dict[key]
    return event_dict


_STRUCTLOG_KEYS = {"_record", "_from_structlog"}

# What every record goes through before its renderer: from the stdlib ("foreign") records...
_FOREIGN_CHAIN: list[Processor] = [
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.ExtraAdder(),
    drop_personal_data,
]
# ... and from structlog's own loggers.
_STRUCTLOG_CHAIN: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.PositionalArgumentsFormatter(),
    drop_personal_data,
]


def _json_shape(_logger: object, _method: str, event_dict: EventDict) -> EventDict:
    """ts, level, logger, msg first (the shape the log pipeline reads), then the fields, then
    the exception text."""
    ordered: dict[str, Any] = {
        "ts": event_dict.pop("timestamp", None),
        "level": event_dict.pop("level", None),
        "logger": event_dict.pop("logger", None),
        "msg": event_dict.pop("event", None),
    }
    exc = event_dict.pop("exception", None)
    ordered.update(event_dict)
    if exc:
        ordered["exc"] = exc
    return ordered


def _created(event_dict: EventDict) -> dt.datetime:
    record = event_dict.get("_record")
    created = record.created if isinstance(record, logging.LogRecord) else time.time()
    return dt.datetime.fromtimestamp(created, dt.UTC)


def _utc_ms(_logger: object, _method: str, event_dict: EventDict) -> EventDict:
    """When the record was made: `2026-11-30T14:46:17.692+00:00`."""
    event_dict["timestamp"] = _created(event_dict).isoformat(timespec="milliseconds")
    return event_dict


def _local_seconds(_logger: object, _method: str, event_dict: EventDict) -> EventDict:
    event_dict["timestamp"] = _created(event_dict).astimezone().strftime("%H:%M:%S")
    return event_dict


def _dumps(obj: Any, **_: Any) -> str:
    return orjson.dumps(obj, default=str).decode()


class JsonFormatter(structlog.stdlib.ProcessorFormatter):
    """One JSON object per line: ts (UTC, ms), level, logger, msg, the record's fields."""

    def __init__(self) -> None:
        super().__init__(
            foreign_pre_chain=_FOREIGN_CHAIN,
            processors=[
                _utc_ms,
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                drop_personal_data,
                structlog.processors.format_exc_info,
                _json_shape,
                structlog.processors.JSONRenderer(serializer=_dumps),
            ],
        )


class ConsoleFormatter(structlog.stdlib.ProcessorFormatter):
    """`14:46:17 [warning ] producer buffer full   [faust.transport.producer] size=326`"""

    def __init__(self, colors: bool) -> None:
        super().__init__(
            foreign_pre_chain=_FOREIGN_CHAIN,
            processors=[
                _local_seconds,
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                drop_personal_data,
                structlog.dev.ConsoleRenderer(
                    colors=colors, exception_formatter=structlog.dev.plain_traceback, pad_event_to=30
                ),
            ],
        )


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at the time, so that a progress bar that wraps stderr
    (rich) keeps its line below the log lines."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


class _ForAPerson(logging.Filter):
    """The terminal of `rollwatch run`: the product's warnings and errors, other libraries' errors,
    and nothing from the Kafka clients' retries."""

    def filter(self, record: logging.LogRecord) -> bool:
        name = record.name
        if _is_under(name, OWN):
            return record.levelno >= logging.WARNING
        if _is_under(name, _RETRYING):
            return record.levelno >= logging.CRITICAL
        return record.levelno >= logging.ERROR


def _is_under(name: str, roots: tuple[str, ...]) -> bool:
    return any(name == root or name.startswith(root + ".") for root in roots)


def use_console(log_format: LogFormat, stream: TextIO | None = None) -> bool:
    """True when records go to the terminal as readable lines rather than JSON."""
    if log_format != "auto":
        return log_format == "console"
    stream = stream or sys.stderr
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def configure(
    level: str = "INFO",
    log_format: LogFormat = "auto",
    *,
    for_person: bool = False,
    log_file: Path | None = None,
) -> None:
    """Send every record to stderr (readable or JSON, see the module's docstring). With
    `for_person`, the terminal gets only what a person must see and `log_file` gets everything."""
    console = use_console(log_format)
    terminal = _StderrHandler()
    terminal.setFormatter(
        ConsoleFormatter(colors=console and sys.stderr.isatty()) if console else JsonFormatter()
    )
    handlers: list[logging.Handler] = [terminal]
    if for_person:
        terminal.addFilter(_ForAPerson())
        if log_file is not None:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            to_file = logging.handlers.RotatingFileHandler(
                log_file, maxBytes=20 * 1024 * 1024, backupCount=3, encoding="utf-8"
            )
            to_file.setFormatter(JsonFormatter())
            handlers.append(to_file)
    root = logging.getLogger()
    for old in root.handlers:
        if isinstance(old, _StderrHandler | logging.handlers.RotatingFileHandler):
            old.close()
    root.handlers[:] = handlers
    root.setLevel(level)
    for noisy in LIBRARIES:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[*_STRUCTLOG_CHAIN, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
