"""Notes agents write on a profile: the static SQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import pandas as pd

from store.db import Database


@dataclass(frozen=True)
class NoteRow:
    id: int
    profile_id: int
    author: str
    body: str
    created_at: dt.datetime
    updated_at: dt.datetime


_COLUMNS = "id, profile_id, author, body, created_at, updated_at"


def insert(db: Database, note: NoteRow) -> None:
    db.execute(
        "INSERT INTO notes VALUES ($id, $profile_id, $author, $body, $created_at, $updated_at)",
        asdict(note),
    )


def get(db: Database, note_id: int) -> NoteRow | None:
    rows = db.dicts(f"SELECT {_COLUMNS} FROM notes WHERE id = $id", {"id": note_id})
    return NoteRow(**rows[0]) if rows else None


def of(db: Database, profile_id: int) -> pd.DataFrame:
    """A profile's notes, newest first."""
    return db.df(
        f"SELECT {_COLUMNS} FROM notes WHERE profile_id = $id ORDER BY created_at DESC, id DESC",
        {"id": profile_id},
    )


def update(db: Database, note_id: int, body: str, at: dt.datetime) -> None:
    db.execute(
        "UPDATE notes SET body = $body, updated_at = $at WHERE id = $id",
        {"id": note_id, "body": body, "at": at},
    )


def delete(db: Database, note_id: int) -> None:
    db.execute("DELETE FROM notes WHERE id = $id", {"id": note_id})
