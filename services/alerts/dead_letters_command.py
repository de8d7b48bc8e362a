"""`rollwatch alerts dead-letters list|redeliver`: the deliveries given up on, from the command line.

- Without `--url`, on the ledger itself (a ClickHouse server, or the embedded ledger when no
  process holds it): `list` prints each dead letter as a JSON line with its state (`dead`,
  `redelivering`, `redelivered`); `redeliver DELIVERY_ID` sends it again from this process on
  its route in the routes file (`ROLLWATCH_ALERT_ROUTES_FILE`, secrets from the environment),
  with the route's retries, and waits for the outcome (exit 0 when delivered, 1 when it became a
  dead letter again).
- With `--url` (key in `--key` or `ROLLWATCH_API_KEY`: an auditor's, or an LA officer's for their
  own LA): the same through a running alert service (`GET /v1/alerts/dead-letters`,
  `POST .../{id}/redeliver`), which queues the redelivery and answers at once. This is the way
  while `rollwatch run` holds the embedded ledger.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from typing import Any

import httpx

from rollwatch.core.settings import Settings

KEY_ENV = "ROLLWATCH_API_KEY"


def add_parser(alerts: argparse.ArgumentParser) -> None:
    """Add `dead-letters` under the `rollwatch alerts` command."""
    sub = alerts.add_subparsers(title="actions", metavar="ACTION")
    parser = sub.add_parser(
        "dead-letters",
        help="list the notifications given up on, or send one again",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="every dead letter, newest first, as JSON lines")
    listing.add_argument("--la", help="one LA's (3-digit code)")
    again = actions.add_parser("redeliver", help="send one dead letter again on its route")
    again.add_argument("delivery_id")
    for action, handler in ((listing, _list), (again, _redeliver)):
        action.add_argument("--url", help="a running alert service, e.g. http://127.0.0.1:8000")
        action.add_argument("--key", help=f"an auditor's or LA officer's key for --url (default: ${KEY_ENV})")
        action.set_defaults(handler=handler)


def _list(settings: Settings, args: argparse.Namespace) -> int:
    if args.url:
        answer = _call(args, "GET", "/v1/alerts/dead-letters", params={"la": args.la} if args.la else None)
        if answer is None:
            return 1
        letters: list[dict[str, Any]] = answer["dead_letters"]
    else:
        from rollwatch.core.clickhouse import ClientPerThread
        from services.alerts.outbox import dead_letters

        letters = [found.as_dict() for found in dead_letters(ClientPerThread(settings), args.la)]
    for letter in letters:
        print(json.dumps(letter))
    print(f"{len(letters)} dead letter(s)", file=sys.stderr)
    return 0


def _redeliver(settings: Settings, args: argparse.Namespace) -> int:
    if args.url:
        answer = _call(args, "POST", f"/v1/alerts/dead-letters/{args.delivery_id}/redeliver")
        if answer is None:
            return 1
        print(json.dumps(answer))
        return 0
    from rollwatch.core.clickhouse import ClientPerThread
    from services.alerts.outbox import newest_letter

    clients = ClientPerThread(settings)
    stored = newest_letter(clients, args.delivery_id)
    if stored is None:
        print(f"rollwatch: no dead letter with delivery id {args.delivery_id}", file=sys.stderr)
        return 1
    delivered = asyncio.run(_send_again(settings, clients, stored.letter))
    print(json.dumps({**stored.as_dict(), "state": "redelivered" if delivered else "dead"}))
    return 0 if delivered else 1


async def _send_again(settings: Settings, clients: Any, letter: Any) -> bool:
    from services.alerts.delivery import Dispatcher
    from services.alerts.notify import ClickHouseDeliveryLog
    from services.alerts.outbox import ClickHousePendingStore

    dispatcher = Dispatcher.from_settings(
        settings, ClickHouseDeliveryLog(clients), ClickHousePendingStore(clients)
    )
    try:
        submission = await dispatcher.redeliver(letter)
        await dispatcher.flush()  # an email goes now, not after the digest interval
        return await submission.wait()
    finally:
        await dispatcher.close(settings.delivery_shutdown_timeout_s)


def _call(args: argparse.Namespace, method: str, path: str, **options: Any) -> dict[str, Any] | None:
    key = args.key or os.environ.get(KEY_ENV)
    if not key:
        print(f"rollwatch: --url needs an API key: --key or {KEY_ENV}", file=sys.stderr)
        return None
    try:
        response = httpx.request(
            method, f"{args.url.rstrip('/')}{path}", headers={"Authorization": f"Bearer {key}"},
            timeout=60, **options,
        )  # fmt: skip
    except httpx.TransportError as exc:
        print(f"rollwatch: cannot reach {args.url}: {exc}", file=sys.stderr)
        return None
    if response.status_code >= 300:
        print(f"rollwatch: {response.status_code} {response.text}", file=sys.stderr)
        return None
    body: dict[str, Any] = response.json()
    return body
