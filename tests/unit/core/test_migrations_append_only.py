"""The movement ledger and the access log are append-only (docs/architecture.md, "Principles"):
no migration may update, delete, truncate or drop their rows. Read from the SQL files as the
migration runner splits them."""

from __future__ import annotations

import re

import pytest

from rollwatch.core.migrate import Migration, available

APPEND_ONLY = (
    "movement_ledger",
    "access_log",
    "alert_lifecycle",
    "ledger_verifications",
    "school_roll_checks",
)

_NAME = r"(?:`?\w+`?\.)?`?(?P<table>\w+)`?"
# Statements that change or remove rows of the table they name.
_ROW_CHANGES = [
    re.compile(rf"\bDELETE\s+FROM\s+{_NAME}", re.IGNORECASE),  # lightweight delete
    re.compile(rf"\bUPDATE\s+{_NAME}\s+SET\b", re.IGNORECASE),  # lightweight update
    re.compile(rf"\bTRUNCATE\s+(?:TABLE\s+)?(?:IF\s+EXISTS\s+)?{_NAME}", re.IGNORECASE),
    re.compile(rf"\bDROP\s+(?:TABLE|VIEW)\s+(?:IF\s+EXISTS\s+)?{_NAME}", re.IGNORECASE),
    re.compile(rf"\bRENAME\s+TABLE\s+{_NAME}", re.IGNORECASE),
    re.compile(rf"\bEXCHANGE\s+TABLES\s+{_NAME}", re.IGNORECASE),
    re.compile(rf"\bEXCHANGE\s+TABLES\s+\S+\s+AND\s+{_NAME}", re.IGNORECASE),
]
_ALTER = re.compile(rf"\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?{_NAME}", re.IGNORECASE)
# What an ALTER TABLE may not do to an append-only table: mutations that rewrite or remove rows,
# and dropping or clearing a column or partition, or a TTL that would expire rows.
_ALTER_ROW_CHANGES = re.compile(
    r"\b(?:UPDATE|DELETE|DROP\s+(?:COLUMN|PARTITION|PART|DETACHED)|CLEAR\s+COLUMN|DETACH\s+PARTITION"
    r"|REPLACE\s+PARTITION|MOVE\s+PARTITION|MODIFY\s+TTL|TTL|APPLY\s+DELETED\s+MASK)\b",
    re.IGNORECASE,
)


def _code(statement: str) -> str:
    """The statement without comments and string literals, on one line."""
    lines = [line.split("--", 1)[0] for line in statement.splitlines()]
    text = re.sub(r"'(?:[^'\\]|\\.)*'", "''", " ".join(lines))
    return re.sub(r"\s+", " ", text).strip()


def row_changes(statement: str) -> list[str]:
    """The append-only tables whose rows this statement would change or remove."""
    code = _code(statement)
    found = [
        match.group("table")
        for pattern in _ROW_CHANGES
        for match in pattern.finditer(code)
        if match.group("table") in APPEND_ONLY
    ]
    alter = _ALTER.search(code)
    if alter and alter.group("table") in APPEND_ONLY and _ALTER_ROW_CHANGES.search(code[alter.end() :]):
        found.append(alter.group("table"))
    return found


@pytest.mark.parametrize("migration", available(), ids=lambda m: f"{m.version:04d}_{m.name}")
def test_no_migration_changes_or_removes_rows_of_the_ledger_or_the_access_log(migration: Migration) -> None:
    for statement in migration.statements():
        assert row_changes(statement) == [], f"{migration.version:04d}_{migration.name}: {statement}"


def test_every_migration_is_checked() -> None:
    assert {m.version for m in available()} >= {1, 2, 3, 4, 5}


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE movement_ledger DELETE WHERE upn = 'x'",
        "ALTER TABLE rollwatch.movement_ledger UPDATE event = '' WHERE 1",
        "alter table `access_log`\n    update purpose = '' where 1",
        "DELETE FROM movement_ledger WHERE 1",
        "delete from rollwatch.access_log where key_id = 'k'",
        "UPDATE movement_ledger SET event = '' WHERE 1",
        "TRUNCATE TABLE access_log",
        "EXCHANGE TABLES movement_ledger_copy AND movement_ledger",
        "DROP TABLE IF EXISTS movement_ledger",
        "ALTER TABLE movement_ledger DROP PARTITION tuple()",
        "ALTER TABLE access_log MODIFY TTL read_at + INTERVAL 1 DAY",
        "ALTER TABLE movement_ledger -- a comment\n CLEAR COLUMN event",
    ],
)
def test_the_check_catches_row_changes(statement: str) -> None:
    assert row_changes(statement) != []


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE movement_ledger ADD COLUMN IF NOT EXISTS chain_seq UInt32",
        "ALTER TABLE movement_ledger ADD PROJECTION p (SELECT * ORDER BY school_urn)",
        "ALTER TABLE movement_ledger MATERIALIZE PROJECTION p",
        "-- never DELETE FROM movement_ledger\nCREATE TABLE x (a String) ENGINE = Memory",
        "ALTER TABLE other_table DELETE WHERE 1",
        "CREATE TABLE IF NOT EXISTS access_log (read_at DateTime) ENGINE = MergeTree ORDER BY read_at",
        "SELECT 'DELETE FROM movement_ledger'",
    ],
)
def test_the_check_allows_what_keeps_rows(statement: str) -> None:
    assert row_changes(statement) == []
