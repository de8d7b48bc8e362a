"""`rollwatch schools import` as a user runs it: its own process, its own embedded ledger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import rollwatch
from tests.support.gias import FEBRUARY, FEBRUARY_LINKS, JANUARY, JANUARY_LINKS, fixture_extracts, rewrite
from tools.gias_fixture import next_extract

pytestmark = pytest.mark.clickhouse


def test_import_then_the_next_month_then_the_same_again(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    first = rollwatch("schools", "import", str(JANUARY), "--links", str(JANUARY_LINKS), data_dir=data)
    assert first.returncode == 0, first.stderr
    assert "as register version 1: 40 establishments" in first.stdout
    assert "First import: 40 establishments added." in first.stdout
    assert "establishments: 40 rows read (100%)" in first.stderr  # progress goes to stderr

    second = rollwatch(
        "schools", "import", str(FEBRUARY), "--links", str(FEBRUARY_LINKS), "--json", data_dir=data
    )
    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    _, expected = next_extract(fixture_extracts()[0], step_seed=1)
    assert (report["version"], report["previous_version"]) == (2, 1)
    assert set(report["added"]) == expected.added
    assert set(report["changed"]) == expected.changed
    assert set(report["closed"]) == expected.closed

    third = rollwatch("schools", "import", str(FEBRUARY), data_dir=data)
    assert third.returncode == 0, third.stderr
    assert "No change since version 2." in third.stdout
    assert "carried over from version 2" in third.stdout


def test_a_bad_file_fails_with_the_row_and_column_and_changes_nothing(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    assert rollwatch("schools", "import", str(JANUARY), data_dir=data).returncode == 0
    utf8 = tmp_path / "edubasealldata20250203.csv"
    utf8.write_bytes(FEBRUARY.read_bytes().decode("cp1252").encode("utf-8"))
    failed = rollwatch("schools", "import", str(utf8), data_dir=data)
    assert failed.returncode == 1
    assert "schools import failed: edubasealldata20250203.csv, row " in failed.stderr
    assert ", column '" in failed.stderr and "--encoding utf-8" in failed.stderr
    assert "Nothing was changed: the register is still version 1." in failed.stderr
    assert failed.stdout == ""

    renamed = rewrite(JANUARY, tmp_path / "no-urn.csv", lambda lines: [lines[0].replace('"URN"', '"Urn"')])
    missing = rollwatch("schools", "import", str(renamed), data_dir=data)
    assert missing.returncode == 1
    assert "row 1, column 'URN': required column 'URN' missing" in missing.stderr

    fixed = rollwatch("schools", "import", str(utf8), "--encoding", "utf-8", data_dir=data)
    assert fixed.returncode == 0, fixed.stderr
    assert "Since version 1:" in fixed.stdout


def test_help_explains_the_command() -> None:
    result = rollwatch("schools", "import", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    expected = ("FILE", "--links LINKSFILE", "--encoding", "Get Information About Schools", "rollwatch run")
    for words in expected:
        assert words in text
