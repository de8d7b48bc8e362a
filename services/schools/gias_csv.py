"""Streaming reader and validator of the files Get Information About Schools publishes: the
establishment extract (`edubasealldataYYYYMMDD.csv`, ~135 quoted columns) and its links file
(`links_edubasealldataYYYYMMDD.csv`), both Windows-1252 encoded.

Only the columns the register uses are read; the others are ignored. Reading the file itself
(encoding, header, rows, errors naming the row and the column) is `gias_file`'s."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Set
from pathlib import Path

from services.schools.gias_file import DEFAULT_ENCODING, GiasCsvFile, GiasFileError, Progress
from services.schools.model import School, SchoolLink

URN = "URN"
LA_CODE = "LA (code)"
LA_NAME = "LA (name)"
ESTABLISHMENT_NUMBER = "EstablishmentNumber"
NAME = "EstablishmentName"
TYPE = "TypeOfEstablishment (name)"
TYPE_GROUP = "EstablishmentTypeGroup (name)"
STATUS = "EstablishmentStatus (name)"
PHASE = "PhaseOfEducation (name)"
LOW_AGE = "StatutoryLowAge"
HIGH_AGE = "StatutoryHighAge"
SIXTH_FORM = "OfficialSixthForm (name)"
OPEN_DATE = "OpenDate"
CLOSE_DATE = "CloseDate"
UKPRN = "UKPRN"

# The design's minimum: a file without these is refused. The optional ones are read when present.
REQUIRED_COLUMNS = (URN, LA_CODE, LA_NAME, ESTABLISHMENT_NUMBER, NAME, TYPE, PHASE, STATUS)
OPTIONAL_COLUMNS = (TYPE_GROUP, LOW_AGE, HIGH_AGE, SIXTH_FORM, OPEN_DATE, CLOSE_DATE, UKPRN)

LINK_URN = "LinkURN"
LINK_NAME = "LinkName"
LINK_TYPE = "LinkType"
LINK_DATE = "LinkEstablishedDate"
LINK_REQUIRED_COLUMNS = (URN, LINK_URN, LINK_TYPE)
LINK_OPTIONAL_COLUMNS = (LINK_NAME, LINK_DATE)

_DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d")  # GIAS, the same re-saved by Excel, ISO
_DIGITS = re.compile(r"[0-9]+")


class _Row:
    """Typed access to one record's fields, raising errors that name the row and column."""

    __slots__ = ("_fields", "_index", "_path", "_row")

    def __init__(self, path: Path, fields: list[str], row: int, index: dict[str, int]):
        self._path = path
        self._fields = fields
        self._row = row
        self._index = index

    def error(self, column: str, message: str) -> GiasFileError:
        return GiasFileError(self._path, message, row=self._row, column=column)

    def text(self, column: str, *, required: bool = False) -> str:
        position = self._index.get(column)
        value = self._fields[position].strip() if position is not None else ""
        if required and not value:
            raise self.error(column, "is empty; every row needs a value here")
        return value

    def digits(self, column: str, length: int | None = None, *, required: bool = False) -> str | None:
        value = self.text(column, required=required)
        if not value:
            return None
        if not value.isascii() or not _DIGITS.fullmatch(value) or (length and len(value) != length):
            shape = f"{length} digits" if length else "a whole number"
            raise self.error(column, f"{value!r} is not {shape}")
        return value

    def age(self, column: str) -> int | None:
        value = self.digits(column)
        if value is None:
            return None
        age = int(value)
        if age > 99:
            raise self.error(column, f"{value!r} is not an age in years")
        return age

    def sixth_form(self, column: str) -> bool | None:
        """GIAS writes "Has a sixth form", "Does not have a sixth form" or "Not applicable"."""
        value = self.text(column).lower()
        if value.startswith("has"):
            return True
        if value.startswith("does not"):
            return False
        return None

    def date(self, column: str) -> dt.date | None:
        value = self.text(column)
        if not value:
            return None
        for fmt in _DATE_FORMATS:
            try:
                return dt.datetime.strptime(value, fmt).date()
            except ValueError:
                continue
        raise self.error(column, f"{value!r} is not a date (GIAS writes DD-MM-YYYY)")


