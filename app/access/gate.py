"""The ASGI gate in front of the whole server. `/api/*` and `/v1/*` pass (their routes check
keys and sessions themselves); `/login`, `/logout` and `/setup` are answered here; every other
request (dashboard pages, Streamlit's websocket, static files) passes only with a valid session
cookie: a page is redirected to the login page, the websocket is closed before it opens, and
anything else gets 401."""

from __future__ import annotations

import asyncio
import hmac
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, quote

from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.access import forms
from engine import Workspace
from engine.access.logins import COOKIE, LIFETIME
from engine.access.users import User
from kith_errors import AuthError, KithError, TooManyAttempts

MAX_FORM_BYTES = 16_384
_PASS_THROUGH = ("/api/", "/v1/")
# the login pages carry no script and load nothing from elsewhere
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'",
}


class SetupLink:
    """The one-time secret of the link that creates the first admin (only while the workspace
    has no user)."""

    def __init__(self, ws: Workspace) -> None:
        self.token: str | None = secrets.token_urlsafe(32) if ws.users.count() == 0 else None

    def matches(self, token: str) -> bool:
        return self.token is not None and hmac.compare_digest(self.token, token)


def safe_next(value: str | None) -> str:
    """Where to go after logging in: a path on this server, never another site."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    return value


def _page(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers=_PAGE_HEADERS)


class Gate:
    def __init__(self, app: ASGIApp, ws: Workspace, setup: SetupLink) -> None:
        self.app = app
        self.ws = ws
        self.setup = setup
        self._routes: dict[str, Callable[[Request], Awaitable[Response]]] = {
            "/login": self._login,
            "/logout": self._logout,
            "/setup": self._setup,
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "lifespan" or path in ("/api", "/v1") or path.startswith(_PASS_THROUGH):
            await self.app(scope, receive, send)
        elif scope["type"] == "http" and path in self._routes:
            response = await self._routes[path](Request(scope, receive))
            await response(scope, receive, send)
        elif await self.session_user(HTTPConnection(scope)) is not None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": "log in first"})
        else:
            await self._refuse(scope)(scope, receive, send)

    async def session_user(self, connection: HTTPConnection) -> User | None:
        cookie = connection.cookies.get(COOKIE)
        if not cookie:
            return None
        return await asyncio.to_thread(self.ws.logins.user, cookie)

    def _refuse(self, scope: Scope) -> Response:
        if scope.get("method") in ("GET", "HEAD"):
            query = scope.get("query_string", b"").decode("latin-1")
            target = scope.get("path", "/") + (f"?{query}" if query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        return PlainTextResponse("log in first", status_code=401)

    async def _login(self, request: Request) -> Response:
        if request.method != "POST":
            return _page(forms.login_page(safe_next(request.query_params.get("next"))))
        form = await _form(request)
        next_path = safe_next(form.get("next"))
        client = request.client.host if request.client else ""
        try:
            user = await asyncio.to_thread(
                self.ws.users.authenticate,
                form.get("username", ""),
                form.get("password", ""),
                client=client,
            )
        except TooManyAttempts as err:
            return _page(forms.login_page(next_path, err.message), 429)
        except AuthError as err:
            return _page(forms.login_page(next_path, err.message), 401)
        return await self._logged_in(user, next_path)

    async def _logged_in(self, user: User, next_path: str) -> Response:
        cookie = await asyncio.to_thread(self.ws.logins.start, user)
        response = RedirectResponse(next_path, status_code=303)
        response.set_cookie(
            COOKIE,
            cookie,
            max_age=int(LIFETIME.total_seconds()),
            path="/",
            httponly=True,
            samesite="strict",
        )
        return response

    async def _logout(self, request: Request) -> Response:
        await asyncio.to_thread(self.ws.logins.end, request.cookies.get(COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return response

    async def _setup(self, request: Request) -> Response:
        if self.setup.token is None:
            return _page(forms.gone_page(), 410)
        form = await _form(request) if request.method == "POST" else {}
        token = form.get("token") or request.query_params.get("token", "")
        if not self.setup.matches(token):
            return _page(forms.gone_page(), 404)
        if request.method != "POST":
            return _page(forms.setup_page(token))
        try:
            admin = await asyncio.to_thread(self._first_admin, form)
        except KithError as err:
            return _page(forms.setup_page(token, err.message), 422)
        return await self._logged_in(admin, "/")

    def _first_admin(self, form: dict[str, str]) -> User:
        if self.ws.users.count():
            raise AuthError("the workspace already has its admin; log in instead")
        user, _ = self.ws.users.create(form.get("username", ""), "admin", form.get("password", ""))
        self.setup.token = None
        return user


async def _form(request: Request) -> dict[str, str]:
    """A small urlencoded form's fields (first value of each); an oversized body reads as empty."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return {}
    try:
        fields = parse_qs(body.decode("utf-8", errors="replace"), max_num_fields=10)
    except ValueError:  # more fields than any of our forms has
        return {}
    return {name: values[0] for name, values in fields.items()}
