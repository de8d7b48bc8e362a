from rollwatch.core.migrate import Migration, available


def test_statements_split_on_line_ending_semicolons_and_skip_comments() -> None:
    sql = "-- first\nCREATE TABLE a (x String) ENGINE = Memory;\n\n-- only a comment;\nSELECT ';';\n"
    statements = Migration(1, "x", sql).statements()
    assert statements == ["-- first\nCREATE TABLE a (x String) ENGINE = Memory", "SELECT ';'"]


def test_shipped_migrations_are_numbered_in_order() -> None:
    versions = [m.version for m in available()]
    assert versions == sorted(versions)
    assert versions[0] == 1
    assert all(m.statements() for m in available())
