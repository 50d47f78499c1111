"""The API's documentation page at /api/docs: plain HTML rendered on the server from the OpenAPI
document (no script, nothing loaded from a CDN, so it works offline). The machine-readable
document stays at /api/openapi.json."""

from __future__ import annotations

import json
from html import escape
from typing import Any

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#1f2430}pre{background:#f6f7f9;padding:.8rem;overflow-x:auto;white-space:pre-wrap}
.op{border-top:1px solid #dde;padding:.6rem 0}.method{font-weight:700;display:inline-block;
width:4.5rem}.perm{color:#5c6370;font-size:.9rem}code{background:#f0f1f4;padding:0 .2rem}
"""


def render(openapi: dict[str, Any]) -> str:
    info = openapi.get("info", {})
    operations = "".join(
        _operation(method, path, spec)
        for path, methods in openapi.get("paths", {}).items()
        for method, spec in methods.items()
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(info.get('title', 'API'))} API</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(info.get('title', 'API'))} API {escape(info.get('version', ''))}</h1>"
        f"<pre>{escape(info.get('description', ''))}</pre>"
        '<p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a></p>'
        f"<h2>Operations</h2>{operations}</body></html>"
    )


def _operation(method: str, path: str, spec: dict[str, Any]) -> str:
    permission = spec.get("x-permission")
    needs = f'<div class="perm">permission: <code>{escape(permission or "")}</code></div>'
    parameters = [
        f"<code>{escape(p['name'])}</code> ({escape(p.get('in', ''))})"
        for p in spec.get("parameters", [])
    ]
    body = spec.get("requestBody", {}).get("content", {}).get("application/json", {})
    return (
        f'<div class="op"><span class="method">{escape(method.upper())}</span>'
        f"<code>{escape(path)}</code> {escape(spec.get('summary', ''))}"
        f"{needs if permission else ''}"
        f"<p>{escape(spec.get('description', ''))}</p>"
        + (f"<p>parameters: {', '.join(parameters)}</p>" if parameters else "")
        + (f"<pre>{escape(json.dumps(body.get('schema', {}), indent=1))}</pre>" if body else "")
        + "</div>"
    )
