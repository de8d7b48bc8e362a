"""`SchoolsRegister`: the current schools register in memory, for services that look schools up
on every event (is this URN known, which LA is it in, is it the academy that replaced that school).

Loaded from ClickHouse (the latest completed import), or built from records or GIAS files for
tests and the simulator. Lookups never block and never fail on a concurrent refresh: the register
is an immutable snapshot swapped whole by `refresh()`. URNs are the 6-digit strings events carry.

About 50,000 establishments take some 15 MB and load in about a second."""

from __future__ import annotations

import asyncio
import bisect
import datetime as dt
import logging
import sys
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from services.schools.gias_csv import read_establishments, read_links
from services.schools.gias_file import DEFAULT_ENCODING
from services.schools.model import School, SchoolLink
from services.schools.register_store import RegisterStore

if TYPE_CHECKING:
    from rollwatch.core.clickhouse import ClientPerThread
    from rollwatch.core.settings import Settings

log = logging.getLogger(__name__)

REFRESH_SECONDS = 60.0


@dataclass(frozen=True)
class _Snapshot:
    version: int | None
    imported_at: dt.datetime | None
    schools: Mapping[str, School]
    urns: tuple[str, ...]  # sorted
    by_la: Mapping[str, tuple[str, ...]]  # LA code -> sorted URNs
    la_names: Mapping[str, str]
    by_laestab: Mapping[str, str]  # LAESTAB -> URN, an open school preferred
    links: Mapping[str, tuple[SchoolLink, ...]]  # URN -> its rows of the links file
    successors: Mapping[str, tuple[str, ...]]  # direct
    predecessors: Mapping[str, tuple[str, ...]]  # direct

    @classmethod
    def build(
        cls,
        schools: Iterable[School],
        links: Iterable[SchoolLink],
        version: int | None,
        imported_at: dt.datetime | None,
    ) -> _Snapshot:
        by_urn: dict[str, School] = {}
        by_la: dict[str, list[str]] = defaultdict(list)
        la_names: dict[str, str] = {}
        by_laestab: dict[str, str] = {}
        strings: dict[str, str] = {}

        def shared(text: str) -> str:  # one copy of each repeated name, type, status...
            return strings.setdefault(text, text)

        for school in schools:
            school = replace(
                school,
                la_code=shared(school.la_code),
                la_name=shared(school.la_name),
                type_name=shared(school.type_name),
                type_group=shared(school.type_group),
                status=shared(school.status),
                phase=shared(school.phase),
            )
            by_urn[school.urn] = school
            by_la[school.la_code].append(school.urn)
            la_names.setdefault(school.la_code, school.la_name)
            laestab = school.laestab
            if laestab is not None:
                holder = by_laestab.get(laestab)
                if holder is None or (school.is_open and not by_urn[holder].is_open):
                    by_laestab[laestab] = school.urn
        grouped: dict[str, list[SchoolLink]] = defaultdict(list)
        successors: dict[str, set[str]] = defaultdict(set)
        predecessors: dict[str, set[str]] = defaultdict(set)
        for link in links:
            link = replace(link, link_type=sys.intern(link.link_type))
            grouped[link.urn].append(link)
            edge = link.edge()
            if edge is not None:
                before, after = edge
                successors[before].add(after)
                predecessors[after].add(before)
        return cls(
            version=version,
            imported_at=imported_at,
            schools=by_urn,
            urns=tuple(sorted(by_urn)),
            by_la={la: tuple(sorted(urns)) for la, urns in by_la.items()},
            la_names=la_names,
            by_laestab=by_laestab,
            links={urn: tuple(rows) for urn, rows in grouped.items()},
            successors={urn: tuple(sorted(s)) for urn, s in successors.items()},
            predecessors={urn: tuple(sorted(p)) for urn, p in predecessors.items()},
        )


