"""Figure: how long `GET /v1/ledger/verify` takes on the bench's ledger (1M rows quick, 10M full):
every hash chain recomputed, every typed column checked against its event, the identity links
recomputed and the sealed audit logs verified. The placements replay is left out (`placements=false`):
it parses every event again and is timed by nothing here (the bench's placements, which `fill_ledger`
makes as the tracker would, do verify: `rollwatch verify` on a small fill). The baseline, in the same
run, is the time the same rows and placements took to be written (`fill_ledger`)."""

from __future__ import annotations

import time

import httpx

from tools.bench.report import Result
from tools.bench.session import Session


class VerifyTime:
    name = "verify"
    title = "Ledger verification"

    def run(self, session: Session) -> list[Result]:
        ledger = session.ledger_under_load()
        session.progress(f"verify: the whole ledger of {ledger.rows:,} rows ...")
        headers = {"Authorization": f"Bearer {ledger.auditor_key}"}
        with httpx.Client(base_url=ledger.product.url, timeout=3600, headers=headers) as client:
            started = time.perf_counter()
            response = client.get("/v1/ledger/verify", params={"placements": "false"})
            seconds = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"/v1/ledger/verify answered {response.status_code}: {response.text[:300]}")
        report = response.json()
        if not report["ok"]:
            raise RuntimeError(f"the bench's ledger did not verify: {report['first_break']}")
        fill_s = float(ledger.fill["fill_s"])
        return [
            Result(
                name="verify_s",
                title=f"Verify, {ledger.rows / 1e6:.3g}M-row ledger",
                unit="s",
                value=round(seconds, 2),
                baseline_name="writing the same rows (fill_ledger)",
                baseline=fill_s,
                details={
                    "rows": report["rows"],
                    "pupils": report["pupils"],
                    "rows_per_s": round(ledger.rows / seconds),
                },
                note=f"{ledger.rows / seconds:,.0f} rows/s; placements replay not included",
            )
        ]
