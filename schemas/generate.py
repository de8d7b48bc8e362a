"""Write the JSON Schema files of the event contract into schemas/jsonschema/, generated from the
pydantic models: one file per event type (`pupil.enrolled.json`, ...) and `events.json` for the
union discriminated on `type`.

    python -m schemas.generate          # (re)write the files
    python -m schemas.generate --check  # exit 1 when a checked-in file is stale

A unit test runs the check, so a model change without regenerated files fails the suite."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from schemas.envelope import SCHEMA_VERSION
from schemas.events import EVENT_MODELS, Event

OUTPUT_DIR = Path(__file__).resolve().parent / "jsonschema"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
UNION_FILE = "events.json"


def _finish(schema: dict[str, Any], title: str, description: str) -> dict[str, Any]:
    return {
        "$schema": DIALECT,
        "title": title,
        "description": description,
        "x-schema-version": SCHEMA_VERSION,
        **{key: value for key, value in schema.items() if key not in ("title", "description")},
    }


def schema_documents() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema document."""
    documents = {
        f"{event_type}.json": _finish(
            model.model_json_schema(),
            event_type,
            f"A Rollwatch '{event_type}' event, schema_version {SCHEMA_VERSION}.",
        )
        for event_type, model in EVENT_MODELS.items()
    }
    documents[UNION_FILE] = _finish(
        TypeAdapter(Event).json_schema(),
        "Rollwatch event",
        f"Any Rollwatch event of schema_version {SCHEMA_VERSION}, discriminated on `type`.",
    )
    return documents


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def stale_files(directory: Path = OUTPUT_DIR) -> list[str]:
    """Files that are missing, different, or no longer generated."""
    expected = {name: render(doc) for name, doc in schema_documents().items()}
    stale = [
        name
        for name, text in expected.items()
        if not (directory / name).is_file() or (directory / name).read_text(encoding="utf-8") != text
    ]
    present = {path.name for path in directory.glob("*.json")} if directory.is_dir() else set()
    stale.extend(sorted(present - expected.keys()))
    return stale


def write(directory: Path = OUTPUT_DIR) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    documents = schema_documents()
    for path in directory.glob("*.json"):
        if path.name not in documents:
            path.unlink()
    for name, document in documents.items():
        (directory / name).write_text(render(document), encoding="utf-8")
    return sorted(documents)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m schemas.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale files (exit 1 if any)")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        for name in stale:
            print(f"stale: schemas/jsonschema/{name} (run: python -m schemas.generate)", file=sys.stderr)
        return 1 if stale else 0
    for name in write():
        print(f"wrote schemas/jsonschema/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