class EstablishmentsReader:
    """Reads an establishment extract row by row: `for school in reader: ...`. Refuses duplicate
    URNs (naming both rows). `progress` tells how far it is."""

    def __init__(self, path: Path | str, encoding: str = DEFAULT_ENCODING):
        self._csv = GiasCsvFile(Path(path), encoding, REQUIRED_COLUMNS, OPTIONAL_COLUMNS)
        self._seen: dict[str, int] = {}

    @property
    def progress(self) -> Progress:
        return self._csv.progress

    @property
    def path(self) -> Path:
        return self._csv.path

    @property
    def sha256(self) -> str:
        """The file's SHA-256, once every row has been read."""
        return self._csv.sha256

    @property
    def urns(self) -> Set[str]:
        """The URNs read so far."""
        return self._seen.keys()

    def __iter__(self) -> Iterator[School]:
        self._seen.clear()
        return self._csv.records(self._school)

    def check(self) -> None:
        """Refuse at once a file that cannot be the extract (see `GiasCsvFile.check`)."""
        self._seen.clear()
        self._csv.check(self._school)

    def _school(self, fields: list[str], row_number: int, index: dict[str, int]) -> School:
        row = _Row(self._csv.path, fields, row_number, index)
        urn = row.digits(URN, 6, required=True)
        assert urn is not None
        first = self._seen.setdefault(urn, row_number)
        if first != row_number:
            raise row.error(URN, f"URN {urn} appears twice, in rows {first} and {row_number}")
        la_code = row.digits(LA_CODE, 3, required=True)
        assert la_code is not None
        number = row.digits(ESTABLISHMENT_NUMBER)
        if number is not None and len(number) > 4:
            raise row.error(ESTABLISHMENT_NUMBER, f"{number!r} is longer than 4 digits")
        school = School(
            urn=urn,
            name=row.text(NAME, required=True),
            la_code=la_code,
            la_name=row.text(LA_NAME),
            establishment_number=number.zfill(4) if number is not None else None,
            type_name=row.text(TYPE),
            type_group=row.text(TYPE_GROUP),
            status=row.text(STATUS, required=True),
            phase=row.text(PHASE),
            statutory_low_age=row.age(LOW_AGE),
            statutory_high_age=row.age(HIGH_AGE),
            opened_on=row.date(OPEN_DATE),
            closed_on=row.date(CLOSE_DATE),
            ukprn=row.digits(UKPRN, 8),
            official_sixth_form=row.sixth_form(SIXTH_FORM),
        )
        return school


class LinksReader:
    """Reads a GIAS links file row by row. Exact duplicate rows are passed on; the store keeps one."""

    def __init__(self, path: Path | str, encoding: str = DEFAULT_ENCODING):
        self._csv = GiasCsvFile(Path(path), encoding, LINK_REQUIRED_COLUMNS, LINK_OPTIONAL_COLUMNS)

    @property
    def progress(self) -> Progress:
        return self._csv.progress

    @property
    def sha256(self) -> str:
        return self._csv.sha256

    def __iter__(self) -> Iterator[SchoolLink]:
        return self._csv.records(self._link)

    def check(self) -> None:
        self._csv.check(self._link)

    def _link(self, fields: list[str], row_number: int, index: dict[str, int]) -> SchoolLink:
        row = _Row(self._csv.path, fields, row_number, index)
        urn = row.digits(URN, 6, required=True)
        link_urn = row.digits(LINK_URN, 6, required=True)
        assert urn is not None and link_urn is not None
        if urn == link_urn:
            raise row.error(LINK_URN, f"URN {urn} is linked to itself")
        return SchoolLink(
            urn=urn,
            link_urn=link_urn,
            link_type=row.text(LINK_TYPE, required=True),
            link_name=row.text(LINK_NAME),
            established_on=row.date(LINK_DATE),
        )


def read_establishments(path: Path | str, encoding: str = DEFAULT_ENCODING) -> Iterator[School]:
    return iter(EstablishmentsReader(path, encoding))


def read_links(path: Path | str, encoding: str = DEFAULT_ENCODING) -> Iterator[SchoolLink]:
    return iter(LinksReader(path, encoding))
