"""Every error the API sends has one shape: {"error": {"code", "message", "details"}}, built
from `KithError.to_dict()`, with the HTTP status chosen by the error's class."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kith_errors import (
    AuthError,
    BadRequest,
    Conflict,
    DslError,
    Forbidden,
    JournalFailed,
    KithError,
    NotFound,
    PayloadTooLarge,
    QueueClosed,
    QueueFull,
    ValidationError,
    validation_message,
)

log = logging.getLogger("kith.api")


# most specific first: the first class the error is an instance of decides the status
_STATUS: tuple[tuple[type[KithError], int], ...] = (
    (Forbidden, 403),
    (AuthError, 401),
    (NotFound, 404),
    (Conflict, 409),
    (PayloadTooLarge, 413),
    (BadRequest, 400),
    (DslError, 422),
    (ValidationError, 422),
    (QueueFull, 429),
    (QueueClosed, 503),
    (JournalFailed, 503),
)


def status_of(err: KithError) -> int:
    return next((status for kind, status in _STATUS if isinstance(err, kind)), 500)


def error_response(err: KithError) -> JSONResponse:
    status = status_of(err)
    headers = {"WWW-Authenticate": 'Basic realm="kith"'} if status == 401 else {}
    if status in (429, 503):
        headers["Retry-After"] = "1"
    return JSONResponse({"error": err.to_dict()}, status_code=status, headers=headers)


async def _kith_error(_: Request, err: KithError) -> JSONResponse:
    if status_of(err) == 500:  # the server's own failure: its text (maybe SQL) stays in the log
        log.error("server-side error: %s %s", err, err.details)
        hidden = {"code": err.code, "message": SERVER_FAULT, "details": {}}
        return JSONResponse({"error": hidden}, status_code=500)
    return error_response(err)


SERVER_FAULT = "the server could not complete the request; the reason is in the server's log"


async def _invalid_request(_: Request, err: RequestValidationError) -> JSONResponse:
    problems = [_problem(e) for e in err.errors()]
    first = problems[0] if problems else {"where": "request", "message": "invalid"}
    message = f"invalid request: {first['where']}: {first['message']}"
    return error_response(ValidationError(message, details={"problems": problems}))


def _problem(error: Any) -> dict[str, str]:
    where = ".".join(str(part) for part in error.get("loc", ()))
    return {"where": where, "message": validation_message(error)}


async def _http_error(_: Request, err: StarletteHTTPException) -> JSONResponse:
    code = {404: "not_found", 405: "method_not_allowed"}.get(err.status_code, "http_error")
    body = {"code": code, "message": str(err.detail), "details": {}}
    return JSONResponse({"error": body}, status_code=err.status_code, headers=err.headers)


async def _unexpected(_: Request, err: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=err)
    body = {"code": "internal_error", "message": "unexpected server error", "details": {}}
    return JSONResponse({"error": body}, status_code=500)


def install(app: FastAPI) -> None:
    # Starlette calls each handler only with its own class; its annotation says any Exception.
    app.add_exception_handler(KithError, _kith_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
