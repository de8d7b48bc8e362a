"""Figure: the console's inbox page (`GET /`), p50/p99 server-and-HTTP time for an LA with 10,000
alerts, signed in as an officer of that LA, beside `GET /healthz` on the same process.

The alerts are written to the alert tables before `rollwatch run` starts (`tools.bench.fill_alerts`),
as if raised and worked over half a year. Requests go one at a time over a keep-alive connection
with the session cookie: the default inbox (open and acknowledged, most urgent first), and filtered
views (a rule, overdue only, my alerts, newest first, a later page), in turn."""

from __future__ import annotations

import json
import re
from collections import Counter

import httpx

from tools.bench.harness import publish_key
from tools.bench.ledger_queries import Request, floor_requests, timed
from tools.bench.report import Result, Target
from tools.bench.session import Session
from tools.bench.stats import percentile

ALERTS = 10_000
VIEWS: list[dict[str, str]] = [
    {},
    {"rule": "no_destination"},
    {"overdue": "yes"},
    {"assignee": "me"},
    {"sort": "newest"},
    {"page": "7"},
    {"status": "resolved", "severity": "high"},
]


def form_token(client: httpx.Client, path: str) -> str:
    """The CSRF token of the form on the console page at `path` (the session's)."""
    page = client.get(path)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if token is None:
        raise RuntimeError(f"no form on {path}: {page.status_code} {page.text[:300]}")
    return token.group(1)


def sign_in(client: httpx.Client, key: str) -> None:
    """Sign in with `key`, stating the session's purpose (what the alert lists are read for)."""
    token = form_token(client, "/sign-in")
    signed_in = client.post(
        "/sign-in", data={"csrf_token": token, "api_key": key, "purpose": "casework", "next": "/"}
    )
    if signed_in.status_code != 303:
        raise RuntimeError(f"sign-in refused: {signed_in.status_code}")


class ConsoleInbox:
    name = "console_inbox"
    title = "Console inbox page"
    target = (Target("max", 300.0),)

    def run(self, session: Session) -> list[Result]:
        product, topics = session.product("console", ("run", "--no-local-kafka"))
        by_la = Counter(school.laestab[:3] for school in session.schools.open)
        la = by_la.most_common(1)[0][0]
        urns = [school.urn for school in session.schools.open if school.laestab.startswith(la)]
        session.progress(f"console: {ALERTS:,} alerts for LA {la} ({len(urns)} schools) ...")
        fill = json.loads(
            product.python(
                "tools.bench.fill_alerts", "--alerts", str(ALERTS), "--la", la, "--schools", ",".join(urns)
            ).strip().splitlines()[-1]
        )  # fmt: skip
        officer = publish_key(session.bootstrap, topics, "la_officer", la_code=la, name="Bench Officer")
        product.start()
        count = max(200, session.scale.movements_requests)
        asked: list[Request] = [("/", VIEWS[n % len(VIEWS)]) for n in range(count)]
        with httpx.Client(base_url=product.url, timeout=60, follow_redirects=False) as client:
            sign_in(client, officer)
            timed(client, asked[: session.scale.warmup_requests])
            timed(client, floor_requests(session.scale.warmup_requests))
            floor = timed(client, floor_requests(count))
            inbox = timed(client, asked, session.scale.query_budget_s)
        details = {
            "alerts": ALERTS, "steps": fill["steps"], "la_code": la, "requests": len(inbox), "views": VIEWS,
            "p50_ms": round(percentile(inbox, 50), 3), "p99_ms": round(percentile(inbox, 99), 3),
            "max_ms": round(max(inbox), 3), "healthz_p50_ms": round(percentile(floor, 50), 3),
        }  # fmt: skip
        return [
            Result(
                name="console_inbox_p99",
                title=f"Console inbox page p99, {ALERTS:,} alerts in the LA",
                unit="ms",
                value=percentile(inbox, 99),
                baseline_name="GET /healthz p99",
                baseline=percentile(floor, 99),
                targets=self.target,
                details=details,
                note=f"p50 {percentile(inbox, 50):.1f} ms",
            )
        ]
