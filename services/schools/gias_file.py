"""One GIAS CSV file read safely: the encoding (Windows-1252 as GIAS publishes it), the quick
refusals of other formats, the header's columns, then the records with the row each starts on,
the file's SHA-256 and how far the reading is.

Rows are read one at a time, so memory stays flat whatever the file's size. Every problem is a
`GiasFileError` naming the row (the line of the file the record starts on; the header is row 1, as
in a spreadsheet) and the column."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

DEFAULT_ENCODING = "windows-1252"

_SINGLE_BYTE = {"cp1252", "iso8859-1", "iso8859-15"}


class GiasFileError(ValueError):
    """A file the register refuses, with where and why."""

    def __init__(self, path: Path, message: str, *, row: int | None = None, column: str | None = None):
        self.path = path
        self.row = row
        self.column = column
        self.message = message
        where = [path.name]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        super().__init__(f"{', '.join(where)}: {message}")


@dataclass
class Progress:
    """How far a reader is: records so far and bytes of the file consumed."""

    rows: int = 0
    bytes_read: int = 0
    total_bytes: int = 0

    @property
    def fraction(self) -> float:
        return min(1.0, self.bytes_read / self.total_bytes) if self.total_bytes else 1.0


T = TypeVar("T")


class GiasCsvFile:
    """The shared machinery: encoding, header, records with the row they start on."""

    def __init__(self, path: Path, encoding: str, required: tuple[str, ...], optional: tuple[str, ...]):
        self.path = Path(path)
        try:
            self.encoding = codecs.lookup(encoding).name
        except LookupError:
            raise GiasFileError(self.path, f"unknown encoding {encoding!r}") from None
        self._required = required
        self._optional = optional
        self.progress = Progress()
        self.sha256 = ""  # of the whole file, once it has been read to the end

    def check(self, convert: Callable[[list[str], int, dict[str, int]], Any]) -> None:
        """Read the header and the first record only: the quick refusals (no such file, a zip, a
        UTF-8 file, missing columns) before anything is written anywhere."""
        records = self.records(convert)
        try:
            next(records, None)
        finally:
            records.close()

    def records(self, convert: Callable[[list[str], int, dict[str, int]], T]) -> Generator[T, None, None]:
        self.progress = Progress()
        try:
            raw = _HashingFile(self.path)
        except OSError as exc:
            raise GiasFileError(self.path, f"cannot be read: {exc.strerror or exc}") from None
        with raw:
            self.progress.total_bytes = raw.size
            buffered = io.BufferedReader(raw, buffer_size=1 << 20)
            self._refuse_other_formats(buffered)
            text = io.TextIOWrapper(buffered, encoding=self.encoding, errors="surrogateescape", newline="")
            lines = _Lines(text)
            reader = csv.reader(lines, strict=True)
            columns = self._header(reader)
            width = len(columns.names)
            while True:
                row_number = reader.line_num + 1
                try:
                    fields = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    raise GiasFileError(self.path, f"not valid CSV: {exc}", row=row_number) from None
                if not fields:
                    continue  # a blank line
                if lines.non_ascii:
                    self._check_encoding(fields, columns.names, row_number)
                    lines.non_ascii = False
                if len(fields) != width:
                    raise self._width_error(fields, columns.names, row_number)
                self.progress.rows += 1
                if self.progress.rows % 1024 == 0:
                    self.progress.bytes_read = raw.tell()
                yield convert(fields, row_number, columns.index)
            self.progress.bytes_read = self.progress.total_bytes
            self.sha256 = raw.hexdigest()

    def _width_error(self, fields: list[str], names: list[str], row: int) -> GiasFileError:
        if len(fields) < len(names):
            return GiasFileError(
                self.path,
                f"the row has {len(fields)} fields where the header has {len(names)}: "
                "values are missing from this column on",
                row=row,
                column=names[len(fields)],
            )
        return GiasFileError(
            self.path,
            f"the row has {len(fields)} fields where the header has {len(names)}: "
            f"{len(fields) - len(names)} value(s) after the last column '{names[-1]}'",
            row=row,
        )

    def _refuse_other_formats(self, buffered: io.BufferedReader[Any]) -> None:
        start = buffered.peek(4)[:4]
        if not start:
            raise GiasFileError(self.path, "the file is empty: expected a header row of column names")
        if start.startswith(b"PK\x03\x04"):
            raise GiasFileError(self.path, "this is a zip archive: extract the CSV file from it first")
        if start.startswith(codecs.BOM_UTF8) and self.encoding not in ("utf-8-sig",):
            if self.encoding == "utf-8":
                buffered.read(3)  # tolerate the mark when UTF-8 was asked for
                return
            raise GiasFileError(
                self.path,
                f"the file is UTF-8 encoded (it starts with a UTF-8 byte order mark), not "
                f"{_label(self.encoding)} as GIAS publishes it; if it was re-saved as UTF-8 on "
                "purpose, import it with --encoding utf-8",
                row=1,
            )

    def _header(self, reader: Any) -> _Columns:
        try:
            names = [name.strip() for name in next(reader)]
        except StopIteration:
            raise GiasFileError(
                self.path, "the file is empty: expected a header row of column names"
            ) from None
        except csv.Error as exc:
            raise GiasFileError(self.path, f"the header row is not valid CSV: {exc}", row=1) from None
        for name in names:
            if not name.isascii():
                self._check_encoding([name], [name], 1)
        index: dict[str, int] = {}
        for position, name in enumerate(names):
            index.setdefault(name, position)
        missing = [name for name in self._required if name not in index]
        if missing:
            listed = ", ".join(f"'{m}'" for m in missing)
            raise GiasFileError(
                self.path,
                f"required column{'s' if len(missing) > 1 else ''} {listed} missing from the header "
                f"(the file has {len(names)} columns; the register needs "
                f"{', '.join(repr(r) for r in self._required)})",
                row=1,
                column=missing[0],
            )
        wanted = {name: index[name] for name in (*self._required, *self._optional) if name in index}
        return _Columns(names, wanted)

    def _check_encoding(self, fields: list[str], names: list[str], row: int) -> None:
        for position, value in enumerate(fields):
            if value.isascii():
                continue
            column = names[position] if position < len(names) else f"#{position + 1}"
            bad = next((ch for ch in value if "\udc80" <= ch <= "\udcff"), None)
            if bad is not None:
                byte = ord(bad) - 0xDC00
                raise GiasFileError(
                    self.path,
                    f"byte 0x{byte:02X} is not valid {_label(self.encoding)} text; is the file in "
                    "another encoding? (GIAS publishes Windows-1252; use --encoding to read another)",
                    row=row,
                    column=column,
                )
            if self.encoding in _SINGLE_BYTE and _looks_like_utf8(value, self.encoding):
                raise GiasFileError(
                    self.path,
                    f"{value!r} looks like UTF-8 text read as {_label(self.encoding)}: the file seems "
                    "to have been re-saved as UTF-8; import it with --encoding utf-8",
                    row=row,
                    column=column,
                )


class _HashingFile(io.RawIOBase):
    """The file's bytes, hashed (SHA-256) as they are read, so the import can record exactly which
    file it loaded without reading it twice."""

    def __init__(self, path: Path):
        self._file = open(path, "rb", buffering=0)  # noqa: SIM115 (closed by close())
        self._hash = hashlib.sha256()
        self.size = os.fstat(self._file.fileno()).st_size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._file.readinto(buffer)
        if count:
            self._hash.update(memoryview(buffer)[:count])
        return count or 0

    def tell(self) -> int:
        return self._file.tell()

    def close(self) -> None:
        self._file.close()
        super().close()

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


@dataclass(frozen=True)
class _Columns:
    names: list[str]
    index: dict[str, int]


class _Lines:
    """Feeds the csv reader line by line and notes when a line held anything but ASCII, so the
    encoding checks run only on the rows that can need them."""

    def __init__(self, text: IO[str]):
        self._text = text
        self.non_ascii = False

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self._text)
        if not line.isascii():
            self.non_ascii = True
        return line


def _label(encoding: str) -> str:
    return {"cp1252": "Windows-1252", "iso8859-1": "Latin-1", "utf-8": "UTF-8"}.get(encoding, encoding)


def _looks_like_utf8(value: str, encoding: str) -> bool:
    try:
        decoded = value.encode(encoding).decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False
    return decoded != value
