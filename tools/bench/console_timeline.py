"""Figure: the console's pupil timeline page (`GET /pupils/{upn}`, signed in as an auditor), p50/p99
server-and-HTTP time on the shared filled ledger (1M rows quick, 10M full), beside `GET /healthz`
on the same process.

Pupils are drawn at random from the ledger as the `ledger_queries` figure draws them. The page asks
a reader's purpose once per pupil and session, so the purposes are given first (not measured); then
each timeline is requested one at a time over a keep-alive connection with the session cookie: the
same read as the API's pupil history, its access-log entry, the pupil's alerts, and the page."""

from __future__ import annotations

import httpx

from tools.bench.console_inbox import form_token, sign_in
from tools.bench.ledger_queries import Request, floor_requests, p99_result, sample_upns, timed
from tools.bench.report import Result, Target
from tools.bench.session import Session
from tools.bench.stats import percentile


def give_purposes(client: httpx.Client, upns: list[str]) -> None:
    token = form_token(client, "/pupils")  # the sign-out form's: one token per session
    for upn in dict.fromkeys(upns):
        given = client.post(f"/pupils/{upn}/purpose", data={"csrf_token": token, "purpose": "audit"})
        if given.status_code != 303:
            raise RuntimeError(f"the purpose for {upn} was refused: {given.status_code} {given.text[:300]}")


class ConsoleTimeline:
    name = "console_timeline"
    title = "Console pupil timeline page"
    target = (Target("max", 100.0),)

    def run(self, session: Session) -> list[Result]:
        ledger = session.ledger_under_load()
        count = max(200, session.scale.movements_requests)
        warmup = sample_upns(session, ledger, session.scale.warmup_requests, seed=98)
        upns = sample_upns(session, ledger, count, seed=2)
        session.progress(f"console timeline: {count:,} pupils' timelines on {ledger.rows:,} rows ...")
        asked: list[Request] = [(f"/pupils/{upn}", {}) for upn in upns]
        with httpx.Client(base_url=ledger.product.url, timeout=60, follow_redirects=False) as client:
            sign_in(client, ledger.auditor_key)
            give_purposes(client, warmup + upns)
            timed(client, [(f"/pupils/{upn}", {}) for upn in warmup])
            timed(client, floor_requests(session.scale.warmup_requests))
            floor = timed(client, floor_requests(count))
            pages = timed(client, asked, session.scale.query_budget_s)
        rows = f"{ledger.rows / 1e6:.3g}M-row ledger"
        common = {
            "ledger_rows": ledger.rows,
            "pupils": ledger.pupils,
            "healthz_p50_ms": round(percentile(floor, 50), 3),
        }
        title = f"Console pupil timeline p99, {rows}"
        return [p99_result("console_timeline_p99", title, pages, self.target, percentile(floor, 99), common)]
