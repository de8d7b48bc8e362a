"""rollwatch.core.logs: JSON lines for machines, readable lines at a terminal, the personal-data
filter in both, and the quiet terminal of `rollwatch run`."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from rollwatch.core import logs

UPN = "A123456789012"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def _record(name: str = "rollwatch.test", level: int = logging.INFO, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord(name, level, __file__, 1, "pupil moved %s", ("in",), None)
    record.__dict__.update(extra)
    return record


def test_json_lines_carry_ts_level_logger_msg_and_fields_but_no_personal_data() -> None:
    line = logs.JsonFormatter().format(
        _record(count=3, school_urn="100000", upn=UPN, forename="Ada", date_of_birth="2010-01-01")
    )
    entry = json.loads(line)
    assert list(entry)[:4] == ["ts", "level", "logger", "msg"]
    assert entry["level"] == "info" and entry["logger"] == "rollwatch.test"
    assert entry["msg"] == "pupil moved in"
    assert entry["count"] == 3 and entry["school_urn"] == "100000"
    assert UPN not in line and "Ada" not in line and "2010-01-01" not in line
    assert entry["ts"].endswith("+00:00")


def test_json_lines_carry_the_exception() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("rollwatch.test", logging.ERROR, __file__, 1, "failed", (), None)
        record.exc_info = sys.exc_info()
    entry = json.loads(logs.JsonFormatter().format(record))
    assert "ValueError: boom" in entry["exc"]


def test_console_lines_show_level_logger_message_and_fields_but_no_personal_data() -> None:
    line = logs.ConsoleFormatter(colors=False).format(
        _record(level=logging.WARNING, count=3, upn=UPN, surname="Lovelace")
    )
    assert "warning" in line and "rollwatch.test" in line and "pupil moved in" in line
    assert "count=3" in line
    assert UPN not in line and "Lovelace" not in line
    assert not line.lstrip().startswith("{")


def test_auto_is_json_off_a_terminal_and_the_setting_wins(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("INFO", "auto")
    logging.getLogger("rollwatch.test").info("ready", extra={"keys": 3})
    assert json.loads(capsys.readouterr().err)["keys"] == 3
    logs.configure("INFO", "console")
    logging.getLogger("rollwatch.test").info("ready", extra={"keys": 3})
    err = capsys.readouterr().err
    assert "ready" in err and "keys=3" in err and not err.startswith("{")


def test_libraries_log_warnings_only() -> None:
    logs.configure("INFO", "json")
    for name in ("aiokafka", "faust", "mode", "uvicorn.access", "kafka"):
        assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING


def test_structlog_loggers_go_through_the_same_filter(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("INFO", "json")
    structlog.get_logger("rollwatch.test").info("moved", upn=UPN, count=1)
    entry = json.loads(capsys.readouterr().err)
    assert entry["msg"] == "moved" and entry["count"] == 1 and entry["logger"] == "rollwatch.test"
    assert UPN not in json.dumps(entry)


def test_a_persons_terminal_shows_warnings_and_the_file_keeps_everything(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    log_file = tmp_path / "rollwatch.log"
    logs.configure("INFO", "console", for_person=True, log_file=log_file)
    logging.getLogger("rollwatch.app").info("ledger ready")
    logging.getLogger("services.alerts").warning("rule misconfigured")
    logging.getLogger("aiokafka.consumer").error("Group Coordinator Request failed")
    logging.getLogger("faust.transport.producer").warning("producer buffer full")
    logging.getLogger("uvicorn.error").error("Exception in ASGI application")
    err = capsys.readouterr().err
    assert "rule misconfigured" in err and "Exception in ASGI application" in err
    assert "ledger ready" not in err and "Group Coordinator" not in err and "buffer full" not in err
    for handler in logging.getLogger().handlers:
        handler.flush()
    kept = [json.loads(line)["msg"] for line in log_file.read_text().splitlines()]
    assert kept == [
        "ledger ready",
        "rule misconfigured",
        "Group Coordinator Request failed",
        "producer buffer full",
        "Exception in ASGI application",
    ]
