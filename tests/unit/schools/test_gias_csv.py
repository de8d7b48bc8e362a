"""The GIAS reader: what it reads from a published-format file, and how it refuses a bad one (the
error names the row and the column)."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import pytest

from services.schools.gias_csv import (
    REQUIRED_COLUMNS,
    EstablishmentsReader,
    LinksReader,
    read_establishments,
    read_links,
)
from services.schools.gias_file import GiasFileError
from tests.support.gias import JANUARY, JANUARY_LINKS, fixture_extracts, rewrite
from tools.gias_fixture import COLUMNS


def _errors(path: Path, encoding: str = "windows-1252") -> GiasFileError:
    with pytest.raises(GiasFileError) as caught:
        list(read_establishments(path, encoding))
    return caught.value


def test_reads_every_establishment_as_the_generator_wrote_it() -> None:
    january, _ = fixture_extracts()
    assert list(read_establishments(JANUARY)) == list(january.schools)


def test_values_are_typed_and_text_is_decoded_from_windows_1252() -> None:
    schools = {s.urn: s for s in read_establishments(JANUARY)}
    names = [s.name for s in schools.values()]
    assert any("\u2019" in n for n in names)  # a curly apostrophe, byte 0x92 in Windows-1252
    assert any("'" in n for n in names)
    assert any(ch in n for n in names for ch in "éèëÉ")
    closed = [s for s in schools.values() if s.status == "Closed"]
    assert closed and all(isinstance(s.closed_on, dt.date) for s in closed)
    primary = next(s for s in schools.values() if s.phase == "Primary" and s.establishment_number)
    assert primary.laestab == primary.la_code + primary.establishment_number
    assert len(primary.laestab) == 7
    assert isinstance(primary.statutory_low_age, int)


def test_links_are_read_with_their_direction() -> None:
    links = list(read_links(JANUARY_LINKS))
    january, _ = fixture_extracts()
    assert links == list(january.links)
    conversion = next(k for k in links if k.link_type == "Successor")
    assert conversion.edge() == (conversion.urn, conversion.link_urn)
    back = next(k for k in links if k.urn == conversion.link_urn and k.link_urn == conversion.urn)
    assert back.link_type == "Predecessor" and back.edge() == conversion.edge()
    assert any(k.edge() is None for k in links)  # sixth-form centre links are neither


def test_the_reader_reports_progress_and_the_files_hash() -> None:
    import hashlib

    reader = EstablishmentsReader(JANUARY)
    count = sum(1 for _ in reader)
    assert reader.progress.rows == count == 40
    assert reader.progress.fraction == 1.0
    assert reader.sha256 == hashlib.sha256(JANUARY.read_bytes()).hexdigest()
    assert len(reader.urns) == 40


def test_missing_required_columns_are_all_named(tmp_path: Path) -> None:
    def drop(lines: list[str]) -> list[str]:
        header = lines[0].split(",")
        gone = ("LA (code)", "EstablishmentName")
        keep = [i for i, name in enumerate(header) if name.strip('"') not in gone]
        return [",".join(line.split(",")[i] for i in keep) for line in lines[:1]]

    error = _errors(rewrite(JANUARY, tmp_path / "cut.csv", drop))
    assert error.row == 1
    assert error.column == "LA (code)"
    assert "'LA (code)', 'EstablishmentName'" in str(error)
    assert "cut.csv, row 1, column 'LA (code)'" in str(error)


def test_only_the_used_columns_are_required(tmp_path: Path) -> None:
    path = tmp_path / "narrow.csv"
    path.write_bytes(
        ('"' + '","'.join(REQUIRED_COLUMNS) + '"\r\n'
         '100123,"201","City of London","3614","St Thérèse\x92s School","Community school",'
         '"Primary","Open"\r\n'
        ).encode("latin-1")
    )  # fmt: skip
    [school] = read_establishments(path)
    assert school.name == "St Thérèse\u2019s School"
    assert school.type_group == "" and school.opened_on is None and school.ukprn is None


def test_a_duplicate_urn_names_both_rows(tmp_path: Path) -> None:
    path = rewrite(JANUARY, tmp_path / "dup.csv", lambda lines: [*lines, lines[5]])
    error = _errors(path)
    urn = JANUARY.read_bytes().decode("cp1252").split("\r\n")[5].split(",")[0]
    assert (error.row, error.column) == (42, "URN")
    assert f"URN {urn} appears twice, in rows 6 and 42" in str(error)


def test_a_file_re_saved_as_utf8_is_refused_at_the_first_non_ascii_value(tmp_path: Path) -> None:
    path = tmp_path / "utf8.csv"
    path.write_bytes(JANUARY.read_bytes().decode("cp1252").encode("utf-8"))
    error = _errors(path)
    assert error.row is not None and error.row > 1
    assert error.column is not None
    assert "UTF-8" in str(error) and "--encoding utf-8" in str(error)
    # ... and read correctly when told
    assert list(read_establishments(path, "utf-8")) == list(read_establishments(JANUARY))


def test_a_utf8_byte_order_mark_is_refused_unless_utf8_was_asked_for(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + JANUARY.read_bytes().decode("cp1252").encode("utf-8"))
    error = _errors(path)
    assert error.row == 1 and "byte order mark" in str(error)
    assert len(list(read_establishments(path, "utf-8"))) == 40


def test_a_byte_windows_1252_does_not_define_is_named_with_its_row_and_column(tmp_path: Path) -> None:
    data = JANUARY.read_bytes().split(b"\r\n")
    fields = data[3].split(b",")
    fields[4] = fields[4][:-1] + b"\x81" + b'"'  # EstablishmentName
    data[3] = b",".join(fields)
    path = tmp_path / "bad-byte.csv"
    path.write_bytes(b"\r\n".join(data))
    error = _errors(path)
    assert (error.row, error.column) == (4, "EstablishmentName")
    assert "0x81" in str(error)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("URN", "12A456", "'12A456' is not 6 digits"),
        ("URN", "", "is empty"),
        ("LA (code)", "2010", "'2010' is not 3 digits"),
        ("EstablishmentNumber", "12345", "longer than 4 digits"),
        ("EstablishmentName", " ", "is empty"),
        ("OpenDate", "31-02-2020", "is not a date"),
        ("StatutoryLowAge", "three", "is not a whole number"),
        ("UKPRN", "123", "is not 8 digits"),
    ],
)
def test_a_bad_value_names_its_row_and_column(tmp_path: Path, column: str, value: str, message: str) -> None:
    def spoil(lines: list[str]) -> list[str]:
        header = [name.strip('"') for name in lines[0].split(",")]
        position = header.index(column)
        row = _split(lines[9])
        row[position] = f'"{value}"'
        return [*lines[:9], ",".join(row), *lines[10:]]

    error = _errors(rewrite(JANUARY, tmp_path / "bad.csv", spoil))
    assert (error.row, error.column) == (10, column)
    assert message in str(error)


def test_a_short_row_names_the_first_missing_column(tmp_path: Path) -> None:
    def cut(lines: list[str]) -> list[str]:
        return [*lines[:3], ",".join(_split(lines[3])[:20])]

    path = rewrite(JANUARY, tmp_path / "short.csv", cut)
    error = _errors(path)
    assert (error.row, error.column) == (4, "StatutoryHighAge")
    assert "20 fields where the header has 135" in str(error)


def test_rows_are_counted_as_file_lines_even_across_a_line_break_in_a_value(tmp_path: Path) -> None:
    def spoil(lines: list[str]) -> list[str]:
        row = _split(lines[2])
        row[COLUMNS.index("Locality")] = '"Upper\r\nTown"'  # a value over two lines
        bad = _split(lines[3])
        bad[0] = "x"
        return [lines[0], lines[1], ",".join(row), ",".join(bad), *lines[4:]]

    error = _errors(rewrite(JANUARY, tmp_path / "multiline.csv", spoil))
    assert (error.row, error.column) == (5, "URN")


def test_other_files_are_refused_with_a_reason(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert "empty" in str(_errors(empty))
    archive = tmp_path / "Results.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(JANUARY, JANUARY.name)
    assert "zip archive" in str(_errors(archive))
    assert "cannot be read" in str(_errors(tmp_path / "missing.csv"))
    assert "unknown encoding" in str(_errors(JANUARY, "klingon"))


def test_dates_as_excel_re_saves_them_are_read(tmp_path: Path) -> None:
    def excel(lines: list[str]) -> list[str]:
        return [re.sub(r'"(\d\d)-(\d\d)-(\d{4})"', r"\1/\2/\3", line) for line in lines]

    reread = list(read_establishments(rewrite(JANUARY, tmp_path / "excel.csv", excel)))
    assert [s.closed_on for s in reread] == [s.closed_on for s in read_establishments(JANUARY)]


def test_a_link_to_itself_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "links.csv"
    path.write_bytes(
        b'"URN","LinkURN","LinkName","LinkType","LinkEstablishedDate"\r\n100001,100001,"x","Successor",""\r\n'
    )
    with pytest.raises(GiasFileError) as caught:
        list(LinksReader(path))
    assert (caught.value.row, caught.value.column) == (2, "LinkURN")


def _split(line: str) -> list[str]:
    """Split a fixture line on commas outside quotes."""
    fields, current, quoted = [], "", False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            fields.append(current)
            current = ""
        else:
            current += ch
    fields.append(current)
    return fields
