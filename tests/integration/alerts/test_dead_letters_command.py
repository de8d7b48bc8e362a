"""`rollwatch alerts dead-letters list|redeliver` on the ledger itself (no service running): a kept
dead letter is listed as dead, sent again to a real local webhook receiver with its delivery id,
then listed as redelivered. (Through a running service, `--url`: tests/faults/test_webhook_faults.py.)"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rollwatch.app import cli
from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.migrate import migrate
from rollwatch.core.settings import Settings
from services.alerts.delivery import DeadLetter
from services.alerts.notify import ClickHouseDeliveryLog
from tests.support.alert_notifications import SECRET, notification
from tests.support.flaky_receiver import FlakyReceiver

pytestmark = [pytest.mark.clickhouse, pytest.mark.delivery]

HOOK_ENV = "ROLLWATCH_TEST_WEBHOOK_SECRET"


@pytest.fixture
def receiver() -> Iterator[FlakyReceiver]:
    server = FlakyReceiver()
    yield server
    server.stop()


def _run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], settings: Settings,
         *argv: str) -> tuple[int, list[dict[str, Any]]]:  # fmt: skip
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    code = cli.main(["alerts", "dead-letters", *argv])
    lines = capsys.readouterr().out.splitlines()
    return code, [json.loads(line) for line in lines]


def test_list_then_redeliver_then_list_again(
    ledger_settings: Settings, receiver: FlakyReceiver, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    routes = tmp_path / "routes.json"
    route = {"id": "la-hook", "kind": "webhook", "url": receiver.url, "secret_env": HOOK_ENV,
             "max_attempts": 2, "backoff_base_s": 0.1, "backoff_max_s": 0.2}  # fmt: skip
    routes.write_text(json.dumps({"format_version": 1, "version": "t", "las": {"801": {"routes": [route]}}}))
    monkeypatch.setenv(HOOK_ENV, SECRET)
    settings = ledger_settings.model_copy(update={"alert_routes_file": routes})
    clients = ClientPerThread(settings)
    migrate(clients.get())
    hook = notification(alert_id="a1", upn=None, upn_withheld=True, fingerprint=None)
    letter = DeadLetter(
        delivery_id="d-1", channel="webhook", route_id="la-hook", la_code="801", attempts=8,
        # Dated now: dead letters older than their TTL expire as they are inserted.
        error="HTTP 500", at=dt.datetime.now(dt.UTC), notifications=(hook,),
    )  # fmt: skip
    asyncio.run(ClickHouseDeliveryLog(clients).dead_letter(letter))

    code, [listed] = _run(monkeypatch, capsys, settings, "list", "--la", "801")
    assert code == 0 and listed["state"] == "dead" and listed["alert_ids"] == ["a1"]
    assert _run(monkeypatch, capsys, settings, "list", "--la", "330") == (0, [])

    code, [sent] = _run(monkeypatch, capsys, settings, "redeliver", "d-1")
    assert code == 0 and sent["state"] == "redelivered"
    [received] = receiver.received
    assert received.alert_id == "a1" and received.answered == 204 and received.delivery_id
    code, [listed] = _run(monkeypatch, capsys, settings, "list")
    assert listed["state"] == "redelivered"
    code, _ = _run(monkeypatch, capsys, settings, "redeliver", "no-such-id")
    assert code == 1