class SchoolsRegister:
    """The schools register in memory. Thread-safe for lookups; `refresh()` from one thread."""

    def __init__(self, snapshot: _Snapshot | None = None, clients: ClientPerThread | None = None):
        self._snapshot = snapshot or _Snapshot.build((), (), None, None)
        self._clients = clients

    # --- building -----------------------------------------------------------------------------

    @classmethod
    def load(cls, clients: ClientPerThread) -> SchoolsRegister:
        """The current register from ClickHouse (empty before the first import). Blocking."""
        register = cls(clients=clients)
        register.refresh()
        return register

    @classmethod
    def from_records(
        cls, schools: Iterable[School], links: Iterable[SchoolLink] = (), version: int | None = None
    ) -> SchoolsRegister:
        return cls(_Snapshot.build(schools, links, version, None))

    @classmethod
    def from_gias_files(
        cls, schools_path: Path | str, links_path: Path | str | None = None, encoding: str = DEFAULT_ENCODING
    ) -> SchoolsRegister:
        """Straight from GIAS files, without ClickHouse (tests, the simulator). Raises
        `GiasFileError` for a bad file."""
        links = read_links(links_path, encoding) if links_path is not None else ()
        return cls.from_records(read_establishments(schools_path, encoding), links)

    def refresh(self) -> bool:
        """Reload from ClickHouse if a newer import completed; True when the register changed.
        Blocking; a register not built by `load` never changes."""
        if self._clients is None:
            return False
        store = RegisterStore(self._clients.get())
        current = store.current() if store.tables_exist() else None
        if current is None or current.version == self._snapshot.version:
            return False
        snapshot = _Snapshot.build(
            store.schools(current.version), store.links(current.version), current.version, current.finished_at
        )
        self._snapshot = snapshot
        log.info(
            "schools register loaded",
            extra={"version": current.version, "establishments": len(snapshot.schools)},
        )
        return True

    # --- what it is -----------------------------------------------------------------------------

    @property
    def version(self) -> int | None:
        """The import this register comes from; None when nothing was ever imported."""
        return self._snapshot.version

    @property
    def imported_at(self) -> dt.datetime | None:
        return self._snapshot.imported_at

    def __len__(self) -> int:
        return len(self._snapshot.schools)

    def __contains__(self, urn: object) -> bool:
        return urn in self._snapshot.schools

    # --- lookups ----------------------------------------------------------------------------------

    def get(self, urn: str) -> School | None:
        return self._snapshot.schools.get(urn)

    def __getitem__(self, urn: str) -> School:
        return self._snapshot.schools[urn]

    def la_of(self, urn: str) -> str | None:
        """The LA code (3 digits) of a school, None for an unknown URN."""
        school = self._snapshot.schools.get(urn)
        return school.la_code if school else None

    def la_name(self, la_code: str) -> str | None:
        return self._snapshot.la_names.get(la_code)

    def la_codes(self) -> tuple[str, ...]:
        return tuple(sorted(self._snapshot.by_la))

    def by_laestab(self, laestab: str) -> School | None:
        """The school with this DfE number (an open one when a number was reused)."""
        urn = self._snapshot.by_laestab.get(laestab)
        return self._snapshot.schools[urn] if urn else None

    def links_of(self, urn: str) -> tuple[SchoolLink, ...]:
        """Every row of the links file about this URN (its predecessors, successors and others)."""
        return self._snapshot.links.get(urn, ())

    def successors_of(self, urn: str) -> tuple[str, ...]:
        """Every school that replaced this one, directly or through later conversions or mergers,
        nearest first (an academy conversion, then the re-brokered academy, ...)."""
        return _walk(self._snapshot.successors, urn)

    def predecessors_of(self, urn: str) -> tuple[str, ...]:
        """Every school this one replaced, directly or not, nearest first."""
        return _walk(self._snapshot.predecessors, urn)

    def is_successor(self, urn: str, of: str) -> bool:
        """True when `urn` replaced `of`, directly or through a chain of links."""
        return urn != of and urn in _walk(self._snapshot.successors, of)

    def schools(
        self, la_code: str | None = None, *, after: str | None = None, limit: int | None = None
    ) -> list[School]:
        """Schools by URN order, optionally of one LA, starting after a URN (for paging)."""
        snapshot = self._snapshot
        urns = snapshot.urns if la_code is None else snapshot.by_la.get(la_code, ())
        start = bisect.bisect_right(urns, after) if after is not None else 0
        stop = len(urns) if limit is None else start + limit
        return [snapshot.schools[u] for u in urns[start:stop]]

    def count(self, la_code: str | None = None) -> int:
        if la_code is None:
            return len(self._snapshot.schools)
        return len(self._snapshot.by_la.get(la_code, ()))


def _walk(edges: Mapping[str, tuple[str, ...]], start: str) -> tuple[str, ...]:
    # Breadth first, so nearer links come first; GIAS has a few circular links, visited once.
    found: dict[str, None] = {}
    queue = deque(edges.get(start, ()))
    while queue:
        urn = queue.popleft()
        if urn == start or urn in found:
            continue
        found[urn] = None
        queue.extend(edges.get(urn, ()))
    return tuple(found)


@asynccontextmanager
async def serve_register(
    settings: Settings, refresh_seconds: float = REFRESH_SECONDS
) -> AsyncIterator[SchoolsRegister]:
    """For an app's lifespan: the register loaded from ClickHouse, refreshed in the background
    when a newer import completes."""
    from rollwatch.core.clickhouse import ClientPerThread

    clients = ClientPerThread(settings)
    refresher: asyncio.Task[None] | None = None
    try:
        register = await asyncio.to_thread(SchoolsRegister.load, clients)
        if register.version is None:
            log.warning("the schools register is empty: load it with `rollwatch schools import FILE`")
        refresher = asyncio.create_task(_keep_fresh(register, refresh_seconds))
        yield register
    finally:
        if refresher is not None:
            refresher.cancel()
            await asyncio.gather(refresher, return_exceptions=True)
        clients.close()


async def _keep_fresh(register: SchoolsRegister, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await asyncio.to_thread(register.refresh)
        except Exception:
            log.exception("could not refresh the schools register; keeping version %s", register.version)
