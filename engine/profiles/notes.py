"""Notes on a profile: written by the logged-in person (their user name is the author, whichever
door they came through: the dashboard, an API key or the CLI), timestamped, changed or deleted
only by their author, every write in the audit trail. A merge moves the
secondary's notes to the primary and an unmerge moves them back (store/merge.py); an erase
deletes them with everything else held about the person. Segments do not read notes, so a note
commits nothing to the membership path."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import BaseModel

from engine.admin import audit
from engine.clock import utcnow
from kith_errors import Forbidden, NotFound, ValidationError
from store import notes as repo

if TYPE_CHECKING:
    from engine.profiles.service import Profiles
    from store.db import Database

NOTE_IDS = "notes"
MAX_NOTE = 10_000  # characters


class Note(BaseModel):
    id: int
    profile_id: int
    author: str
    body: str
    created_at: dt.datetime
    updated_at: dt.datetime


class Notes:
    def __init__(self, db: Database, profiles: Profiles) -> None:
        self.db, self.profiles = db, profiles

    def of(self, profile_id: int) -> pd.DataFrame:
        """id, profile_id, author, body, created_at, updated_at; newest first."""
        self.profiles.get(profile_id)
        return repo.of(self.db, profile_id)

    def add(self, profile_id: int, body: str, *, actor: str = "admin") -> Note:
        text = _body(body)
        self.profiles.get(profile_id)
        db = self.db
        with db.transaction():
            note_id = db.allocate_ids(NOTE_IDS, 1)
            at = utcnow()
            repo.insert(db, repo.NoteRow(note_id, profile_id, _person(actor), text, at, at))
            audit.record(self, actor, "note", note_id, "create", "body", after=text)
        return self.get(note_id)

    def get(self, note_id: int) -> Note:
        row = repo.get(self.db, note_id)
        if row is None:
            raise NotFound(f"note {note_id} does not exist", details={"id": note_id})
        return Note(**asdict(row))

    def edit(self, note_id: int, body: str, *, actor: str = "admin") -> Note:
        """Change a note's text; only its author may."""
        text = _body(body)
        with self.db.transaction():
            note = self._own(note_id, actor, "change")
            if note.body != text:
                repo.update(self.db, note_id, text, utcnow())
                audit.record(self, actor, "note", note_id, "update", "body", note.body, text)
        return self.get(note_id)

    def delete(self, note_id: int, *, actor: str = "admin") -> None:
        """Delete a note; only its author may."""
        with self.db.transaction():
            note = self._own(note_id, actor, "delete")
            repo.delete(self.db, note_id)
            audit.record(self, actor, "note", note_id, "delete", "body", before=note.body)

    def _own(self, note_id: int, actor: str, what: str) -> Note:
        note = self.get(note_id)
        if note.author != _person(actor):
            raise Forbidden(
                f"note {note_id} was written by {note.author}; only its author may {what} it",
                details={"id": note_id, "author": note.author},
            )
        return note


def _person(actor: str) -> str:
    """The user behind an actor's name: "maria (key notebook)" and "maria (cli)" are maria
    (user names hold no spaces, engine/access/users.py)."""
    return actor.split(" (", 1)[0]


def _body(body: Any) -> str:
    if not isinstance(body, str) or not body.strip():
        raise ValidationError("a note needs some text")
    text = body.strip()
    if len(text) > MAX_NOTE:
        raise ValidationError(f"a note holds at most {MAX_NOTE:,} characters, got {len(text):,}")
    return text
