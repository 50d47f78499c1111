"""docs/security.md, generated from the permission matrix (engine/access/matrix.py) and the REST
routes, so the document and what the engine enforces cannot drift apart (a test compares them).

Regenerate with: `.venv/bin/python -m app.security_doc > docs/security.md`
"""

from __future__ import annotations

from collections import defaultdict

from app.api import create_api
from engine.access.matrix import ACTIONS, PERMISSIONS, ROLES, Permission

_INTRO = """# Who may do what

Generated from `engine/access/matrix.py` by `python -m app.security_doc`; do not edit by hand.

Kith's users log in (dashboard: the login page; REST: the session cookie, or a `read_write` API
key that belongs to a user and acts with that user's role). Each user has one role. Every action
of every door (dashboard, REST API, CLI) runs through `ws.acting_as(actor)`, which checks the
action's permission below before it runs: a refusal is a `forbidden` error (HTTP 403) naming the
permission, and nothing changes. An action missing from the matrix is refused for everyone.
Changes are recorded under the acting user's name in the audit trail, the consent log and field
history.

The CLI acts as the file's local owner with the admin role (recorded as `--actor NAME` or
`cli:<login>`), or as a workspace user with `--as USERNAME`. Ingest-only keys feed `/v1/*` and
nothing else. "agent\\*" means agents hold the permission only while an admin has turned on
**Agent can import & export customer data** (Settings → Team).
"""


def _mark(permission: Permission, role: str) -> str:
    if role in permission.roles:
        return "yes"
    if role == "agent" and permission.agents_when_transfer_allowed:
        return "agent\\*"
    return "–"


def _roles_table() -> list[str]:
    lines = [
        "## Permissions by role",
        "",
        "| permission | what it allows | " + " | ".join(ROLES) + " |",
        "|---|---|" + "---|" * len(ROLES),
    ]
    for permission in PERMISSIONS.values():
        marks = " | ".join(_mark(permission, role) for role in ROLES)
        lines.append(f"| `{permission.name}` | {permission.description} | {marks} |")
    return lines


def _actions_table() -> list[str]:
    by_permission: dict[str, list[str]] = defaultdict(list)
    for service, actions in ACTIONS.items():
        for action, permission in actions.items():
            shown = f"set {action[:-1]}" if action.endswith("=") else action
            by_permission[permission].append(f"`{service}.{shown}`")
    lines = ["## Engine service actions", "", "| permission | actions |", "|---|---|"]
    for name in PERMISSIONS:
        lines.append(f"| `{name}` | {', '.join(sorted(by_permission[name]))} |")
    return lines


def _routes_table() -> list[str]:
    lines = ["## REST routes", "", "| method | path | permission |", "|---|---|---|"]
    for path, methods in create_api().openapi()["paths"].items():
        for method, spec in methods.items():
            needs = spec.get("x-permission")
            if needs is not None:
                lines.append(f"| {method.upper()} | `{path}` | `{needs}` |")
    lines += ["", "`/api/health` and `/api/docs` need no login; `/v1/*` takes any API key."]
    return lines


def render() -> str:
    parts = [_INTRO, *_roles_table(), "", *_actions_table(), "", *_routes_table()]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    print(render(), end="")
