"""Write England's bank holidays into the versioned data file the school calendars load
(`services/alerts/calendars/bank-holidays-england.json`), from the `holidays` package (pinned in
pyproject.toml and constraints.txt; its `GB` calendar, subdivision `ENG`, observed days included).

    python -m tools.bank_holidays          # (re)write the file
    python -m tools.bank_holidays --check  # exit 1 when the file differs from the pinned package

Bumping the pin and running this is how the calendar learns of a new bank holiday (a jubilee, a
state funeral); a unit test runs the check, so the file never drifts from the pinned source."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from services.alerts.bank_holidays import BANK_HOLIDAYS_FILE

FIRST_YEAR = 2000
LAST_YEAR = 2060


def document(first_year: int = FIRST_YEAR, last_year: int = LAST_YEAR) -> dict[str, Any]:
    import holidays  # a dev dependency: the product reads the file, never the package

    days = holidays.country_holidays("GB", subdiv="ENG", years=range(first_year, last_year + 1))
    return {
        "version": f"holidays {holidays.__version__}",
        "source": (
            "Bank holidays in England (GOV.UK, 'UK bank holidays'), as computed by the Python package "
            f"`holidays` {holidays.__version__} (country GB, subdivision ENG, substitute days included), "
            "written by `python -m tools.bank_holidays`"
        ),
        "first_year": first_year,
        "last_year": last_year,
        "days": [[day.isoformat(), name] for day, name in sorted(days.items())],
    }


def render(doc: dict[str, Any]) -> str:
    head = {key: value for key, value in doc.items() if key != "days"}
    lines = ",\n".join(f"    {json.dumps(day, ensure_ascii=False)}" for day in doc["days"])
    return json.dumps(head, indent=2, ensure_ascii=False)[:-2] + f',\n  "days": [\n{lines}\n  ]\n}}\n'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bank_holidays", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--check", action="store_true", help="only report a stale file (exit 1)")
    parser.add_argument("--out", type=Path, default=BANK_HOLIDAYS_FILE)
    args = parser.parse_args(argv)
    text = render(document())
    if args.check:
        if not args.out.is_file() or args.out.read_text(encoding="utf-8") != text:
            print(f"stale: {args.out} (run: python -m tools.bank_holidays)", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
