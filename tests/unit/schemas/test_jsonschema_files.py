"""The checked-in JSON Schema files are exactly what the models generate."""

from __future__ import annotations

import json
from pathlib import Path

from schemas import EVENT_TYPES
from schemas.generate import OUTPUT_DIR, UNION_FILE, main, schema_documents, stale_files, write


def test_checked_in_files_are_not_stale() -> None:
    assert stale_files() == [], "run: python -m schemas.generate"
    assert main(["--check"]) == 0


def test_one_file_per_type_and_the_union() -> None:
    assert set(schema_documents()) == {f"{t}.json" for t in EVENT_TYPES} | {UNION_FILE}
    union = json.loads((OUTPUT_DIR / UNION_FILE).read_text(encoding="utf-8"))
    assert union["discriminator"]["propertyName"] == "type"
    assert set(union["discriminator"]["mapping"]) == set(EVENT_TYPES)


def test_schemas_carry_code_lists_and_forbid_extras() -> None:
    deleted = schema_documents()["pupil.deleted.json"]
    assert deleted["additionalProperties"] is False
    ground = deleted["$defs"]["DeletedData"]["properties"]["ground"]
    assert "home_education" in ground["enum"]


def test_stale_detection(tmp_path: Path) -> None:
    write(tmp_path)
    assert stale_files(tmp_path) == []
    (tmp_path / "pupil.enrolled.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "pupil.old_type.json").write_text("{}\n", encoding="utf-8")
    assert stale_files(tmp_path) == ["pupil.enrolled.json", "pupil.old_type.json"]
    write(tmp_path)
    assert stale_files(tmp_path) == []
