"""One published pair of files (establishments and links) and what changed since the one before."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from services.schools.model import School, SchoolLink
from tools.gias_fixture.csv_format import COLUMNS, ENCODING, LINK_COLUMNS, csv_line, establishment_row


@dataclass(frozen=True)
class GiasExtract:
    """One published pair of files: establishments and links, as of `extract_date`."""

    extract_date: dt.date
    seed: int
    schools: tuple[School, ...]
    links: tuple[SchoolLink, ...]
    # URN -> (reason opened, reason closed), by GIAS name.
    reasons: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def establishments_name(self) -> str:
        return f"edubasealldata{self.extract_date:%Y%m%d}.csv"

    @property
    def links_name(self) -> str:
        return f"links_edubasealldata{self.extract_date:%Y%m%d}.csv"

    def write(self, directory: Path | str) -> tuple[Path, Path]:
        """Write both files under their published names; return (establishments, links)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        schools_path = directory / self.establishments_name
        links_path = directory / self.links_name
        self.write_establishments(schools_path)
        self.write_links(links_path)
        return schools_path, links_path

    def write_establishments(self, path: Path | str) -> Path:
        with open(path, "w", encoding=ENCODING, newline="") as out:
            out.write(csv_line(COLUMNS, COLUMNS))
            for school in self.schools:
                opened, closed = self.reasons.get(school.urn, ("Not applicable", "Not applicable"))
                out.write(csv_line(COLUMNS, establishment_row(school, self.seed, opened, closed)))
        return Path(path)

    def write_links(self, path: Path | str) -> Path:
        with open(path, "w", encoding=ENCODING, newline="") as out:
            out.write(csv_line(LINK_COLUMNS, LINK_COLUMNS))
            for link in self.links:
                date = f"{link.established_on:%d-%m-%Y}" if link.established_on else ""
                out.write(
                    csv_line(LINK_COLUMNS, (link.urn, link.link_urn, link.link_name, link.link_type, date))
                )
        return Path(path)

    def school(self, urn: str) -> School:
        for school in self.schools:
            if school.urn == urn:
                return school
        raise KeyError(urn)


@dataclass(frozen=True)
class ExtractChanges:
    """What a re-import of the next extract must report, against the extract before it."""

    added: frozenset[str]
    changed: frozenset[str]
    closed: frozenset[str]
