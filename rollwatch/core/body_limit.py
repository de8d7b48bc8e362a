"""Request bodies are held to `ROLLWATCH_MAX_BODY_BYTES` as they stream in, before any endpoint
parses them: a declared `Content-Length` over the limit is answered 413 without reading a byte,
and a body that grows past it (chunked, or longer than declared) is answered 413 as soon as it
does. No endpoint holds more than the limit in memory.

An ASGI middleware: it counts the bytes each `receive` hands the app and raises `BodyTooLarge`
(an HTTP 413) past the limit; the endpoint's error handler answers it, or this middleware does
when nothing has been sent yet."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is over {limit} bytes", {"Connection": "close"})


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(scope, receive, send, limit)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await _refuse(scope, receive, send, limit)


async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = JSONResponse(
        {"error": "body_too_large", "message": f"the body is over {limit} bytes"},
        status_code=413,
        headers={"Connection": "close"},  # the rest of the body is never read
    )
    await response(scope, receive, send)


def install(app: FastAPI, max_bytes: int) -> None:
    app.add_middleware(BodyLimit, max_bytes=max_bytes)
