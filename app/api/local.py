"""POST /api/local/cli: a `kith` command carried out by the server on its own workspace, for
the CLI on the same machine (app/local_access.py). Authenticated by the token of the access
file beside the workspace, not by an API key; left out of the OpenAPI docs."""

from __future__ import annotations

import hmac
import io
import threading
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from app.api.context import PipelineDep, WorkspaceDep
from app.local_access import NOT_THROUGH_SERVER, TOKEN_HEADER
from kith_errors import AuthError, ValidationError


async def local_token(request: Request) -> None:
    """The token of the access file, checked before anything else."""
    expected = getattr(request.app.state, "local_token", None)
    given = request.headers.get(TOKEN_HEADER, "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise AuthError("this route is for the kith command on the server's own machine")


router = APIRouter(
    prefix="/api/local", include_in_schema=False, dependencies=[Depends(local_token)]
)
# one command at a time: its output is caught by swapping the process's stdout and stderr
_ONE_AT_A_TIME = threading.Lock()


class CliRequest(BaseModel):
    argv: list[str]


@router.post("/cli")
def run_cli(body: CliRequest, ws: WorkspaceDep, pipeline: PipelineDep) -> dict[str, Any]:
    if not body.argv or body.argv[0] in NOT_THROUGH_SERVER:
        raise ValidationError(f"`kith {' '.join(body.argv[:1])}` cannot run through the server")
    from app.cli import main
    from app.cli.common import serving

    pipeline.wait_loaded(60.0)  # the command sees every message acknowledged so far
    out, err = io.StringIO(), io.StringIO()
    with _ONE_AT_A_TIME, redirect_stdout(out), redirect_stderr(err), serving(ws):
        code = _exit_code(main, body.argv)
    return {"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


def _exit_code(main: Any, argv: list[str]) -> int:
    try:
        return int(main(argv))
    except SystemExit as stop:  # argparse: bad usage or --help
        return stop.code if isinstance(stop.code, int) else 2
