"""Figure: the console's LA dashboard (`GET /las/{la}`, signed in), p50/p99 server-and-HTTP time on
the bench's filled ledger (1M rows quick, 10M full), beside `GET /healthz` on the same process.

The LA is the one with the most of the workload's schools; its alerts (10,000, as for the inbox
figure) are written to the alert tables before the process restarts on the filled ledger. Every
request counts the LA's exits for a year and the year before from the statistics views
(migration 0010), its rolls and AP placements, and its open alerts, and writes an access-log row.
Requests go one at a time over a keep-alive connection with the session cookie, in turn: the
report year, each phase, the year before."""

from __future__ import annotations

import json
from collections import Counter

import httpx

from rollwatch.core.topics import Topics
from tools.bench.console_inbox import ALERTS, form_token, sign_in
from tools.bench.harness import publish_key
from tools.bench.ledger_queries import Request, floor_requests, p99_result, timed
from tools.bench.report import Result, Target
from tools.bench.session import Session
from tools.bench.stats import percentile
from tools.bench.workload import REPORT_YEAR


def views() -> list[dict[str, str]]:
    start, end = REPORT_YEAR
    year = {"from": start.isoformat(), "to": end.isoformat()}
    before = {
        "from": start.replace(year=start.year - 1).isoformat(),
        "to": end.replace(year=end.year - 1).isoformat(),
    }
    return [year, {**year, "phase": "Primary"}, {**year, "phase": "Secondary"}, before]


def give_purpose(client: httpx.Client, path: str) -> None:
    token = form_token(client, path)  # the page asks the purpose first
    given = client.post(
        "/statistics/purpose", data={"csrf_token": token, "purpose": "oversight", "next": path}
    )
    if given.status_code != 303:
        raise RuntimeError(f"purpose refused: {given.status_code}")


class ConsoleDashboard:
    name = "console_dashboard"
    title = "Console LA dashboard page"
    target = (Target("max", 500.0),)

    def run(self, session: Session) -> list[Result]:
        ledger = session.ledger_under_load()
        product = ledger.product
        by_la = Counter(school.laestab[:3] for school in session.schools.open)
        la = by_la.most_common(1)[0][0]
        urns = [school.urn for school in session.schools.open if school.laestab.startswith(la)]
        session.progress(f"dashboard: {ALERTS:,} alerts for LA {la} ({len(urns)} schools), restarting ...")
        product.stop()
        fill = json.loads(
            product.python(
                "tools.bench.fill_alerts", "--alerts", str(ALERTS), "--la", la, "--schools", ",".join(urns)
            ).strip().splitlines()[-1]
        )  # fmt: skip
        officer = publish_key(
            session.bootstrap, Topics(product.namespace), "la_officer", la_code=la, name="Bench Officer"
        )
        product.start()
        count = max(200, session.scale.movements_requests)
        shown = views()
        asked: list[Request] = [(f"/las/{la}", shown[n % len(shown)]) for n in range(count)]
        with httpx.Client(base_url=product.url, timeout=120, follow_redirects=False) as client:
            sign_in(client, officer)
            give_purpose(client, f"/las/{la}")
            timed(client, asked[: session.scale.warmup_requests])
            timed(client, floor_requests(session.scale.warmup_requests))
            floor = timed(client, floor_requests(count))
            pages = timed(client, asked, session.scale.query_budget_s)
        common = {
            "ledger_rows": ledger.rows, "alerts": ALERTS, "steps": fill["steps"], "la_code": la,
            "la_schools": len(urns), "views": shown, "healthz_p50_ms": round(percentile(floor, 50), 3),
        }  # fmt: skip
        title = f"Console LA dashboard p99, {ledger.rows / 1e6:.3g}M-row ledger"
        return [p99_result("console_dashboard_p99", title, pages, self.target, percentile(floor, 99), common)]
