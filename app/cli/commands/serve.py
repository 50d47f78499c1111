"""`kith serve`: the HTTP API and the dashboard in one process."""

from __future__ import annotations

import argparse

from app.cli.common import command


def register(sub: argparse._SubParsersAction) -> None:
    parser = command(sub, "serve", _serve, acts=False, help="serve the dashboard and the HTTP API")
    parser.add_argument("--host", default="127.0.0.1", help="address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8501, help="port (default: %(default)s)")


def _serve(args: argparse.Namespace) -> None:
    from app.server import serve  # uvicorn and streamlit load only when serving

    serve(args.db, host=args.host, port=args.port)
