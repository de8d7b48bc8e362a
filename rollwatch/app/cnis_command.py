"""`rollwatch children-not-in-school --la L --purpose P`: download an LA's export for its
children-not-in-school register from a running Rollwatch (`GET /v1/las/{la}/children-not-in-school`)
with an LA officer's or auditor's key, into a file or stdout. The server checks the key's scope
and writes the read to the access log; the command line holds no ledger of its own."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from rollwatch.core.settings import Settings
from services.ingest.ctf.command import KEY_ENV


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "children-not-in-school",
        help="download an LA's CSV for its children-not-in-school register (s436B(5)(b))",
        description="Pupils on roll at the LA's schools educated elsewhere for part of the week (open AP "
        "placements, part-time timetables), as CSV: UPN, date of birth, year group, school, arrangement, "
        "dates, sessions, provider. No names or addresses: join them on the UPN.",
    )
    parser.add_argument("--la", required=True, help="the LA code (3 digits)")
    parser.add_argument("--purpose", required=True, help="why you are exporting (kept in the access log)")
    parser.add_argument(
        "--on", type=dt.date.fromisoformat, help="YYYY-MM-DD for compulsory school age (today)"
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="a running Rollwatch")
    parser.add_argument("--key", help=f"an LA officer's or auditor's key (default: ${KEY_ENV})")
    parser.add_argument("--out", default="-", help="the CSV file ('-': stdout, the default)")
    parser.set_defaults(handler=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    key = args.key or os.environ.get(KEY_ENV)
    if not key:
        print(f"rollwatch: an API key is needed: --key or {KEY_ENV}", file=sys.stderr)
        return 2
    query = {"purpose": args.purpose} | ({"on": args.on.isoformat()} if args.on else {})
    url = f"{args.url.rstrip('/')}/v1/las/{urllib.parse.quote(args.la)}/children-not-in-school?"
    request = urllib.request.Request(
        url + urllib.parse.urlencode(query), headers={"Authorization": f"Bearer {key}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            body = response.read()
    except urllib.error.HTTPError as error:
        print(f"rollwatch: HTTP {error.code}: {error.read().decode(errors='replace')[:500]}", file=sys.stderr)
        return 1
    except urllib.error.URLError as error:
        print(f"rollwatch: cannot reach {args.url}: {error.reason}", file=sys.stderr)
        return 1
    if args.out == "-":
        sys.stdout.write(body.decode())
    else:
        Path(args.out).write_bytes(body)
        rows = max(0, body.count(b"\n") - 1)
        print(f"wrote {args.out} ({rows} rows)", file=sys.stderr)
    return 0
