"""The schools register in ClickHouse (migration 0005): append-only, versioned by import.

An import writes every establishment and link under a new version number, then one row in
`schools_imports`; that row is the commit. The current register is the highest completed version,
so the rows of an import that failed half-way are never read. Nothing is updated or deleted.
Calls block: run them in a worker thread."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from clickhouse_connect.driver.client import Client

from services.schools.model import CLOSED, School, SchoolLink

SCHOOLS = "schools_register"
LINKS = "schools_links"
IMPORTS = "schools_imports"

SCHOOL_COLUMNS = [
    "version",
    "urn",
    "name",
    "la_code",
    "la_name",
    "establishment_number",
    "type_name",
    "type_group",
    "status",
    "phase",
    "statutory_low_age",
    "statutory_high_age",
    "opened_on",
    "closed_on",
    "ukprn",
    "official_sixth_form",
]
LINK_COLUMNS = ["version", "urn", "link_urn", "link_type", "link_name", "established_on"]
IMPORT_COLUMNS = [
    "version",
    "status",
    "started_at",
    "finished_at",
    "source_file",
    "source_sha256",
    "links_file",
    "links_sha256",
    "links_from_version",
    "previous_version",
    "establishments",
    "links",
    "added",
    "changed",
    "closed",
    "removed",
    "error",
]

ImportStatus = Literal["completed", "failed"]


@dataclass(frozen=True)
class ImportRecord:
    """One row of `schools_imports`: an attempt to import, and how it ended."""

    version: int
    status: ImportStatus
    started_at: dt.datetime
    finished_at: dt.datetime
    source_file: str
    source_sha256: str = ""
    links_file: str = ""
    links_sha256: str = ""
    links_from_version: int = 0
    previous_version: int = 0
    establishments: int = 0
    links: int = 0
    added: int = 0
    changed: int = 0
    closed: int = 0
    removed: int = 0
    error: str = ""

    def row(self) -> list[Any]:
        values = asdict(self)
        return [values[column] for column in IMPORT_COLUMNS]

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["started_at"] = self.started_at.isoformat()
        values["finished_at"] = self.finished_at.isoformat()
        return values


@dataclass(frozen=True)
class RegisterDiff:
    """What changed from one version to the next, by URN (sorted)."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    closed: tuple[str, ...] = ()  # open (or proposed) before, "Closed" now; also in `changed`
    removed: tuple[str, ...] = ()  # in the previous version, missing from this one
    links_added: int = 0
    links_removed: int = 0
    unchanged: int = field(default=0)


