"""Tampering with a product's embedded ledger as someone with write access to the database could:
raw SQL run in a process of its own while the product is down (chDB opens a folder in one process
at a time), on the folder and database the product's settings name. `python -m tests.support.tamper
SQL` with the product's environment."""

from __future__ import annotations

import sys

from rollwatch.core.clickhouse import connect
from rollwatch.core.settings import Settings
from tests.support.allinone import RunningProduct
from tools.harness import product as child


def tamper(product: RunningProduct, sql: str) -> None:
    """Kill the product (kill -9: what a tamperer's outage looks like to it), run `sql`, start it."""
    product.kill()
    done = child.run_module("tests.support.tamper", sql, env=product.env, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    product.start()


def main(sql: str) -> None:
    # mutations_sync: the ALTER has rewritten the rows before this process lets go of the folder.
    connect(Settings()).command(sql, settings={"mutations_sync": 2})


if __name__ == "__main__":
    main(sys.argv[1])
