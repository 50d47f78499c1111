"""The dashboard's HTML page tells Streamlit's frontend where its server is.

Opened at a page's own URL (`/people`), the frontend does not know whether `/people` is a page
or the path the server is mounted under, so it probes `/people/_stcore/health` first (a 404,
logged in the browser) before it tries `/`. Kith always serves the dashboard at the root of the
server (`root_path` when behind a proxy), so the page says so before the frontend's script runs
(`window.__streamlit.BACKEND_BASE_URL`, read once when it starts) and nothing is probed."""

from __future__ import annotations

import json

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# paths that are never the dashboard's HTML page
_NOT_PAGES = ("/api", "/v1", "/_stcore", "/static", "/media", "/component", "/app/static")


class BackendAtRoot:
    """ASGI middleware: into every dashboard HTML page, a script naming the server's root."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _is_page_request(scope):
            await self.app(scope, receive, send)
            return
        # the page is small: ask for it uncompressed so the script can go into its <head>
        scope = {**scope, "headers": [h for h in scope["headers"] if h[0] != b"accept-encoding"]}
        await self.app(scope, receive, _Injecting(send, _script(scope.get("root_path", ""))))


def _is_page_request(scope: Scope) -> bool:
    path = scope.get("path", "")
    if scope["type"] != "http" or scope.get("method") != "GET":
        return False
    last = path.rsplit("/", 1)[-1]
    return not path.startswith(_NOT_PAGES) and "." not in last  # files have an extension


def _script(root_path: str) -> bytes:
    base = json.dumps(root_path.rstrip("/") + "/")
    code = f"window.__streamlit={{BACKEND_BASE_URL:window.location.origin+{base}}};"
    return f"<script>{code}</script>".encode()


class _Injecting:
    """A `send` that puts the script right after `<head>` of an HTML answer (fixing its
    length) and passes any other answer through untouched."""

    def __init__(self, send: Send, script: bytes) -> None:
        self.send, self.script = send, script
        self.start: Message | None = None
        self.body = b""

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            html = MutableHeaders(raw=message["headers"]).get("content-type", "")
            if html.startswith("text/html"):
                self.start = message
                return
        if self.start is None:
            await self.send(message)
            return
        self.body += message.get("body", b"")
        if not message.get("more_body", False):
            await self._flush()

    async def _flush(self) -> None:
        assert self.start is not None
        body = self.body.replace(b"<head>", b"<head>" + self.script, 1)
        headers = MutableHeaders(raw=list(self.start["headers"]))
        headers["content-length"] = str(len(body))
        await self.send({**self.start, "headers": headers.raw})
        await self.send({"type": "http.response.body", "body": body})
