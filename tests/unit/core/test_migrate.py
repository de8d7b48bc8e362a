from rollwatch.migrate import Migration, available


def test_statements_split_on_line_ending_semicolons_and_skip_comments() -> None:
    sql = "-- first\nCREATE TABLE a (x String) ENGINE = Memory;\n\n-- only a comment;\nSELECT ';';\n"
    statements = Migration(1, "x", sql).statements()
    assert statements == ["-- first\nCREATE TABLE a (x String) ENGINE = Memory", "SELECT ';'"]


def test_shipped_migrations_are_numbered_in_order() -> None:
    versions = [m.version for m in available()]
    assert versions == sorted(versions)
    assert versions[0] == 1
    assert all(m.statements() for m in available())


def test_ledger_migration_never_updates_or_deletes() -> None:
    for migration in available():
        for statement in migration.statements():
            upper = statement.upper()
            assert "ALTER TABLE MOVEMENT_LEDGER DELETE" not in upper
            assert "ALTER TABLE MOVEMENT_LEDGER UPDATE" not in upper
