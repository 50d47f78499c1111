"""GDPR: erasure ("right to be forgotten") and access requests (export everything held).

Erasure removes the profile, every profile merged into it, and every row tied to them in any
table with a `profile_id` column (found from the schema, so tables added later are covered),
plus merge snapshots, audit entries with their before/after values, and identity-resolution
log lines quoting their identity values. One audit record stays, saying who erased which id
and how many rows went, with no personal data."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from engine import audit
from kith_errors import NotFound
from store import audit as audit_repo
from store import merge as merge_repo
from store import privacy as repo
from store import profiles as profile_repo

if TYPE_CHECKING:
    from engine.workspace import Workspace


_JSON_FIELDS = {"properties", "context", "before", "after"}


def _delete_for(table: str) -> exp.Expression:
    ids = exp.select(exp.Unnest(expressions=[exp.Placeholder(this="ids")]))
    where = exp.In(this=exp.column("profile_id"), query=exp.Subquery(this=ids))
    return exp.delete(table, where=where, returning="profile_id")


class Privacy:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def erase(self, profile_id: int, *, actor: str) -> dict[str, int]:
        """Remove everything held about a person; returns rows removed per table."""
        db = self.ws.db
        with db.transaction():
            self._exists(profile_id)
            ids = [profile_id, *merge_repo.merged_into(db, profile_id)]
            repo.scrub_identity_log(db, repo.identity_values(db, ids))
            removed = {t: self._delete(t, ids) for t in repo.tables_with_profile_id(db)}
            repo.delete_merges(db, ids)
            audit_repo.delete_for(db, "profile", [str(i) for i in ids])
            removed["profiles"] = repo.delete_profiles(db, ids)
            audit.record(self.ws, actor, "profile", profile_id, "erase", after=removed)
        return removed

    def _delete(self, table: str, ids: list[int]) -> int:
        return len(self.ws.db.rows(_delete_for(table), {"ids": ids}))

    def _exists(self, profile_id: int) -> None:
        if profile_repo.row_json(self.ws.db, profile_id) is None:
            raise NotFound(f"profile {profile_id} does not exist", details={"id": profile_id})

    def export(self, profile_id: int) -> dict[str, Any]:
        """Everything held about a person, as plain JSON-ready data, for an access request."""
        profile = self.ws.profiles.get(profile_id)
        sections = repo.export(self.ws.db, profile_id)
        data = {"profile": profile.model_dump(exclude={"identities", "labels"}), **sections}
        for rows in sections.values():
            for row in rows:
                row.update({k: json.loads(row[k]) for k in _JSON_FIELDS & row.keys() if row[k]})
        return json.loads(json.dumps(data, default=str))
