"""`rollwatch schools import FILE [--links LINKSFILE]`: load a Get Information About Schools
extract as a new version of the register, and report what it added, changed and closed.

The file is streamed: establishments go to ClickHouse in batches as they are read, so memory stays
flat. The new version becomes current only when every row is stored and compared (its
`schools_imports` row is the commit); a bad file stops the import with an error naming the row
and column, and the previous version stays current. Importing the same file again adds a version
identical to the last one and reports no change. Without `--links`, the links of the current
version are carried over, so an academy keeps its predecessor."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from clickhouse_connect.driver.client import Client

from services.schools.gias_csv import EstablishmentsReader, LinksReader
from services.schools.gias_file import DEFAULT_ENCODING, GiasFileError, Progress
from services.schools.model import School, SchoolLink
from services.schools.register_store import ImportRecord, RegisterDiff, RegisterStore

if TYPE_CHECKING:
    from rollwatch.core.settings import Settings

log = logging.getLogger(__name__)

BATCH_ROWS = 10_000
ProgressCallback = Callable[[str, Progress], None]


class ImportFailed(Exception):
    """The import stopped; the register is as it was (`current_version`, None if never imported).
    `attempted_version` is None when the files were refused before anything was written."""

    def __init__(self, cause: BaseException, attempted_version: int | None, current_version: int | None):
        super().__init__(str(cause))
        self.cause = cause
        self.attempted_version = attempted_version
        self.current_version = current_version


@dataclass(frozen=True)
class ImportReport:
    version: int
    previous_version: int | None
    source: Path
    sha256: str
    establishments: int
    links: int
    links_source: str  # "file", "carried over from version N" or "none"
    diff: RegisterDiff
    seconds: float
    warnings: tuple[str, ...] = field(default=())

    @property
    def added(self) -> tuple[str, ...]:
        return self.diff.added

    @property
    def changed(self) -> tuple[str, ...]:
        return self.diff.changed

    @property
    def closed(self) -> tuple[str, ...]:
        return self.diff.closed

    @property
    def removed(self) -> tuple[str, ...]:
        return self.diff.removed

    def summary(self, examples: int = 10) -> str:
        lines = [
            f"Imported {self.source.name} as register version {self.version}: "
            f"{self.establishments:,} establishments, {self.links:,} links ({self.links_source}), "
            f"in {self.seconds:.1f} s."
        ]
        d = self.diff
        if self.previous_version is None:
            lines.append(f"First import: {len(d.added):,} establishments added.")
        elif not (d.added or d.changed or d.removed or d.links_added or d.links_removed):
            lines.append(f"No change since version {self.previous_version}.")
        else:
            lines.append(
                f"Since version {self.previous_version}: {len(d.added):,} added, {len(d.changed):,} changed "
                f"({len(d.closed):,} of them closed), {len(d.removed):,} removed, {d.unchanged:,} unchanged; "
                f"links: {d.links_added:,} added, {d.links_removed:,} removed."
            )
            for label, urns in (
                ("Added", d.added),
                ("Changed", d.changed),
                ("Closed", d.closed),
                ("Removed", d.removed),
            ):
                if urns:
                    more = f" and {len(urns) - examples:,} more" if len(urns) > examples else ""
                    lines.append(f"  {label}: {', '.join(urns[:examples])}{more}")
        lines.extend(f"Warning: {w}" for w in self.warnings)
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "previous_version": self.previous_version,
            "source": str(self.source),
            "sha256": self.sha256,
            "establishments": self.establishments,
            "links": self.links,
            "links_source": self.links_source,
            "added": list(self.diff.added),
            "changed": list(self.diff.changed),
            "closed": list(self.diff.closed),
            "removed": list(self.diff.removed),
            "unchanged": self.diff.unchanged,
            "links_added": self.diff.links_added,
            "links_removed": self.diff.links_removed,
            "seconds": round(self.seconds, 3),
            "warnings": list(self.warnings),
        }


def import_register(
    client: Client,
    schools_path: Path | str,
    links_path: Path | str | None = None,
    *,
    encoding: str = DEFAULT_ENCODING,
    on_progress: ProgressCallback | None = None,
    batch_rows: int = BATCH_ROWS,
) -> ImportReport:
    """Import one GIAS extract (and optionally its links file) as a new register version.
    Blocking. Raises `ImportFailed` (its `cause` a `GiasFileError` for a bad file) and then the
    previous version is still current. The tables must exist (`rollwatch.core.migrate.migrate`)."""
    schools_path = Path(schools_path)
    links_path = Path(links_path) if links_path is not None else None
    store = RegisterStore(client)
    started_at = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    previous = store.current()
    try:  # the quick refusals, before a version is taken
        reader = EstablishmentsReader(schools_path, encoding)
        reader.check()
        links_reader = LinksReader(links_path, encoding) if links_path is not None else None
        if links_reader is not None:
            links_reader.check()
    except GiasFileError as exc:
        raise ImportFailed(exc, None, previous.version if previous else None) from exc
    version = store.next_version()
    record = ImportRecord(version, "failed", started_at, started_at, schools_path.name)
    try:
        establishments = _stream_schools(store, version, reader, on_progress, batch_rows)
        record = replace(record, source_sha256=reader.sha256, establishments=establishments)
        warnings: list[str] = []
        if links_path is not None and links_reader is not None:
            links, links_sha256, link_warnings = _stream_links(
                store, version, links_reader, reader.urns, on_progress, batch_rows
            )
            warnings.extend(link_warnings)
            warnings.extend(_date_mismatch(schools_path, links_path))
            links_source = "file"
            record = replace(record, links_file=links_path.name, links_sha256=links_sha256, links=links)
        elif previous is not None:
            store.copy_links(previous.version, version)
            links_source = f"carried over from version {previous.version}"
            record = replace(record, links_from_version=previous.version)
        else:
            links_source = "none"
        stored_schools, stored_links = store.counts(version)
        if stored_schools != establishments:
            raise RuntimeError(
                f"version {version} holds {stored_schools} establishments where {establishments} were "
                "written: was another import running at the same time? Import again."
            )
        diff = store.diff(previous.version if previous else None, version)
        if diff.removed:
            warnings.append(
                f"{len(diff.removed):,} establishments of version {previous.version if previous else 0} "
                "are not in this file, so they left the register: is this the full 'all establishments' "
                "extract?"
            )
        record = replace(
            record,
            status="completed",
            finished_at=dt.datetime.now(dt.UTC),
            previous_version=previous.version if previous else 0,
            links=stored_links,
            added=len(diff.added),
            changed=len(diff.changed),
            closed=len(diff.closed),
            removed=len(diff.removed),
        )
        store.record(record)  # the commit: from here on this version is current
    except BaseException as exc:
        error = str(exc) or type(exc).__name__
        _record_failure(store, replace(record, finished_at=dt.datetime.now(dt.UTC), error=error[:4000]))
        if isinstance(exc, Exception):
            raise ImportFailed(exc, version, previous.version if previous else None) from exc
        raise  # Ctrl-C: stop, the failure is recorded
    report = ImportReport(
        version=version,
        previous_version=previous.version if previous else None,
        source=schools_path,
        sha256=record.source_sha256,
        establishments=establishments,
        links=stored_links,
        links_source=links_source,
        diff=diff,
        seconds=time.perf_counter() - clock,
        warnings=tuple(warnings),
    )
    log.info(
        "schools register imported",
        extra={
            "version": version,
            "establishments": establishments,
            "links": stored_links,
            "added": len(diff.added),
            "changed": len(diff.changed),
            "closed": len(diff.closed),
            "removed": len(diff.removed),
            "seconds": round(report.seconds, 2),
        },
    )
    return report


def _stream_schools(
    store: RegisterStore,
    version: int,
    reader: EstablishmentsReader,
    on_progress: ProgressCallback | None,
    batch_rows: int,
) -> int:
    written = 0
    batch: list[School] = []
    for school in reader:
        batch.append(school)
        if len(batch) >= batch_rows:
            store.write_schools(version, batch)
            written += len(batch)
            batch = []
            if on_progress:
                on_progress("establishments", reader.progress)
    store.write_schools(version, batch)
    written += len(batch)
    if on_progress:
        on_progress("establishments", reader.progress)
    if written == 0:
        raise GiasFileError(reader.path, "the file has a header but no establishments", row=2)
    return written


def _stream_links(
    store: RegisterStore,
    version: int,
    reader: LinksReader,
    urns: Any,
    on_progress: ProgressCallback | None,
    batch_rows: int,
) -> tuple[int, str, list[str]]:
    seen: set[tuple[str, str, str]] = set()
    duplicates = 0
    dangling = 0
    batch: list[SchoolLink] = []
    for link in reader:
        key = (link.urn, link.link_urn, link.link_type)
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        if link.urn not in urns or link.link_urn not in urns:
            dangling += 1
        batch.append(link)
        if len(batch) >= batch_rows:
            store.write_links(version, batch)
            batch = []
            if on_progress:
                on_progress("links", reader.progress)
    store.write_links(version, batch)
    if on_progress:
        on_progress("links", reader.progress)
    warnings = []
    if duplicates:
        warnings.append(f"{duplicates:,} repeated rows of the links file were kept once")
    if dangling:
        warnings.append(
            f"{dangling:,} links name a URN that is not in the establishment file (kept; they point "
            "nowhere until a file that has it is imported)"
        )
    return len(seen), reader.sha256, warnings


_FILE_DATE = re.compile(r"(\d{8})\.csv$", re.IGNORECASE)


def _date_mismatch(schools_path: Path, links_path: Path) -> list[str]:
    a, b = _FILE_DATE.search(schools_path.name), _FILE_DATE.search(links_path.name)
    if a and b and a.group(1) != b.group(1):
        return [f"the links file is dated {b.group(1)}, the establishment file {a.group(1)}"]
    return []


def _record_failure(store: RegisterStore, record: ImportRecord) -> None:
    try:
        store.record(record)
    except Exception:  # the ledger itself may be what failed; the import already failed anyway
        log.warning("could not record the failed schools import", extra={"version": record.version})


# --- the command line -----------------------------------------------------------------------------


class StderrProgress:
    """Progress lines on stderr: rewritten in place on a terminal, one line per batch otherwise."""

    def __init__(self, stream: TextIO | None = None):
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._last: tuple[str, int, float] = ("", -1, 0.0)

    def __call__(self, stage: str, progress: Progress) -> None:
        text = f"  {stage}: {progress.rows:,} rows read ({progress.fraction:.0%})"
        if self._tty:
            end = "\n" if progress.fraction >= 1.0 else ""
            self._stream.write(f"\r{text}{end}")
        elif self._last[:2] != (stage, progress.rows) or (progress.fraction >= 1.0 > self._last[2]):
            self._stream.write(text + "\n")
        self._stream.flush()
        self._last = (stage, progress.rows, progress.fraction)


def run_import_command(
    settings: Settings,
    schools_path: Path,
    links_path: Path | None = None,
    *,
    encoding: str = DEFAULT_ENCODING,
    as_json: bool = False,
) -> int:
    """What `rollwatch schools import` does: open the ledger, apply migrations, import, report."""
    from clickhouse_connect.driver.exceptions import ClickHouseError

    from rollwatch.core.clickhouse import connect
    from rollwatch.core.migrate import migrate_for

    try:
        client = connect(settings)
        migrate_for(client, settings)
    except ClickHouseError as exc:
        where = settings.clickhouse_url and "the ClickHouse server"
        where = where or f"the embedded ledger {settings.ledger_path}"
        print(f"rollwatch: cannot open {where}: {exc}", file=sys.stderr)
        if not settings.clickhouse_url:
            print(
                "The embedded ledger can be open in one process at a time: stop `rollwatch run` "
                "(or any other rollwatch process on this data folder), import, then start it again.",
                file=sys.stderr,
            )
        return 1
    print(f"Importing {schools_path} ...", file=sys.stderr, flush=True)
    try:
        report = import_register(
            client, schools_path, links_path, encoding=encoding, on_progress=StderrProgress()
        )
    except ImportFailed as exc:
        unchanged = (
            f"the register is still version {exc.current_version}"
            if exc.current_version is not None
            else "the register is still empty"
        )
        print(f"rollwatch: schools import failed: {exc.cause}", file=sys.stderr)
        print(f"Nothing was changed: {unchanged}.", file=sys.stderr)
        return 1
    finally:
        client.close()
    if as_json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(report.summary())
    return 0
