"""`python -m tools.gias_fixture OUTDIR`: write an extract (and the months after it)."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from tools.gias_fixture.generate import next_extract, synthetic_extract


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.gias_fixture",
        description="Write a synthetic GIAS establishment extract and its links file (published format).",
    )
    parser.add_argument("directory", type=Path, help="where to write the two files")
    parser.add_argument("--schools", type=int, default=1000, help="rows in the establishment file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--la", action="append", default=[], help="only these LA codes (repeatable)")
    parser.add_argument(
        "--date", type=dt.date.fromisoformat, default=dt.date(2025, 1, 6), help="extract date"
    )
    parser.add_argument(
        "--conversion-share",
        type=float,
        default=0.08,
        help="share of rows in academy conversions, re-brokered chains and amalgamations",
    )
    parser.add_argument(
        "--next", type=int, default=0, metavar="N", help="also write the N following monthly extracts"
    )
    args = parser.parse_args(argv)
    extract = synthetic_extract(
        args.schools,
        args.seed,
        la_codes=args.la or None,
        extract_date=args.date,
        conversion_share=args.conversion_share,
    )
    for step in range(args.next + 1):
        if step:
            extract, _ = next_extract(extract, step_seed=step)
        schools_path, links_path = extract.write(args.directory)
        print(f"{schools_path}\n{links_path}")
    return 0
