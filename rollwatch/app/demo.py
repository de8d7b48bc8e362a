"""`rollwatch run --demo` (what `make run` does): a simulated LA's schools register and a year of
its events, fed through the product's own HTTP API once it is up, so that a new user sees the
ledger fill and alerts appear without doing anything else. Everything lives under
`$ROLLWATCH_DATA_DIR/demo`; a second run reuses it and feeds nothing twice."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import httpx

from rollwatch.core.access.keyring import publish_record
from rollwatch.core.access.keys import new_key
from rollwatch.core.settings import Settings

DEMO_LA = "886"
DEMO_SCHOOLS = "40"
DEMO_OFFICER = "Demo Officer"
BATCH = 500


@dataclass(frozen=True)
class Demo:
    folder: Path
    keys: dict[str, str]

    @property
    def events(self) -> Path:
        return self.folder / "events.jsonl"

    @property
    def fed_marker(self) -> Path:
        return self.folder / "fed"


def prepare(settings: Settings) -> Demo:
    """Simulate the demo LA once, load its register, and issue the demo keys (printed, and kept
    in the demo folder for the user: this is a demo, not a deployment)."""
    folder = Path(settings.data_dir).resolve() / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    demo_events = folder / "events.jsonl"
    if not demo_events.exists():
        print(f"demo: simulating {DEMO_SCHOOLS} schools of LA {DEMO_LA} for a year ...", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "rollwatch", "simulate", "--la", DEMO_LA, "--schools", DEMO_SCHOOLS,
             "--seed", "7", "--out", str(demo_events), "--register", str(folder / "schools.csv"), "--quiet"],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        from services.schools.importer import run_import_command

        run_import_command(settings, folder / "schools.csv", None, encoding="windows-1252", as_json=False)
    keys_file = folder / "keys.json"
    if keys_file.exists():
        keys = json.loads(keys_file.read_text())
    else:
        urns = sorted({json.loads(line)["school_urn"] for line in demo_events.open()})
        keys = {}
        for role, scope in (
            ("school", {"urns": tuple(urns)}),
            ("la_officer", {"la_code": DEMO_LA, "name": DEMO_OFFICER}),
            ("auditor", {}),
        ):
            token, record = new_key(role, label="demo", **scope)  # type: ignore[arg-type]
            publish_record(settings.kafka_bootstrap, settings.topics.access_keys, record)
            keys[role] = token
        keys_file.write_text(json.dumps(keys, indent=2))
        keys_file.chmod(0o600)
    return Demo(folder, keys)


def announce(demo: Demo, url: str) -> None:
    """Where the console is and the key to sign in with (`make run` prints it)."""
    print(
        f"Console for LA officers: {url}/ (sign in as {DEMO_OFFICER} of LA {DEMO_LA} with the key "
        f"{demo.keys['la_officer']})",
        file=sys.stderr,
        flush=True,
    )


def feed_in_background(demo: Demo, url: str) -> threading.Thread | None:
    if demo.fed_marker.exists():
        return None
    thread = threading.Thread(target=_feed, args=(demo, url), name="demo-feed", daemon=True)
    thread.start()
    return thread


def _feed(demo: Demo, url: str) -> None:
    with httpx.Client(base_url=url, timeout=60) as client:
        while True:  # wait for the server
            try:
                if client.get("/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        headers = {"Authorization": f"Bearer {demo.keys['school']}"}
        lines = demo.events.read_text().splitlines()
        batches: defaultdict[int, list[dict[str, object]]] = defaultdict(list)
        for number, line in enumerate(lines):
            batches[number // BATCH].append(json.loads(line))
        sent = 0
        for _, events in sorted(batches.items()):
            response = client.post("/v1/events", json={"events": events}, headers=headers)
            if response.status_code not in (202, 422):
                print(f"demo: feeding stopped: HTTP {response.status_code}", file=sys.stderr)
                return
            sent += len(events)
            if sent % (BATCH * 10) == 0 or sent == len(lines):
                print(f"demo: fed {sent:,} of {len(lines):,} events", file=sys.stderr, flush=True)
        demo.fed_marker.write_text(str(sent))
        officer = demo.keys["la_officer"]
        print(
            "demo: done. Alerts for LA 886 (an LA officer's view):\n"
            f"  curl -s -H 'Authorization: Bearer {officer}' {url}/v1/alerts\n"
            f"  or in the console: {url}/ (sign in with that key)\n"
            f"Keys (school, la_officer, auditor) are in {demo.folder / 'keys.json'}",
            file=sys.stderr,
            flush=True,
        )
