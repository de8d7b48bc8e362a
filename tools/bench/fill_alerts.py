"""Fills an embedded ledger's alert tables with one LA's alerts, for the console inbox figure:
`python -m tools.bench.fill_alerts --alerts N --la LA --schools URN,URN,...` with the product's
`ROLLWATCH_*` settings, before the product starts (the alert service loads them at start-up).

The alerts are what the alert service would have recorded: opened by the rules (a mix of rules,
severities, due dates and ages), a share of them acknowledged, assigned or resolved by officers.
Prints a JSON summary on stdout."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import time
import uuid
from dataclasses import replace

from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.migrate import migrate
from rollwatch.core.settings import get_settings
from services.alerts.lifecycle import Alert
from services.alerts.store import AlertStore

RULES = (
    ("no_destination", "high"), ("ehe_vulnerable", "high"), ("exam_cohort_exit", "medium"),
    ("exclusion_then_exit", "high"), ("late_notification", "low"), ("high_mobility", "medium"),
    ("suspension_limit", "medium"), ("retrospective_deletion", "low"),
)  # fmt: skip
BLOCK = 2_000
REFERENCE = "Education (Pupil Registration) (England) Regulations 2024"


def _uuid(rng: random.Random) -> str:
    return uuid.UUID(int=rng.getrandbits(128)).hex


def alerts(count: int, la: str, schools: list[str], seed: int, now: dt.datetime) -> list[Alert]:
    rng = random.Random(seed)
    steps: list[Alert] = []
    for n in range(count):
        rule, severity = RULES[n % len(RULES)]
        opened = now - dt.timedelta(days=rng.randrange(0, 200), minutes=rng.randrange(0, 1440))
        alert = Alert(
            alert_id=_uuid(rng), fingerprint=_uuid(rng), rule=rule, severity=severity, la_code=la,
            school_urn=rng.choice(schools), upn=f"A{la}{n:08d}", evidence=(_uuid(rng),),
            reason="A bench alert.", statutory_reference=REFERENCE, as_of=opened.date(), key_event_id=None,
            due_on=opened.date() + dt.timedelta(days=14) if rng.random() < 0.7 else None,
            status="open", opened_at=opened, updated_at=opened, seq=1, transition="opened",
        )  # fmt: skip
        steps.append(alert)
        roll = rng.random()
        if roll < 0.5:
            continue
        at = opened + dt.timedelta(days=rng.randrange(0, 10))
        officer = f"key:{rng.randrange(16**12):012x}"
        assigned = replace(
            alert, seq=2, transition="assigned", actor=officer, actor_name="Bench Officer", assignee=officer,
            assignee_name="Bench Officer", touched_at=at, updated_at=at,
        )  # fmt: skip
        steps.append(assigned)
        if roll > 0.8:
            steps.append(
                replace(assigned, seq=3, transition="resolved", status="resolved", outcome="no_concern",
                        note="bench", updated_at=at)
            )  # fmt: skip
    return steps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, required=True)
    parser.add_argument("--la", required=True)
    parser.add_argument("--schools", required=True, help="comma-separated URNs of the LA")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.monotonic()
    clients = ClientPerThread(get_settings())
    try:
        migrate(clients.get())
        store = AlertStore(clients)
        steps = alerts(args.alerts, args.la, args.schools.split(","), args.seed, dt.datetime.now(dt.UTC))
        for first in range(0, len(steps), BLOCK):
            store.append(steps[first : first + BLOCK])
    finally:
        clients.close()
    print(
        json.dumps(
            {"alerts": args.alerts, "steps": len(steps), "fill_s": round(time.monotonic() - started, 1)}
        )
    )


if __name__ == "__main__":
    main()
