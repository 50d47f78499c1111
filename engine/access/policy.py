"""`ws.access`: whether an actor may use a permission, and the one setting that widens the
matrix ("Agent can import & export customer data")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.access.matrix import AGENT_TRANSFER_SETTING, PERMISSIONS, Role, grants
from kith_errors import Forbidden
from store import settings as settings_repo

if TYPE_CHECKING:
    from engine.access.users import User  # a pydantic model: the local owner's actor needs none
    from store.db import Database


@dataclass(frozen=True)
class Actor:
    """Who is acting: a logged-in user, a user's API key, or the local owner at the CLI.
    `name` is what the audit trail, the consent log and field history record."""

    name: str
    role: Role
    user_id: int | None = None

    @classmethod
    def of(cls, user: User, *, via: str | None = None) -> Actor:
        name = user.username if via is None else f"{user.username} ({via})"
        return cls(name=name, role=user.role, user_id=user.id)


class Access:
    def __init__(self, db: Database) -> None:
        self.db = db

    def agent_transfer(self) -> bool:
        """Whether agents may import and export customer data (off unless an admin allows it)."""
        return bool(settings_repo.get(self.db, AGENT_TRANSFER_SETTING))

    def set_agent_transfer(self, allowed: bool) -> None:
        settings_repo.put(self.db, AGENT_TRANSFER_SETTING, bool(allowed))

    def allows(self, actor: Actor, permission: str) -> bool:
        transfer = actor.role == "agent" and self.agent_transfer()
        return grants(actor.role, PERMISSIONS[permission], agent_transfer=transfer)

    def check(self, actor: Actor, permission: str, action: str) -> None:
        """Forbidden (403) unless `actor` holds `permission`; `action` names what was tried."""
        if not self.allows(actor, permission):
            raise Forbidden(
                f"{actor.name} ({actor.role}) may not {action}: it needs the permission "
                f"{permission!r} ({PERMISSIONS[permission].description})",
                details={"role": actor.role, "action": action, "permission": permission},
            )
