"""Hold and retry: run a blocking ClickHouse call in a service's own thread, retrying with backoff
until it succeeds. A ledger outage (a full disk, a server restart) then holds the stream rather
than losing or dead-lettering what was read: the source offsets are committed only after the
call returns, so nothing is acknowledged that was not written."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TypeVar

log = logging.getLogger(__name__)

_R = TypeVar("_R")
FIRST_DELAY_S = 0.2
MAX_DELAY_S = 10.0
_CODE = re.compile(r"Code: (\d+)")


async def until_done(
    executor: Executor,
    call: Callable[[], _R],
    what: str,
    on_result: Callable[[bool], None] = lambda ok: None,
) -> _R:
    """`call()` in `executor`, again after each failure (0.2 s, doubling to 10 s) until it returns.
    `on_result` hears each outcome (for a health flag or a failure counter). Cancelled mid-call,
    it waits for the thread to finish first, so the caller's clients close cleanly."""
    loop = asyncio.get_running_loop()
    delay = FIRST_DELAY_S
    while True:
        future = loop.run_in_executor(executor, call)
        try:
            result = await asyncio.shield(future)
        except asyncio.CancelledError:
            await asyncio.wait([future])
            raise
        except Exception as exc:
            on_result(False)
            # The error's text can quote a row: only its type and ClickHouse's error code are logged.
            code = _CODE.search(str(exc))
            log.error(
                "write failed; retrying",
                extra={
                    "call": what,
                    "error_type": type(exc).__name__,
                    "clickhouse_code": int(code.group(1)) if code else None,
                    "retry_in_s": delay,
                },
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_DELAY_S)
        else:
            on_result(True)
            return result
