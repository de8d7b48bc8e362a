"""`rollwatch`: run the product, its services and its local broker."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING

from rollwatch.app.kafka_command import kafka_command
from rollwatch.app.run_command import ensure_topics, run_all, run_one
from rollwatch.core import logs
from rollwatch.core.access.keys import ROLES
from rollwatch.core.clickhouse import LedgerInUse
from rollwatch.core.kafka_acls import ROLES as KAFKA_ROLES
from rollwatch.core.kafka_connection import KafkaSettingsError
from rollwatch.core.local_kafka import (
    LocalKafkaError,
)
from rollwatch.core.settings import Settings, get_settings
from rollwatch.core.topics import TopicsMissing

if TYPE_CHECKING:
    pass

log = logging.getLogger("rollwatch")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        settings = get_settings()
    except ValueError as exc:
        print(f"rollwatch: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level, settings.log_format)
    try:
        handler: Callable[[Settings, argparse.Namespace], int] = args.handler
        return handler(settings, args)
    except (LocalKafkaError, LedgerInUse, KafkaSettingsError, TopicsMissing) as exc:
        print(f"rollwatch: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rollwatch",
        description="Rollwatch: a tamper-evident ledger of pupil moves between schools in England. "
        "Configuration comes from ROLLWATCH_* environment variables (see README).",
    )
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = sub.add_parser("run", help="everything in one process on the embedded ledger")
    run.add_argument("--no-local-kafka", action="store_true", help="never start the local broker")
    run.add_argument(
        "--demo",
        action="store_true",
        help="load a simulated LA's schools and feed a year of its events through the API (`make run`)",
    )
    run.set_defaults(handler=run_all)

    for name, helptext in (
        ("ingest", "the schools' HTTP ingest API only"),
        ("tracker", "the ledger writer and its audit read API"),
        ("alerts", "the alert rules, clocks and the alerts inbox API"),
    ):
        p = sub.add_parser(name, help=helptext + " (production: one service per process)")
        p.set_defaults(handler=run_one, component=name)
        if name == "alerts":
            from services.alerts.dead_letters_command import add_parser as add_dead_letters

            add_dead_letters(p)

    kafka = sub.add_parser("kafka", help="the local Kafka broker (KRaft), or a local cluster of several")
    kafka_sub = kafka.add_subparsers(title="actions", metavar="ACTION", required=True)
    for action, helptext in (
        ("start", "fetch if needed, start, wait until it answers, create the topics"),
        ("stop", "stop the broker (or cluster) this data folder started"),
        ("status", "print whether it runs and answers, node by node for a cluster (JSON)"),
        ("fetch", "only download the broker jars from Maven Central"),
        ("credentials", "a secured local broker's principal as ROLLWATCH_KAFKA_* export lines (for eval)"),
        ("grant", "create the topics and every principal's ACLs on the configured cluster, as its admin"),
        ("principal", "as the admin: a SCRAM principal of one's own (e.g. an integrator's) and its ACLs"),
    ):
        p = kafka_sub.add_parser(action, help=helptext)
        p.set_defaults(handler=kafka_command, action=action, brokers=None, node=None)
        if action == "start":
            p.add_argument(
                "--brokers",
                type=int,
                metavar="N",
                help="a local cluster of N combined broker+controller nodes (3: replication 3, "
                "min.insync.replicas 2); node K listens on the bootstrap port + 2(K-1)",
            )
            p.add_argument(
                "--sasl",
                action="store_true",
                help="SASL/SCRAM over TLS with ACLs, no plaintext listener (kept for this data folder)",
            )
        if action in ("start", "stop"):
            p.add_argument("--node", type=int, metavar="K", help=f"{action} only node K of the local cluster")
        if action == "credentials":
            p.add_argument("principal", help="admin, ingest, tracker, alerts, rollwatch or integrator")
        if action == "principal":
            p.add_argument("name", help="the user name, e.g. integrator-acme-mis")
            p.add_argument(
                "--role", default="integrator", choices=KAFKA_ROLES, help="its ACLs (default: integrator)"
            )
        if action == "grant":
            p.add_argument("--wait", type=float, default=120, help="seconds to wait for the broker")

    keys = sub.add_parser("keys", help="API keys: create (shown once, stored hashed), list, revoke")
    keys_sub = keys.add_subparsers(title="actions", metavar="ACTION", required=True)
    create = keys_sub.add_parser(
        "create",
        help="issue a key",
        description="Issue an API key. It is printed once and only its hash is kept. Examples: "
        "--role school --urn 100000 [--urn 100001]; --role la_officer --la 801; --role auditor.",
    )
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--urn", action="append", default=[], help="a school the key writes for (repeatable)")
    create.add_argument("--la", help="the LA code (3 digits) an officer's key reads")
    create.add_argument("--label", default="", help="who or what holds the key (no personal data)")
    create.add_argument(
        "--name", default="", help="the person who holds an officer's key, shown with their actions"
    )
    create.set_defaults(handler=_keys_create)
    keys_sub.add_parser("list", help="every key, without secrets (JSON lines)").set_defaults(
        handler=_keys_list
    )
    revoke = keys_sub.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id")
    revoke.set_defaults(handler=_keys_revoke)
    adopt = keys_sub.add_parser(
        "adopt",
        help="sign the key records written before records were signed (once, after upgrading)",
        description="Key records from before signing are ignored by every process. This lists each "
        "key that has only such records; with --yes it publishes them again signed, their hash keyed, "
        "under ROLLWATCH_SECRET_KEY. Check the list first: anyone who could write the topic could have "
        "added a record to it.",
    )
    adopt.add_argument("--yes", action="store_true", help="publish the signed records")
    adopt.set_defaults(handler=_keys_adopt)

    secrets = sub.add_parser("secrets", help="the keys derived from ROLLWATCH_SECRET_KEY")
    secrets_sub = secrets.add_subparsers(title="actions", metavar="ACTION", required=True)
    secrets_sub.add_parser(
        "fingerprint-key",
        help="print the alert fingerprint key in effect (set it as ROLLWATCH_FINGERPRINT_KEY before "
        "rotating ROLLWATCH_SECRET_KEY)",
    ).set_defaults(handler=_fingerprint_key)

    verify = sub.add_parser(
        "verify",
        help="prove the ledger, its derived tables and the audit logs unaltered; name the first break",
        description="Recompute every pupil's hash chain, check every typed column against its event, "
        "recompute the identity links and placements from the ledger, verify the sealed access log "
        "and alert lifecycle, check the latest checkpoint and every checkpoint's signature, and compare "
        "the checkpoints with their copy on the ledger-checkpoints topic (docs/architecture.md, 'Tamper "
        "evidence'). Prints a JSON report; exits 0 when everything verifies, 1 at the first break.",
    )
    verify.add_argument(
        "--no-placements", action="store_true", help="leave out the placements replay (the slowest check)"
    )
    verify.add_argument(
        "--no-topic",
        action="store_true",
        help="leave out the comparison of the checkpoints with their copy on the ledger-checkpoints topic",
    )
    verify.set_defaults(handler=_verify)

    sub.add_parser("migrate", help="apply ClickHouse migrations (idempotent)").set_defaults(handler=_migrate)

    compact = sub.add_parser(
        "compact",
        help="merge the tables a pupil's history reads into one part each (a quiet hour's job)",
        description="Merge pupil_history_rows, pupil_placements and pupil_identity_links into one "
        "part each (OPTIMIZE TABLE ... FINAL): a pupil's history then reads one part of each instead "
        "of a handful (docs/operations.md, 'Compacting the history's tables'). It rewrites each "
        "table: about 40 s of one core per 10 million ledger rows, and the table's size again free "
        "on disk while it runs (refused, naming the table, when that is not free). No row of the "
        "history or the links changes; the placements keep each pupil's latest version, as the "
        "engine's own merges do. "
        "With the embedded ledger, stop `rollwatch run` first: one process at a time can open it "
        "(and `rollwatch run` compacts it itself nightly, at ROLLWATCH_COMPACT_AT). "
        "With a ClickHouse server the trackers may go on writing.",
    )
    compact.add_argument("--json", action="store_true", help="print the result as JSON")
    compact.set_defaults(handler=_compact)

    schools = sub.add_parser("schools", help="the schools register (Get Information About Schools)")
    schools_sub = schools.add_subparsers(title="actions", metavar="ACTION", required=True)
    load = schools_sub.add_parser(
        "import",
        help="load or refresh the register from a GIAS establishment extract",
        description="Load a Get Information About Schools extract as a new version of the schools "
        "register and report what it added, changed and closed. Download 'Establishment fields CSV' "
        "(and 'Establishment links CSV') from https://get-information-schools.service.gov.uk/Downloads. "
        "A bad file is refused with the row and column at fault, and the register stays as it was. "
        "With the embedded ledger, stop `rollwatch run` first: one process at a time can open it.",
    )
    load.add_argument("file", type=Path, metavar="FILE", help="edubasealldataYYYYMMDD.csv, as published")
    load.add_argument(
        "--links",
        type=Path,
        metavar="LINKSFILE",
        help="links_edubasealldataYYYYMMDD.csv: predecessors and successors (academy conversions, "
        "mergers); without it the current links are kept",
    )
    load.add_argument(
        "--encoding",
        default="windows-1252",
        help="text encoding of the files (default: %(default)s, as published)",
    )
    load.add_argument("--json", action="store_true", help="print the full report (every URN) as JSON")
    load.set_defaults(handler=_schools_import)

    from rollwatch.app.cnis_command import add_parser as add_children_not_in_school
    from services.ingest.ctf.command import add_parser as add_import_ctf

    add_import_ctf(sub)
    add_children_not_in_school(sub)

    _add_plugin_commands(sub)
    return parser


def _add_plugin_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Commands of the tools on top of the product (`simulate`, `bench`), found through the
    `rollwatch.commands` entry points so that the product never imports them."""
    for entry in sorted(entry_points(group="rollwatch.commands"), key=lambda e: e.name):
        try:
            add_parser = entry.load()
        except ModuleNotFoundError:  # a production image ships without the tools
            continue
        add_parser(sub)


