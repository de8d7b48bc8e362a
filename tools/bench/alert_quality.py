"""Figure: alert precision and recall per rule, against the simulator's ground truth.

`rollwatch simulate` writes a year of one LA (its register, events and the alerts its injected
and background behaviour should raise, with their fingerprints). The all-in-one product loads
that register, takes every event through the HTTP API, and once the alert service has judged
them all and its clocks have run, its alerts are matched to the ground truth by fingerprint:
precision = matched / raised, recall = matched / expected, per rule, for every rule of the alert
service (a rule with nothing raised or expected is reported with nulls).

The simulated year is in the past, so the product runs on event time (`alert_clock=event`), as the
ground truth judges: on the wall clock every deadline of the year has passed when its event
arrives, and a waiting rule would fire before the answer queued behind it. The raised alerts are
kept beside the events (`alerts.jsonl`) for a look at what did not match."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

import httpx

from services.alerts.rules import ALL_RULES
from tools.bench.harness import Product, publish_key
from tools.bench.report import Result
from tools.bench.session import Session

BATCH = 500


class AlertQuality:
    name = "alert_precision_recall"
    title = "Alert precision / recall against the simulator's ground truth"

    def run(self, session: Session) -> list[Result]:
        schools = "40" if session.scale.ledger_rows <= 1_000_000 else "150"
        # Event time: the ground truth is as of the end of the simulated window, and on the wall
        # clock every clock (a silent feed's, a waiting rule's) would keep counting past it.
        product, topics = session.bare_product(
            self.name,
            ("run", "--no-local-kafka"),
            alert_tick_seconds="0.5",
            tracker_batch_seconds="0.2",
            alert_clock="event",
        )
        folder = product.workdir
        session.progress(f"alerts: simulating LA 886 with {schools} schools for a year ...")
        product.cli(
            "simulate",
            "--la",
            "886",
            "--schools",
            schools,
            "--seed",
            str(session.seed),
            "--out",
            str(folder / "events.jsonl"),
            "--register",
            str(folder / "schools.csv"),
            "--ground-truth",
            str(folder / "truth.jsonl"),
            "--quiet",
        )
        product.cli("schools", "import", str(folder / "schools.csv"))
        events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
        urns = tuple(sorted({e["school_urn"] for e in events}))
        school_key = publish_key(session.bootstrap, topics, "school", urns=urns, label="bench")
        auditor = publish_key(session.bootstrap, topics, "auditor", label="bench")
        product.start()
        session.progress(f"alerts: feeding {len(events):,} simulated events through the API ...")
        with httpx.Client(base_url=product.url, timeout=120) as client:
            for start in range(0, len(events), BATCH):
                response = client.post(
                    "/v1/events",
                    json={"events": events[start : start + BATCH]},
                    headers={"Authorization": f"Bearer {school_key}"},
                )
                if response.status_code != 202:
                    raise RuntimeError(f"alert quality: HTTP {response.status_code}: {response.text[:300]}")
            _wait_until_judged(client, product, len(events))
            raised = _all_alerts(client, auditor)
        product.stop()
        (folder / "alerts.jsonl").write_text("".join(json.dumps(a) + "\n" for a in raised))
        truth = [json.loads(line) for line in (folder / "truth.jsonl").read_text().splitlines()]
        return [_result(self.name, self.title, raised, truth, len(events))]


def _wait_until_judged(client: httpx.Client, product: Product, count: int) -> None:
    deadline = time.monotonic() + 1800  # two cores shared with other work can be slow
    while product.metric(client, "rollwatch_alert_judge_seconds_count") < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the alert service did not judge every event:\n{product.log_tail()}")
        time.sleep(1)
    time.sleep(5)  # clocks and school judgements run on the next ticks
    # Roll checks are judged once every partition has passed them (at most a minute later).
    while product.metric(client, "rollwatch_alert_roll_checks_pending") > 0 and time.monotonic() < deadline:
        time.sleep(1)
    time.sleep(2)


def _all_alerts(client: httpx.Client, auditor: str) -> list[dict[str, Any]]:
    alerts: list[dict[str, Any]] = []
    page = 1
    while True:
        body = client.get(
            "/v1/alerts",
            params={"page": page, "per_page": 500, "purpose": "benchmark"},
            headers={"Authorization": f"Bearer {auditor}"},
        ).json()
        alerts += body["alerts"]
        if len(alerts) >= body["total"] or not body["alerts"]:
            return alerts
        page += 1


def _result(
    name: str, title: str, raised: list[dict[str, Any]], truth: list[dict[str, Any]], events: int
) -> Result:
    got = {(a["rule"], a["fingerprint"]) for a in raised}
    want = {(t["rule"], t["fingerprint"]) for t in truth}
    per_rule: dict[str, dict[str, Any]] = {}
    for rule in sorted({r for r, _ in got | want} | set(ALL_RULES)):
        g = {f for r, f in got if r == rule}
        w = {f for r, f in want if r == rule}
        hit = len(g & w)
        per_rule[rule] = {
            "raised": len(g),
            "expected": len(w),
            "matched": hit,
            "precision": round(hit / len(g), 3) if g else None,
            "recall": round(hit / len(w), 3) if w else None,
        }
    matched = len(got & want)
    injected = Counter(t["rule"] for t in truth if t["injected"])
    return Result(
        name=name,
        title=title,
        unit="recall",
        value=round(matched / len(want), 3) if want else None,
        details={
            "events": events,
            "precision_overall": round(matched / len(got), 3) if got else None,
            "recall_overall": round(matched / len(want), 3) if want else None,
            "per_rule": per_rule,
            "injected_cases_by_rule": dict(injected),
        },
        note=f"precision {matched}/{len(got)}, recall {matched}/{len(want)}; per rule (precision/recall): "
        + ", ".join(f"{rule} {_share(v['precision'])}/{_share(v['recall'])}" for rule, v in per_rule.items()),
    )


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"
