"""`ws.acting_as(actor)`: the Workspace as one person may use it.

Every service action reached through it is looked up in the permission matrix and checked
before it runs (Forbidden otherwise, nothing changed); an action that takes an `actor` records
the person acting, and every other change is recorded in the audit trail here. The dashboard,
the REST API and the CLI all go through this facade; the server's own work (loading batches,
refreshing segments, delivering webhooks) uses the Workspace directly.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.access.matrix import ACTIONS, PERMISSIONS
from engine.access.policy import Actor
from engine.admin import audit
from kith_errors import Forbidden

if TYPE_CHECKING:
    from engine.workspace import Workspace

# actions that change nothing: no audit entry (the others under a non-view permission get one)
_READS = {name for name in PERMISSIONS if name.endswith(".view")}
_QUIET = {
    "keys.list",
    "keys.get",
    "users.list",
    "users.get",
    "users.named",
    "users.active",
    "transfer.template_csv",
    "transfer.preview_import",
    "rules.dry_run",
}
_SECRET_ARGUMENTS = ("password", "data", "secret")
_SHOWN_LENGTH = 200


class ActingWorkspace:
    """The services of `ws`, each action checked for `actor`."""

    def __init__(self, ws: Workspace, actor: Actor) -> None:
        self._ws = ws
        self.actor = actor

    @property
    def path(self) -> Path:
        return self._ws.path

    @property
    def data_version(self) -> str:
        """The workspace's data version (engine/workspace.py): reads cached under it."""
        return self._ws.data_version

    @property
    def changed_at(self) -> dt.datetime | None:
        """When the last commit ran in this process (None: none since the file was opened)."""
        return self._ws.changed_at

    def can(self, permission: str) -> bool:
        """Whether the actor holds `permission` (pages use it to show or hide actions)."""
        return self._ws.access.allows(self.actor, permission)

    def __getattr__(self, service: str) -> GuardedService:
        if service not in ACTIONS:
            raise AttributeError(f"the workspace has no service {service!r} for people")
        return GuardedService(self._ws, service, self.actor)


class GuardedService:
    """One service of the workspace as `actor` may use it."""

    def __init__(self, ws: Workspace, service: str, actor: Actor) -> None:
        object.__setattr__(self, "_ws", ws)
        object.__setattr__(self, "_service", service)
        object.__setattr__(self, "_actor", actor)

    def __getattr__(self, action: str) -> Any:
        """A property is checked when read; a method when it is called, so a page can hand it
        to an error-showing helper (`ui.attempt(ws.keys.create, ...)`) that shows the refusal."""
        service = getattr(self._ws, self._service)
        if isinstance(inspect.getattr_static(service, action, None), property):
            self._check(action)
            return getattr(service, action)
        if action not in ACTIONS[self._service]:
            self._check(action)  # refused for everyone, named now
        return self._wrap(action, getattr(service, action))

    def __setattr__(self, action: str, value: Any) -> None:
        self._check(f"{action}=")
        setattr(getattr(self._ws, self._service), action, value)
        self._audit(f"set {action}", {"value": value})

    def _check(self, action: str) -> None:
        permission = ACTIONS[self._service].get(action)
        name = f"{self._service}.{action.rstrip('=')}"
        if permission is None:
            raise Forbidden(f"{name} is not an action people may take", details={"action": name})
        self._ws.access.check(self._actor, permission, name)

    def _wrap(self, action: str, method: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(method)
        records_actor = "actor" in signature.parameters
        writes = not (
            ACTIONS[self._service][action] in _READS or f"{self._service}.{action}" in _QUIET
        )

        def acted(*args: Any, **kwargs: Any) -> Any:
            self._check(action)
            bound = signature.bind_partial(*args, **kwargs)
            if records_actor:
                bound.arguments["actor"] = self._actor.name
            result = method(*bound.args, **bound.kwargs)
            if writes and not records_actor:
                self._audit(action, dict(bound.arguments))
            return result

        acted.__doc__ = method.__doc__
        return acted

    def _audit(self, action: str, arguments: dict[str, Any]) -> None:
        shown = {name: _shown(name, value) for name, value in arguments.items()}
        audit.record(self._ws, self._actor.name, self._service, None, action, after=shown)


def _shown(name: str, value: Any) -> Any:
    """An argument as the audit trail keeps it: secrets and file contents are not kept."""
    if any(secret in name for secret in _SECRET_ARGUMENTS):
        return "(not recorded)"
    if isinstance(value, bool | int | float) or value is None:
        return value
    if callable(value):  # a progress callback: nothing to keep
        return "(a function)"
    text = str(value)
    return text if len(text) <= _SHOWN_LENGTH else f"({len(text)} characters)"
