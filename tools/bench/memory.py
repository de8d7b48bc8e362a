"""Figure: peak RSS (VmHWM) of the all-in-one process (`rollwatch run`) holding the filled ledger
(1 million rows quick, 10 million full) and serving queries. It runs a short mixed read load of its
own first, so it means the same when run alone (`--only memory`). The baseline, in the same run, is
the resident size of the same process when it had just become ready."""

from __future__ import annotations

from tools.bench.ledger_queries import client_for, history_requests, movements_requests, timed
from tools.bench.report import Result, Target
from tools.bench.session import Session

GIB_KIB = 1024 * 1024


class PeakMemory:
    name = "memory"
    title = "Peak RSS of rollwatch run"
    targets = (Target("max", 1.2),)

    def run(self, session: Session) -> list[Result]:
        ledger = session.ledger_under_load()
        session.progress("memory: a mixed read load, then the process's peak RSS ...")
        with client_for(ledger) as client:
            timed(client, history_requests(session, ledger, 200, seed=7))
            timed(client, movements_requests(session, 20, seed=7))
        memory = ledger.product.memory_kib()
        rows = f"{ledger.rows / 1e6:.3g}M-row ledger"
        return [
            Result(
                name=self.name,
                title=f"{self.title}, {rows}",
                unit="GiB",
                value=memory["VmHWM"] / GIB_KIB,
                baseline_name="RSS when ready",
                baseline=ledger.rss_at_ready_kib / GIB_KIB,
                targets=self.targets,
                details={
                    "vm_hwm_kib": memory["VmHWM"],
                    "vm_rss_kib": memory["VmRSS"],
                    "rss_at_ready_kib": ledger.rss_at_ready_kib,
                    "ledger_rows": ledger.rows,
                },
            )
        ]
