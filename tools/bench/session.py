"""One benchmark run: its scale, its broker, its workload, and the products it started (stopped at
the end). Figures get what they need from here; what several figures share (the filled ledger
and the process serving it) is made once, on first use."""

from __future__ import annotations

import json
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rollwatch.core.topics import Topics
from tools.bench.harness import Product, Progress, create_topics, new_namespace, publish_key
from tools.bench.workload import Schools, Workload, bench_schools


@dataclass(frozen=True)
class Scale:
    mode: str
    tracker_events: int
    ingest_events: int
    ledger_rows: int
    history_requests: int
    movements_requests: int
    warmup_requests: int
    # Each kind of query stops after this long (and at least 100 requests) if not done before.
    query_budget_s: float
    schools: int = 1000
    # The national replay's share of England's schools (`rollwatch simulate --england --scale`):
    # about 25M events a year at 1.0, so ~50k quick and ~500k full.
    national_scale: float = 0.002


QUICK = Scale("quick", 200_000, 200_000, 1_000_000, 1_000, 300, 50, 60.0)
FULL = Scale("full", 2_000_000, 1_000_000, 10_000_000, 2_000, 500, 100, 240.0, national_scale=0.02)


@dataclass
class LedgerUnderLoad:
    """`rollwatch run` on a ledger filled with `rows` rows, ready for queries."""

    product: Product
    auditor_key: str
    rows: int
    pupils: int
    fill: dict[str, Any]
    rss_at_ready_kib: int


class Session:
    def __init__(self, scale: Scale, workdir: Path, bootstrap: str, progress: Progress, seed: int = 1):
        self.scale = scale
        self.workdir = workdir
        self.bootstrap = bootstrap
        self.progress = progress
        self.seed = seed
        self.schools: Schools = bench_schools(scale.schools, seed)
        self.workload = Workload(self.schools, seed)
        self._register_files: tuple[Path, Path] | None = None
        self._ledger: LedgerUnderLoad | None = None
        self._stack = ExitStack()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stack.close()

    @property
    def register_files(self) -> tuple[Path, Path]:
        if self._register_files is None:
            self._register_files = self.schools.write(self.workdir / "gias")
        return self._register_files

    def product(self, name: str, command: tuple[str, ...], **settings: str) -> tuple[Product, Topics]:
        """A product on a fresh folder and namespace, its topics created and the schools register
        imported; not started yet (stopped when the session ends)."""
        product, topics = self.bare_product(name, command, **settings)
        schools, links = self.register_files
        product.cli("schools", "import", str(schools), "--links", str(links))
        return product, topics

    def bare_product(self, name: str, command: tuple[str, ...], **settings: str) -> tuple[Product, Topics]:
        """As `product`, with no schools register (for a figure that brings its own)."""
        namespace = new_namespace(name.replace("_", ""))
        topics = create_topics(self.bootstrap, namespace)
        product = Product(self.workdir / name, self.bootstrap, namespace, command, settings)
        product.workdir.mkdir(parents=True, exist_ok=True)
        self._stack.callback(product.stop)
        return product, topics

    def ledger_under_load(self) -> LedgerUnderLoad:
        """The all-in-one process on a ledger of `scale.ledger_rows` rows (made on first use)."""
        if self._ledger is None:
            product, topics = self.product("ledger", ("run", "--no-local-kafka"))
            rows = self.scale.ledger_rows
            self.progress(f"filling a ledger with {rows:,} rows ...")
            fill = json.loads(
                product.python(
                    "tools.bench.fill_ledger",
                    "--rows",
                    str(rows),
                    "--seed",
                    str(self.seed),
                    "--schools",
                    str(self.scale.schools),
                )
                .strip()
                .splitlines()[-1]
            )
            self.progress(
                f"ledger filled: {fill['rows']:,} rows, {fill['pupils']:,} pupils in {fill['fill_s']} s "
                f"(+{fill['settle_and_checkpoint_s']} s merges and checkpoint); starting rollwatch run ..."
            )
            auditor = publish_key(self.bootstrap, topics, "auditor", label="bench")
            product.start()
            self._ledger = LedgerUnderLoad(
                product, auditor, fill["rows"], fill["pupils"], fill, product.memory_kib()["VmRSS"]
            )
        return self._ledger
