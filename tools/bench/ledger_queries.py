"""Figures: pupil history and a school's movements for one year, p50/p99 over HTTP, on a ledger of
1 million rows (quick) or 10 million (full) served by `rollwatch run`.

Requests go one at a time over a keep-alive connection with an auditor key and a stated purpose,
for pupils and schools drawn at random from the workload (after a few unmeasured warm-up
requests). The baseline, in the same run, is `GET /healthz` on the same process: the HTTP floor
under every answer, so the ratio says how many times that floor a query costs."""

from __future__ import annotations

import json
import random
import time
from typing import Any

import httpx

from tools.bench.report import Result, Target
from tools.bench.session import LedgerUnderLoad, Session
from tools.bench.stats import percentile
from tools.bench.workload import REPORT_YEAR

PURPOSE = "rollwatch bench: read latency"
MIN_SAMPLES = 100


Request = tuple[str, dict[str, str]]  # path, query parameters


def timed(client: httpx.Client, requests: list[Request], budget_s: float | None = None) -> list[float]:
    """Milliseconds per request, each answered 200. With a budget, stops once it is spent and
    at least MIN_SAMPLES were taken (a p99 needs some)."""
    samples: list[float] = []
    deadline = None if budget_s is None else time.monotonic() + budget_s
    for path, params in requests:
        if deadline is not None and len(samples) >= MIN_SAMPLES and time.monotonic() > deadline:
            break
        started = time.perf_counter()
        response = client.get(path, params=params)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:300]}")
        samples.append(elapsed)
    return samples


def sample_upns(session: Session, ledger: LedgerUnderLoad, count: int, seed: int) -> list[str]:
    """Pupils of the filled ledger at random, each under the UPN of their latest event."""
    rng = random.Random(seed)
    return [session.workload.pupil_events(rng.randrange(ledger.pupils))[-1][0] for _ in range(count)]


def history_requests(session: Session, ledger: LedgerUnderLoad, count: int, seed: int) -> list[Request]:
    return [
        (f"/v1/pupils/{upn}/history", {"purpose": PURPOSE})
        for upn in sample_upns(session, ledger, count, seed)
    ]


def movements_requests(session: Session, count: int, seed: int) -> list[Request]:
    """Schools at random, the report's year each time."""
    rng = random.Random(seed)
    start, end = REPORT_YEAR
    params = {"from": start.isoformat(), "to": end.isoformat(), "purpose": PURPOSE}
    return [(f"/v1/schools/{rng.choice(session.schools.urns)}/movements", params) for _ in range(count)]


def floor_requests(count: int) -> list[Request]:
    return [("/healthz", {})] * count


def client_for(ledger: LedgerUnderLoad) -> httpx.Client:
    return httpx.Client(
        base_url=ledger.product.url, timeout=60, headers={"Authorization": f"Bearer {ledger.auditor_key}"}
    )


class LedgerQueries:
    name = "ledger_queries"
    title = "Ledger reads"
    history_target = (Target("max", 20.0),)
    movements_target = (Target("max", 200.0),)

    def run(self, session: Session) -> list[Result]:
        ledger = session.ledger_under_load()
        scale = session.scale
        session.progress(
            f"queries: {scale.history_requests:,} pupil histories, {scale.movements_requests:,} school "
            f"movement reports on {ledger.rows:,} rows ..."
        )
        with client_for(ledger) as client:
            timed(client, history_requests(session, ledger, scale.warmup_requests, seed=99))
            timed(client, movements_requests(session, 5, seed=99))
            timed(client, floor_requests(scale.warmup_requests))
            floor = timed(client, floor_requests(scale.history_requests))
            history_asked = history_requests(session, ledger, scale.history_requests, seed=1)
            history = timed(client, history_asked, scale.query_budget_s)
            movements_asked = movements_requests(session, scale.movements_requests, seed=1)
            movements = timed(client, movements_asked, scale.query_budget_s)
        floor_p50, floor_p99 = percentile(floor, 50), percentile(floor, 99)
        rows = f"{ledger.rows / 1e6:.3g}M-row ledger"
        common = {"ledger_rows": ledger.rows, "pupils": ledger.pupils, "healthz_p50_ms": round(floor_p50, 3)}
        history_title = f"Pupil history p99, {rows}"
        movements_title = f"School movements (1 year) p99, {rows}"
        return [
            p99_result("pupil_history_p99", history_title, history, self.history_target, floor_p99, common),
            p99_result(
                "school_movements_p99", movements_title, movements, self.movements_target, floor_p99,
                common, period=[d.isoformat() for d in REPORT_YEAR],
            ),
        ]  # fmt: skip


