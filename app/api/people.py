"""REST for an agent's work on people: finding a profile, its channels and main channel, the
profiles linked to it by merges, possible duplicates, the engagement summary, notes, groups
(static lists seen from the People screen), and the import's saved column mappings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from app.api.context import allowed
from app.api.convert import jsonable, records
from engine.access.acting import ActingWorkspace
from engine.profiles.service import ProfileFilter

router = APIRouter(prefix="/api", tags=["people"])
Viewer = Annotated[ActingWorkspace, Depends(allowed("people.view"))]
Editor = Annotated[ActingWorkspace, Depends(allowed("people.edit"))]
Grouper = Annotated[ActingWorkspace, Depends(allowed("people.groups"))]
Importer = Annotated[ActingWorkspace, Depends(allowed("data.import"))]
Limit = Annotated[int, Query(ge=1, le=100)]


class MainChannel(BaseModel):
    channel: str = Field(description="one of the profile's channels, e.g. whatsapp")


class NoteText(BaseModel):
    body: str = Field(description="the note's text (at most 10,000 characters)")


class NewGroup(BaseModel):
    name: str
    description: str | None = None
    profile_ids: list[int] = Field(default_factory=list, description="picked profiles")
    matching: ProfileFilter | None = Field(
        default=None, description="also everyone a People filter matches"
    )


class GroupChanges(BaseModel):
    name: str | None = Field(default=None, description="a new name")
    description: str | None = Field(default=None, description="a new description")


class GroupMembers(BaseModel):
    profile_ids: list[int] = Field(default_factory=list)
    matching: ProfileFilter | None = Field(
        default=None, description="(adding only) everyone a People filter matches"
    )


class ImportMapping(BaseModel):
    mapping: dict[str, str] = Field(
        description='file header -> Kith column or "ignore", e.g. {"Full Name": "name"}'
    )


# ---- finding and knowing a profile ------------------------------------------------------------


@router.get("/people/search")
def search(ws: Viewer, q: Annotated[str, Query(min_length=1)], limit: Limit = 20) -> Any:
    """Profiles by name, email, phone, city, label, custom property or identity value: exact
    matches first, then those starting with `q`, then the rest."""
    return {"query": q, "profiles": records(ws.profiles.search(q, limit=limit))}


@router.get("/profiles/{profile_id}/channels")
def channels(profile_id: int, ws: Viewer) -> Any:
    return jsonable(ws.channels.of(profile_id))


@router.put("/profiles/{profile_id}/main-channel")
def set_main_channel(profile_id: int, body: MainChannel, ws: Editor) -> Any:
    return jsonable(ws.channels.set_main(profile_id, body.channel))


@router.delete("/profiles/{profile_id}/main-channel")
def clear_main_channel(profile_id: int, ws: Editor) -> Any:
    """Forget the main channel set by hand; the one proposed from activity applies again."""
    return jsonable(ws.channels.clear_main(profile_id))


@router.get("/profiles/{profile_id}/merges")
def linked(profile_id: int, ws: Viewer) -> Any:
    """The merges this profile took part in (the profiles linked to it), newest first."""
    ws.profiles.get(profile_id)
    return {
        "profile_id": profile_id,
        "merged_count": ws.merges.merged_count(profile_id),
        "merges": records(ws.merges.linked(profile_id)),
    }


@router.get("/profiles/{profile_id}/duplicates")
def duplicates(profile_id: int, ws: Viewer, limit: Limit = 20) -> Any:
    return {
        "profile_id": profile_id,
        "candidates": records(ws.profiles.duplicates(profile_id, limit)),
    }


@router.get("/profiles/{profile_id}/engagement")
def engagement(profile_id: int, ws: Viewer) -> Any:
    return jsonable(ws.profiles.engagement(profile_id))


# ---- notes -----------------------------------------------------------------------------------


@router.get("/profiles/{profile_id}/notes")
def notes(profile_id: int, ws: Viewer) -> Any:
    return {"profile_id": profile_id, "notes": records(ws.notes.of(profile_id))}


@router.post("/profiles/{profile_id}/notes", status_code=201)
def add_note(profile_id: int, body: NoteText, ws: Editor) -> Any:
    return jsonable(ws.notes.add(profile_id, body.body))


@router.patch("/notes/{note_id}")
def edit_note(note_id: int, body: NoteText, ws: Editor) -> Any:
    """Change a note's text (only its author may)."""
    return jsonable(ws.notes.edit(note_id, body.body))


@router.delete("/notes/{note_id}")
def delete_note(note_id: int, ws: Editor) -> Any:
    """Delete a note (only its author may)."""
    ws.notes.delete(note_id)
    return {"deleted": note_id}


# ---- groups ----------------------------------------------------------------------------------


@router.get("/groups")
def groups(ws: Viewer) -> Any:
    return {"groups": records(ws.groups.list())}


@router.post("/groups", status_code=201)
def create_group(body: NewGroup, ws: Grouper) -> Any:
    return jsonable(
        ws.groups.create(
            body.name,
            description=body.description,
            profile_ids=body.profile_ids,
            matching=body.matching,
        )
    )


@router.get("/groups/{name}/members")
def group_members(
    name: str,
    ws: Viewer,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Any:
    page = ws.groups.members(name, limit=limit, offset=offset)
    return {"name": name, "total": page.total, "profiles": records(page.rows)}


@router.patch("/groups/{name}")
def change_group(name: str, body: GroupChanges, ws: Grouper) -> Any:
    """Rename the group and/or change its description."""
    current = name
    if body.name is not None and body.name != name:
        current = ws.groups.rename(name, body.name)["name"]
    if "description" in body.model_fields_set:
        ws.groups.describe(current, body.description)
    return jsonable(ws.groups.get(current))


@router.delete("/groups/{name}")
def delete_group(name: str, ws: Grouper) -> Any:
    ws.groups.delete(name)
    return {"deleted": name}


@router.post("/groups/{name}/members")
def add_members(name: str, body: GroupMembers, ws: Grouper) -> Any:
    added = ws.groups.add(name, body.profile_ids, matching=body.matching)
    return {"name": name, "added": added}


@router.post("/groups/{name}/members/remove")
def remove_members(name: str, body: GroupMembers, ws: Grouper) -> Any:
    return {"name": name, "removed": ws.groups.remove(name, body.profile_ids)}


# ---- the import's saved column mappings --------------------------------------------------------


@router.get("/import-mappings")
def import_mappings(ws: Importer) -> Any:
    """The saved column mappings of the CSV profile import, by name."""
    saved = ws.transfer.mappings()
    return {"mappings": [{"name": name, "mapping": saved[name]} for name in sorted(saved)]}


@router.get("/import-mappings/{name}")
def import_mapping(name: str, ws: Importer) -> Any:
    return {"name": name, "mapping": ws.transfer.mapping(name)}


@router.put("/import-mappings/{name}")
def save_import_mapping(name: str, body: ImportMapping, ws: Importer) -> Any:
    """Save (or replace) a named column mapping; imports use it by name."""
    return {"name": name.strip(), "mapping": ws.transfer.save_mapping(name, body.mapping)}


@router.delete("/import-mappings/{name}")
def delete_import_mapping(name: str, ws: Importer) -> Any:
    ws.transfer.delete_mapping(name)
    return {"deleted": name}
