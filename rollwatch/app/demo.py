"""`rollwatch run --demo` (what `make run` does): a simulated LA's schools register and a year of
its events, fed through the product's own HTTP API once it is up, so that a new user sees the
ledger fill and alerts appear without doing anything else.

Everything lives under `$ROLLWATCH_DATA_DIR/demo`:
  events.jsonl, ground-truth.jsonl, schools.csv  the simulator's output
  simulation.json                                the simulator's full statistics
  keys.json                                      the demo's API keys (school, la_officer, auditor)
  fed                                            written once every event was sent
A second run reuses it and feeds nothing twice; a run stopped part-way carries on (the ledger
skips the events it already has)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from rollwatch.app.terminal import Advance, Screen, try_it_links
from rollwatch.core.access.keyring import publish_record
from rollwatch.core.access.keys import new_key
from rollwatch.core.settings import Settings

DEMO_LA = "886"
DEMO_LA_NAME = "Kent"
DEMO_OFFICER = "Demo Officer"
# How long the summary waits for the ledger and the alert rules to catch up after the feed.
SETTLE_TIMEOUT_S = 300.0


class DemoError(RuntimeError):
    """The demo could not be set up; the message says why."""


@dataclass(frozen=True)
class Demo:
    folder: Path
    keys: dict[str, str]
    statistics: dict[str, Any]

    @property
    def events(self) -> Path:
        return self.folder / "events.jsonl"

    @property
    def fed_marker(self) -> Path:
        return self.folder / "fed"

    @property
    def statistics_file(self) -> Path:
        return statistics_file(self.folder)


def statistics_file(folder: Path) -> Path:
    return folder / "simulation.json"


def prepare(settings: Settings, screen: Screen) -> Demo:
    """Simulate the demo LA once, load its register, and issue the demo keys (shown, and kept in
    the demo folder for the user: this is a demo, not a deployment)."""
    folder = Path(settings.data_dir).resolve() / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    stats_file = statistics_file(folder)
    if not stats_file.exists():  # the simulator writes it last: its absence means not (fully) done
        schools = settings.demo_schools
        with screen.working(f"Simulating {schools} schools of LA {DEMO_LA} ({DEMO_LA_NAME}) for a year ..."):
            _simulate(folder, schools)
        (folder / "register-imported").unlink(missing_ok=True)
    statistics = json.loads(stats_file.read_text())
    if not (folder / "register-imported").exists():
        with screen.working("Loading the demo schools register ..."):
            _import_register(settings, folder / "schools.csv")
        (folder / "register-imported").write_text("1\n")
    keys_file = folder / "keys.json"
    if keys_file.exists():
        keys = json.loads(keys_file.read_text())
    else:
        urns = sorted({json.loads(line)["school_urn"] for line in (folder / "events.jsonl").open()})
        keys = {}
        for role, scope in (
            ("school", {"urns": tuple(urns)}),
            ("la_officer", {"la_code": DEMO_LA, "name": DEMO_OFFICER}),
            ("auditor", {}),
        ):
            token, record = new_key(role, secrets=settings.secrets, label="demo", **scope)  # type: ignore[arg-type]
            publish_record(settings.kafka, settings.topics.access_keys, record, settings.secrets)
            keys[role] = token
        keys_file.write_text(json.dumps(keys, indent=2))
        keys_file.chmod(0o600)
    screen.done(
        f"Demo LA {DEMO_LA} ({DEMO_LA_NAME}): {statistics['schools']} schools, "
        f"{statistics['pupils_at_start']:,} pupils, {statistics['events']:,} events over a school year"
    )
    screen.note(f"the simulator's full statistics: {stats_file}")
    return Demo(folder, keys, statistics)


def _simulate(folder: Path, schools: int) -> None:
    command = [
        sys.executable, "-m", "rollwatch", "simulate", "--la", DEMO_LA, "--schools", str(schools),
        "--seed", "7", "--out", str(folder / "events.jsonl"), "--register", str(folder / "schools.csv"),
        "--summary", str(statistics_file(folder)), "--quiet",
        # The demo's year is past: on the wall clock every school's feed would look silent since July.
        "--no-roll-checks",
    ]  # fmt: skip
    # Its own session: Ctrl-C reaches this process only, which then ends the simulator quietly.
    result = subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    if result.returncode != 0:
        raise DemoError(f"the simulator failed (exit {result.returncode}):\n{result.stderr[-2000:]}")


def _import_register(settings: Settings, schools_csv: Path) -> None:
    from rollwatch.core.clickhouse import connect
    from rollwatch.core.migrate import migrate
    from services.schools.importer import ImportFailed, import_register

    client = connect(settings)
    try:
        migrate(client)
        import_register(client, schools_csv, None, encoding="windows-1252")
    except ImportFailed as exc:
        raise DemoError(f"the demo schools register did not load: {exc.cause}") from exc
    finally:
        client.close()


class Guide(threading.Thread):
    """Waits for the server, feeds the demo (if any) with a progress bar, waits for the alerts,
    then shows the summary and what to try next. Stops quietly when `stopping` is set (Ctrl-C)."""

    def __init__(
        self, settings: Settings, demo: Demo | None, screen: Screen, stopping: threading.Event
    ) -> None:
        super().__init__(name="demo-feed", daemon=True)
        self.settings = settings
        self.demo = demo
        self.screen = screen
        self.stopping = stopping
        self.url = f"http://{settings.http_host}:{settings.http_port}"
        self.sent = 0
        self.total = 0
        self.feeding = False

    def run(self) -> None:
        try:
            with httpx.Client(base_url=self.url, timeout=60) as client:
                self._guide(client)
        except _Stopped:
            pass
        except Exception as exc:  # one line for the person, never a traceback
            if not self._stopped_soon():
                self.screen.problem(f"demo: stopped: {type(exc).__name__}: {exc}")

    def _stopped_soon(self) -> bool:
        """After a failed request: is Rollwatch shutting down? (The signal may land just after.)"""
        return self.stopping.wait(2.0)

    def _check(self) -> None:
        if self.stopping.is_set():
            raise _Stopped

    def _guide(self, client: httpx.Client) -> None:
        self._wait_ready(client)
        self.screen.done(f"Rollwatch is up at {self.url}")
        self._show_links(self.demo)
        if self.demo is not None:
            if not self.demo.fed_marker.exists():
                self._feed(client, self.demo)
            self._summarise_alerts(client, self.demo)
        self.screen.say()
        self.screen.say(
            "Rollwatch is running. Ctrl-C stops it (and the Kafka broker it started); "
            f"the data stays in {Path(self.settings.data_dir).resolve()}.",
            "bold",
        )

    def _wait_ready(self, client: httpx.Client) -> None:
        while True:
            self._check()
            try:
                if client.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            self.stopping.wait(0.5)

    def _feed(self, client: httpx.Client, demo: Demo) -> None:
        headers = {"Authorization": f"Bearer {demo.keys['school']}"}
        lines = demo.events.read_text().splitlines()
        self.total = len(lines)
        batch = self.settings.demo_batch
        accepted = refused = 0
        self.feeding = True
        with self.screen.progress("Feeding events through the API", self.total) as advance:
            for first in range(0, len(lines), batch):
                self._check()
                events = [json.loads(line) for line in lines[first : first + batch]]
                try:
                    response = client.post("/v1/events", json={"events": events}, headers=headers)
                    while response.status_code == 429:  # over the key's rate limit: as asked, wait
                        self.stopping.wait(float(response.headers.get("Retry-After", "1")))
                        self._check()
                        response = client.post("/v1/events", json={"events": events}, headers=headers)
                except httpx.TransportError:
                    if self._stopped_soon():
                        raise _Stopped from None
                    raise
                if response.status_code not in (202, 422):
                    raise DemoError(f"feeding stopped: HTTP {response.status_code}: {response.text[:200]}")
                body = response.json()
                accepted += len(body.get("accepted", []))
                refused += len(body.get("rejected", []))
                self.sent += len(events)
                advance(len(events))
        self.feeding = False
        demo.fed_marker.write_text(str(self.sent))
        self.screen.done(f"Fed {self.sent:,} events through the API as the schools' systems would")
        if refused:
            self.screen.note(
                f"{accepted:,} accepted, {refused:,} refused as invalid (the simulator sends some on purpose)"
            )

    def _summarise_alerts(self, client: httpx.Client, demo: Demo) -> None:
        headers = {"Authorization": f"Bearer {demo.keys['la_officer']}"}
        total = int(_progress_counts(client)["accepted"])
        with self.screen.progress("Judging the events against the alert rules", total) as advance:
            by_rule, settled = self._settled_alerts(client, headers, advance)
        total = sum(by_rule.values())
        if settled and not self.sent:
            # Fed by an earlier run: this process's counters cannot tell whether the alert rules
            # still have a backlog from it.
            self.screen.done(f"{total:,} alerts for LA {DEMO_LA} so far" + (", by rule:" if total else ""))
        elif settled:
            self.screen.done(f"{total:,} alerts raised for LA {DEMO_LA}" + (", by rule:" if total else ""))
        else:
            self.screen.problem(
                f"{total:,} alerts for LA {DEMO_LA} so far; the alert rules are still catching up (this "
                "machine is busy), and more will come" + (". By rule:" if total else "")
            )
        width = max((len(rule) for rule in by_rule), default=0)
        for rule, count in sorted(by_rule.items(), key=lambda item: (-item[1], item[0])):
            self.screen.say(f"    {rule.ljust(width)}  {count:>5,}")

    def _settled_alerts(
        self, client: httpx.Client, headers: dict[str, str], advance: Advance
    ) -> tuple[Counter[str], bool]:
        """The alerts by rule once the ledger holds what ingest accepted, the alert rules have
        judged it, and the count has not moved for two alert ticks (or after SETTLE_TIMEOUT_S:
        the count so far)."""
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        quiet_for = 2 * self.settings.alert_tick_seconds + 1
        last: Counter[str] | None = None
        since = time.monotonic()
        shown = 0
        while time.monotonic() < deadline:
            self._check()
            counts = _progress_counts(client)
            advance(int(counts["judged"]) - shown)
            shown = int(counts["judged"])
            by_rule = _alerts_by_rule(client, headers)
            caught_up = counts["ledger"] >= counts["accepted"] and counts["judged"] >= counts["written"]
            if by_rule != last:
                last, since = by_rule, time.monotonic()
            elif caught_up and time.monotonic() - since >= quiet_for:
                return by_rule, True
            self.stopping.wait(1.0)
        return last or Counter(), False

    def _show_links(self, demo: Demo | None) -> None:
        self.screen.say()
        self.screen.table("Try it", try_it_links(self.url, demo.keys if demo else None))
        if demo is not None:
            self.screen.say("  An LA officer's alerts:", "dim")
            self.screen.say(
                f"  curl -s -H 'Authorization: Bearer {demo.keys['la_officer']}' "
                f"'{self.url}/v1/alerts?purpose=triage'"
            )
            self.screen.note(
                f"all the demo's keys (school, LA officer, auditor): {demo.folder / 'keys.json'}"
            )
        self.screen.note(f"the full log: {Path(self.settings.data_dir).resolve() / 'rollwatch.log'}")
        self.screen.say()


class _Stopped(Exception):
    """Rollwatch is shutting down: the guide ends without a word."""


def _alerts_by_rule(client: httpx.Client, headers: dict[str, str]) -> Counter[str]:
    by_rule: Counter[str] = Counter()
    page = 1
    while True:
        body = client.get(
            "/v1/alerts", params={"per_page": 500, "page": page, "purpose": "demo summary"}, headers=headers
        ).json()
        by_rule.update(alert["rule"] for alert in body["alerts"])
        if page * body["per_page"] >= body["total"]:
            return by_rule
        page += 1


def _progress_counts(client: httpx.Client) -> dict[str, float]:
    """From /metrics: the events ingest accepted, those the ledger has (written, duplicates, dead
    letters), those written, and the moves the alert rules have judged."""
    counts = {"accepted": 0.0, "ledger": 0.0, "written": 0.0, "judged": 0.0}
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            name = sample.name
            if name == "rollwatch_ingest_events_total" and sample.labels.get("outcome") == "accepted":
                counts["accepted"] += sample.value
            elif name == "rollwatch_tracker_rows_written_total":
                counts["written"] += sample.value
                counts["ledger"] += sample.value
            elif name in ("rollwatch_tracker_duplicates_total", "rollwatch_tracker_dead_letters_total"):
                counts["ledger"] += sample.value
            elif name == "rollwatch_alert_judge_seconds_count":
                counts["judged"] += sample.value
    return counts