class CompactedHistory:
    """The same pupils' histories again after `rollwatch compact` merged the tables they read into
    one part each (services/tracker/compaction.py): what a ledger compacted in its last quiet hour
    answers. Last in the run, as it stops and restarts the shared ledger's process."""

    name = "ledger_queries_compacted"
    title = "Ledger reads after `rollwatch compact`"

    def run(self, session: Session) -> list[Result]:
        ledger = session.ledger_under_load()
        scale = session.scale
        # Other pupils than `LedgerQueries` read: a condition the engine cached would answer faster.
        asked = history_requests(session, ledger, scale.history_requests, seed=2)
        before, _ = self._read(session, ledger, asked)
        session.progress("compact: stopping the ledger's process to merge its history tables ...")
        ledger.product.stop()
        started = time.monotonic()
        compacted = json.loads(ledger.product.cli("compact", "--json", timeout=3600))
        compact_s = time.monotonic() - started
        ledger.product.start()
        session.progress(f"compact: merged in {compact_s:.1f} s; reading the same pupils again ...")
        after, floor = self._read(session, ledger, asked)
        parts = {f"parts_before_{table['table']}": table["parts_before"] for table in compacted}
        common = {
            "ledger_rows": ledger.rows, "pupils": ledger.pupils, "compact_s": round(compact_s, 1), **parts,
            "before_compact": _spread(before),
        }  # fmt: skip
        title = f"Pupil history p99 after `rollwatch compact`, {ledger.rows / 1e6:.3g}M-row ledger"
        return [
            p99_result(
                "pupil_history_compacted_p99", title, after, LedgerQueries.history_target,
                percentile(floor, 99), common,
            )
        ]  # fmt: skip

    @staticmethod
    def _read(
        session: Session, ledger: LedgerUnderLoad, asked: list[Request]
    ) -> tuple[list[float], list[float]]:
        """The pupils' histories and the `/healthz` floor, after the same unmeasured warm-up both
        times (the process may be new: the bench started it, or `compact` restarted it)."""
        scale = session.scale
        with client_for(ledger) as client:
            timed(client, history_requests(session, ledger, scale.warmup_requests, seed=99))
            floor = timed(client, floor_requests(scale.history_requests))
            return timed(client, asked, scale.query_budget_s), floor


def p99_result(
    name: str,
    title: str,
    samples: list[float],
    targets: tuple[Target, ...],
    floor_p99: float,
    common: dict[str, Any],
    **details: Any,
) -> Result:
    """A query's p99, beside the p99 of `GET /healthz` on the same process."""
    return Result(
        name=name,
        title=title,
        unit="ms",
        value=percentile(samples, 99),
        baseline_name="GET /healthz p99",
        baseline=floor_p99,
        targets=targets,
        details={**common, **_spread(samples), **details},
        note=f"p50 {percentile(samples, 50):.1f} ms",
    )


def _spread(samples: list[float]) -> dict[str, float]:
    return {
        "requests": len(samples),
        "p50_ms": round(percentile(samples, 50), 3),
        "p90_ms": round(percentile(samples, 90), 3),
        "p99_ms": round(percentile(samples, 99), 3),
        "max_ms": round(max(samples), 3),
    }