def _keys_create(settings: Settings, args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from rollwatch.core.access.keyring import publish_record
    from rollwatch.core.access.keys import new_key

    try:
        token, record = new_key(
            args.role,
            secrets=settings.secrets,
            urns=tuple(args.urn),
            la_code=args.la,
            label=args.label,
            name=args.name,
        )
    except ValidationError as exc:
        print(f"rollwatch: {exc.errors()[0]['msg'].removeprefix('Value error, ')}", file=sys.stderr)
        return 2
    unknown = _unregistered(settings, record.urns)
    if unknown:
        print(f"rollwatch: not in the schools register: {', '.join(unknown)}", file=sys.stderr)
        return 2
    ensure_topics(settings)
    publish_record(settings.kafka, settings.topics.access_keys, record, settings.secrets)
    print(
        f"key id {record.key_id} ({record.role}) created. Keep the key safe: it is shown only once.",
        file=sys.stderr,
    )
    print(token)
    return 0


def _unregistered(settings: Settings, urns: tuple[str, ...]) -> list[str]:
    """The URNs the schools register does not know. While `rollwatch run` holds the embedded
    ledger, ask it over HTTP (the schools endpoints are public register data)."""
    if not urns:
        return []
    from rollwatch.core.clickhouse import ClientPerThread
    from services.schools.register import SchoolsRegister

    try:
        register = SchoolsRegister.load(ClientPerThread(settings))
        return [urn for urn in urns if urn not in register]
    except LedgerInUse:
        import httpx

        base = f"http://{settings.http_host}:{settings.http_port}"
        return [urn for urn in urns if httpx.get(f"{base}/v1/schools/{urn}", timeout=10).status_code == 404]


def _keys_list(settings: Settings, args: argparse.Namespace) -> int:
    from rollwatch.core.access.keyring import read_records

    for record in read_records(settings.kafka, settings.topics.access_keys, settings.secrets).values():
        print(json.dumps(record.public()))
    return 0


def _keys_revoke(settings: Settings, args: argparse.Namespace) -> int:
    import datetime as dt

    from rollwatch.core.access.keyring import publish_record, read_records

    keys = read_records(settings.kafka, settings.topics.access_keys, settings.secrets)
    record = keys.get(args.key_id)
    if record is None:
        print(f"rollwatch: no key with id {args.key_id}", file=sys.stderr)
        return 1
    if not record.active:
        print(f"key {args.key_id} was already revoked")
        return 0
    revoked = record.model_copy(update={"revoked_at": dt.datetime.now(dt.UTC)})
    publish_record(settings.kafka, settings.topics.access_keys, revoked, settings.secrets)
    print(f"key {args.key_id} revoked")
    return 0


def _keys_adopt(settings: Settings, args: argparse.Namespace) -> int:
    from rollwatch.core.access.keyring import publish_record, unsigned_records
    from rollwatch.core.access.keys import keyed_hash

    bootstrap, topic = settings.kafka, settings.topics.access_keys
    found = unsigned_records(bootstrap, topic, settings.secrets)
    for record in found.values():
        print(json.dumps(record.public()))
        if args.yes:
            adopted = record.model_copy(update={"key_hash": keyed_hash(record.key_hash, settings.secrets)})
            publish_record(bootstrap, topic, adopted, settings.secrets)
    done = "signed and published again" if args.yes else "found; --yes signs and publishes them again"
    print(f"{len(found)} unsigned key record(s) {done}", file=sys.stderr)
    return 0


def _fingerprint_key(settings: Settings, args: argparse.Namespace) -> int:
    print(settings.fingerprint_secret.decode())
    return 0


def _verify(settings: Settings, args: argparse.Namespace) -> int:
    from kafka.errors import KafkaError

    from rollwatch.core.clickhouse import connect
    from services.tracker.checkpoint_topic import read_published
    from services.tracker.verification_log import verify_and_record

    published = None
    if not args.no_topic:
        try:
            published = read_published(settings.kafka, settings.topics.ledger_checkpoints)
        except KafkaError as exc:
            print(
                f"rollwatch: cannot read the ledger-checkpoints topic at {settings.kafka_bootstrap} "
                f"({type(exc).__name__}); --no-topic checks the database alone",
                file=sys.stderr,
            )
            return 2
    report, _ = verify_and_record(
        connect(settings),
        settings.secrets,
        by=None,
        via="command_line",
        placements=not args.no_placements,
        published=published,
    )
    print(json.dumps(report.as_dict(), indent=2))
    return 0 if report.ok else 1


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from rollwatch.core.clickhouse import connect
    from rollwatch.core.migrate import migrate_for

    client = connect(settings)
    applied = migrate_for(client, settings)
    print(f"{len(applied)} migration(s) applied" + "".join(f"\n  {m.version:04d} {m.name}" for m in applied))
    return 0


def _compact(settings: Settings, args: argparse.Namespace) -> int:
    from rollwatch.core.clickhouse import connect
    from services.tracker.compaction import NoRoom, compact

    def progress(line: str) -> None:
        print(line, file=sys.stderr if args.json else sys.stdout, flush=True)

    try:
        done = compact(connect(settings), settings.clickhouse_cluster, progress=progress)
    except NoRoom as exc:
        print(f"rollwatch: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([table.as_dict() for table in done], indent=2))
    return 0


def _schools_import(settings: Settings, args: argparse.Namespace) -> int:
    from services.schools.importer import run_import_command

    return run_import_command(settings, args.file, args.links, encoding=args.encoding, as_json=args.json)


if __name__ == "__main__":
    sys.exit(main())
