"""The stream framework's own ceiling, beside the tracker figure: a Faust agent built like the
tracker's (`rollwatch.core.streams.build_stream_app`, `take_events` with the tracker's batch settings)
that does nothing with the events. `python -m tools.bench.faust_floor TOPIC COUNT OUT` with
the product's `ROLLWATCH_*` settings; writes {"events", "seconds"} as JSON to OUT and exits.

The tracker cannot be faster than this, so tracker / floor says how much of the gap to the bare
consumer is the tracker's own work and how much is Faust's per-event machinery."""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any


def main(argv: list[str]) -> int:
    topic_name, count, out = argv[0], int(argv[1]), Path(argv[2])
    import faust

    from rollwatch.core.settings import get_settings
    from rollwatch.core.streams import build_stream_app

    settings = get_settings()
    app = build_stream_app(settings, service=f"benchfloor{uuid.uuid4().hex[:6]}")
    topic = app.topic(topic_name, key_serializer="raw", value_serializer="raw")
    seen = {"events": 0, "first": 0.0, "first_batch": 0}

    async def floor(stream: Any) -> None:
        async for events in stream.take_events(settings.tracker_batch_size, settings.tracker_batch_seconds):
            if not seen["events"]:
                seen["first"] = time.perf_counter()
                seen["first_batch"] = len(events)
            seen["events"] += len(events)
            if seen["events"] >= count:
                # Like the tracker figure: from the first batch handed over to the last.
                result = {
                    "events": count - seen["first_batch"],
                    "seconds": time.perf_counter() - seen["first"],
                }
                out.write_text(json.dumps(result))
                os._exit(0)  # a throwaway consumer group: nothing to leave cleanly

    app.agent(topic, name="floor")(floor)
    worker = faust.Worker(app, loglevel="WARNING", quiet=True)
    worker.execute_from_commandline()
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
