"""`rollwatch import-ctf FILE`: a CTF from the command line, two ways.

- `--url URL` (with the key in `--key` or `ROLLWATCH_API_KEY`): post the file to a running
  Rollwatch (`POST /v1/ctf`) and print its JSON answer. This is how events are recorded: the
  server checks the key's school, validates and publishes, exactly as for an MIS. The command
  line never writes to Kafka itself, so a key's scope cannot be side-stepped from here.
- `--out -` (or `--out FILE`): publish nothing; read, map and validate the file locally with the
  very code the server runs, and write the events it would publish as JSON lines, for
  inspection. The per-pupil report goes to stderr.

Exit status: 0 when every pupil became an event, 1 when some or all were skipped or the file or
the request was refused, 2 for a usage error."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from rollwatch.core.settings import Settings
from schemas.identifiers import URN_PATTERN
from services.ingest.ctf.plan import DIRECTIONS

KEY_ENV = "ROLLWATCH_API_KEY"


def add_parser(sub: Any) -> None:
    """Add the subcommand to `rollwatch`'s subparsers."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "import-ctf",
        help="turn a Common Transfer File into events (post it to a server, or print them)",
        description="Import a Common Transfer File (CTF XML): one pupil.deleted per pupil for a CTF "
        "the school sent, one pupil.enrolled for a CTF it received. Either post it to a running "
        f"Rollwatch (--url, key in --key or {KEY_ENV}) or print the events without publishing "
        "them (--out -).",
    )
    parser.add_argument("file", type=Path, help="the CTF (XML)")
    parser.add_argument("--direction", required=True, choices=DIRECTIONS, help="sent or received")
    parser.add_argument("--school-urn", required=True, help="the school (6-digit URN)")
    parser.add_argument("--ground", help="deletion ground code (required for a CTF sent to XXXXXXX)")
    parser.add_argument("--destination", help="destination kind (MMMMMMM: independent, abroad, moved_away)")
    parser.add_argument(
        "--occurred-on",
        type=dt.date.fromisoformat,
        help="YYYY-MM-DD, for pupils whose SchoolHistory gives no leaving / entry date",
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--url", help="a running Rollwatch, e.g. http://127.0.0.1:8000")
    target.add_argument("--out", help="write the events as JSON lines here ('-': stdout); publish nothing")
    parser.add_argument("--key", help=f"the school's API key (default: ${KEY_ENV})")
    parser.set_defaults(handler=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    if not re.fullmatch(URN_PATTERN, args.school_urn):
        print("rollwatch: --school-urn is a 6-digit URN", file=sys.stderr)
        return 2
    if args.url is not None:
        return _post(args)
    return _locally(settings, args)


def _post(args: argparse.Namespace) -> int:
    key = args.key or os.environ.get(KEY_ENV)
    if not key:
        print(f"rollwatch: --url needs an API key: --key or {KEY_ENV}", file=sys.stderr)
        return 2
    query = {"direction": args.direction, "school_urn": args.school_urn}
    for name in ("ground", "destination"):
        if getattr(args, name) is not None:
            query[name] = getattr(args, name)
    if args.occurred_on is not None:
        query["occurred_on"] = args.occurred_on.isoformat()
    url = f"{args.url.rstrip('/')}/v1/ctf?{urllib.parse.urlencode(query)}"
    request = urllib.request.Request(
        url,
        data=args.file.read_bytes(),
        method="POST",
        headers={"Content-Type": "application/xml", "Authorization": f"Bearer {key}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    except urllib.error.URLError as exc:
        print(f"rollwatch: cannot reach {args.url}: {exc.reason}", file=sys.stderr)
        return 1
    print(body.decode("utf-8", errors="replace"))
    if status != 202:
        return 1
    return 0 if not json.loads(body).get("skipped") else 1


def _locally(settings: Settings, args: argparse.Namespace) -> int:
    from services.ingest.ctf.plan import ImportOptions, PlanRefused
    from services.ingest.ctf.reader import CtfUnreadable, read_ctf
    from services.ingest.ctf.service import import_ctf

    options = ImportOptions(args.direction, args.school_urn, args.ground, args.destination, args.occurred_on)
    try:
        with args.file.open("rb") as stream:
            ctf = read_ctf(stream, max_pupils=settings.max_batch_events)
        result = import_ctf(ctf, options, {args.school_urn})
    except CtfUnreadable as exc:
        print(f"rollwatch: {exc.rule}: {exc.message}", file=sys.stderr)
        return 1
    except PlanRefused as exc:
        print(f"rollwatch: {exc.problem.field}: {exc.problem.rule}: {exc.problem.message}", file=sys.stderr)
        return 1
    lines = b"".join(value + b"\n" for _, value in result.batch.messages.values())
    if args.out == "-":
        sys.stdout.buffer.write(lines)
        sys.stdout.flush()
    else:
        Path(args.out).write_bytes(lines)
    print(json.dumps(result.report(), indent=2), file=sys.stderr)
    return 0 if not result.skipped and result.created else 1
