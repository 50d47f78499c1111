"""Request bodies are capped while they stream in, before any other work (authentication and
parsing included): a body declared larger than its path's limit is answered 413 at once, unread,
and one that turns out larger (no or a false Content-Length, chunked) is cut off at the limit. Only
the API's paths are capped; the dashboard's own routes keep Streamlit's limits. gzip bodies are
capped here on their compressed size and again, after decompression, by the tracking API
(app/api/ingest.py), so no body ever costs more memory than its limit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from app.api.errors import error_response
from kith_errors import PayloadTooLarge

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

TRACKING_LIMIT = 500 * 1024  # /v1: Segment's request limit
REST_LIMIT = 1024 * 1024  # /api: JSON bodies of a few fields
LIMITS = (("/v1/", TRACKING_LIMIT), ("/api/", REST_LIMIT))


def limit_of(path: str) -> int | None:
    return next((limit for prefix, limit in LIMITS if path.startswith(prefix)), None)


def too_large(size: int, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the request body is over {size} bytes; the limit is {limit // 1024} KB",
        details={"size": size, "limit": limit},
    )


class BodyLimit:
    """ASGI middleware: the cap on every request body under LIMITS' paths."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = limit_of(scope.get("path", "")) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await _answer(send, too_large(declared, limit))
            return
        await _Capped(self.app, limit).run(scope, receive, send)


class _Capped:
    """One request whose body is counted as it arrives. Past the limit, reading fails, and
    whatever the app would answer to that failure is replaced by a 413."""

    def __init__(self, app: App, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.received = 0
        self.exceeded = False
        self.started = False

    async def run(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counted() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
                if self.received > self.limit:
                    self.exceeded = True
                    raise too_large(self.received, self.limit)
            return message

        async def guarded(message: Message) -> None:
            if self.exceeded:
                return  # the app's answer to the failed read; the 413 goes instead
            self.started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except PayloadTooLarge:
            if not self.exceeded:
                raise
        if self.exceeded and not self.started:
            await _answer(send, too_large(self.received, self.limit))


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


async def _answer(send: Send, err: PayloadTooLarge) -> None:
    response = error_response(err)
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()]
    headers.append((b"connection", b"close"))  # the rest of the body is never read
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