class RegisterStore:
    def __init__(self, client: Client):
        self._client = client

    def tables_exist(self) -> bool:
        answer = self._client.command(f"EXISTS TABLE {IMPORTS}")
        return str(answer).strip() == "1"

    # --- reading ------------------------------------------------------------------------------

    def current(self) -> ImportRecord | None:
        """The latest completed import, or None before the first one."""
        records = self._imports("WHERE status = 'completed' ORDER BY version DESC LIMIT 1")
        return records[0] if records else None

    def imports(self, limit: int = 20) -> list[ImportRecord]:
        """The latest import attempts, newest first, failed ones included."""
        return self._imports(f"ORDER BY version DESC, finished_at DESC LIMIT {int(limit)}")

    def _imports(self, tail: str) -> list[ImportRecord]:
        result = self._client.query(f"SELECT {', '.join(IMPORT_COLUMNS)} FROM {IMPORTS} {tail}")
        records = []
        for row in result.result_rows:
            values = dict(zip(IMPORT_COLUMNS, row, strict=True))
            for stamp in ("started_at", "finished_at"):
                if values[stamp].tzinfo is None:
                    values[stamp] = values[stamp].replace(tzinfo=dt.UTC)
            records.append(ImportRecord(**values))
        return records

    def schools(self, version: int) -> Iterator[School]:
        """Every establishment of one version, by URN."""
        query = (
            f"SELECT {', '.join(SCHOOL_COLUMNS[1:])} FROM {SCHOOLS} "
            "WHERE version = {version:UInt32} ORDER BY urn"
        )
        with self._client.query_row_block_stream(query, parameters={"version": version}) as stream:
            for block in stream:
                for row in block:
                    values = dict(zip(SCHOOL_COLUMNS[1:], row, strict=True))
                    for blank_is_none in ("establishment_number", "ukprn"):
                        values[blank_is_none] = values[blank_is_none] or None
                    yield School(**values)

    def links(self, version: int) -> Iterator[SchoolLink]:
        query = (
            f"SELECT {', '.join(LINK_COLUMNS[1:])} FROM {LINKS} "
            "WHERE version = {version:UInt32} ORDER BY urn, link_urn, link_type"
        )
        with self._client.query_row_block_stream(query, parameters={"version": version}) as stream:
            for block in stream:
                for urn, link_urn, link_type, link_name, established_on in block:
                    yield SchoolLink(urn, link_urn, link_type, link_name, established_on)

    def counts(self, version: int) -> tuple[int, int]:
        """(establishments, links) stored under a version."""
        parameters = {"version": version}
        schools = self._client.query(
            f"SELECT count() FROM {SCHOOLS} WHERE version = {{version:UInt32}}", parameters=parameters
        ).result_rows[0][0]
        links = self._client.query(
            f"SELECT count() FROM {LINKS} WHERE version = {{version:UInt32}}", parameters=parameters
        ).result_rows[0][0]
        return int(schools), int(links)

    # --- writing (the importer is the only writer) --------------------------------------------

    def next_version(self) -> int:
        """One above every version used so far, by completed or failed imports alike."""
        highest = self._client.query(
            f"SELECT greatest((SELECT max(version) FROM {IMPORTS}), (SELECT max(version) FROM {SCHOOLS}), "
            f"(SELECT max(version) FROM {LINKS}))"
        ).result_rows[0][0]
        return int(highest or 0) + 1

    def write_schools(self, version: int, schools: Sequence[School]) -> None:
        rows = [[version, *_stored(school)] for school in schools]
        if rows:
            self._client.insert(SCHOOLS, rows, column_names=SCHOOL_COLUMNS)

    def write_links(self, version: int, links: Iterable[SchoolLink]) -> None:
        rows = [[version, k.urn, k.link_urn, k.link_type, k.link_name, k.established_on] for k in links]
        if rows:
            self._client.insert(LINKS, rows, column_names=LINK_COLUMNS)

    def copy_links(self, from_version: int, to_version: int) -> None:
        """Carry the links of an earlier version over to a new one (an import without a links file)."""
        columns = ", ".join(LINK_COLUMNS[1:])
        self._client.command(
            f"INSERT INTO {LINKS} (version, {columns}) "
            f"SELECT {{to_version:UInt32}}, {columns} FROM {LINKS} WHERE version = {{from_version:UInt32}}",
            parameters={"from_version": from_version, "to_version": to_version},
        )

    def record(self, record: ImportRecord) -> None:
        self._client.insert(IMPORTS, [record.row()], column_names=IMPORT_COLUMNS)

    # --- comparing ------------------------------------------------------------------------------

    def diff(self, previous: int | None, version: int) -> RegisterDiff:
        """What `version` adds, changes, closes and drops compared with `previous` (None: nothing)."""
        if previous is None:
            added = self._urns(
                f"SELECT urn FROM {SCHOOLS} WHERE version = {{new:UInt32}} ORDER BY urn", version
            )
            links = self.counts(version)[1]
            return RegisterDiff(added=added, links_added=links)
        parameters = {"new": version, "old": previous}
        added = self._urns(
            f"SELECT urn FROM {SCHOOLS} WHERE version = {{new:UInt32}} AND urn NOT IN "
            f"(SELECT urn FROM {SCHOOLS} WHERE version = {{old:UInt32}}) ORDER BY urn",
            version,
            previous,
        )
        removed = self._urns(
            f"SELECT urn FROM {SCHOOLS} WHERE version = {{old:UInt32}} AND urn NOT IN "
            f"(SELECT urn FROM {SCHOOLS} WHERE version = {{new:UInt32}}) ORDER BY urn",
            version,
            previous,
        )
        result = self._client.query(
            "SELECT n.urn, n.status, o.status, n.row_hash = o.row_hash "
            f"FROM (SELECT urn, status, row_hash FROM {SCHOOLS} WHERE version = {{new:UInt32}}) AS n "
            f"INNER JOIN (SELECT urn, status, row_hash FROM {SCHOOLS} WHERE version = {{old:UInt32}}) AS o "
            "ON n.urn = o.urn ORDER BY n.urn",
            parameters=parameters,
        )
        changed: list[str] = []
        closed: list[str] = []
        unchanged = 0
        for urn, status, old_status, same in result.result_rows:
            if same:
                unchanged += 1
                continue
            changed.append(urn)
            if status == CLOSED and old_status != CLOSED:
                closed.append(urn)
        key = "(urn, link_urn, link_type, link_name, established_on)"
        links_added, links_removed = self._client.query(
            f"SELECT (SELECT count() FROM {LINKS} WHERE version = {{new:UInt32}} AND {key} NOT IN "
            f"(SELECT {key[1:-1]} FROM {LINKS} WHERE version = {{old:UInt32}})), "
            f"(SELECT count() FROM {LINKS} WHERE version = {{old:UInt32}} AND {key} NOT IN "
            f"(SELECT {key[1:-1]} FROM {LINKS} WHERE version = {{new:UInt32}}))",
            parameters=parameters,
            settings={"transform_null_in": 1},  # a link without a date equals itself
        ).result_rows[0]
        return RegisterDiff(
            added=added,
            changed=tuple(changed),
            closed=tuple(closed),
            removed=removed,
            links_added=int(links_added),
            links_removed=int(links_removed),
            unchanged=unchanged,
        )

    def _urns(self, query: str, new: int, old: int | None = None) -> tuple[str, ...]:
        parameters = {"new": new} if old is None else {"new": new, "old": old}
        return tuple(row[0] for row in self._client.query(query, parameters=parameters).result_rows)


def _stored(school: School) -> list[Any]:
    """The school's values in `SCHOOL_COLUMNS` order after `version` (no value: '')."""
    values = asdict(school)
    for blank_when_none in ("establishment_number", "ukprn"):
        values[blank_when_none] = values[blank_when_none] or ""
    return [values[column] for column in SCHOOL_COLUMNS[1:]]
