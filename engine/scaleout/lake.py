"""`kith lake export DIR`: the workspace written as a Parquet lake, incrementally on re-run;
`kith lake ingest DIR`: a user's own Parquet event lake read into the workspace.

The lake's manifest (`_kith_lake.json`) records the newest ingestion batch written and a
fingerprint of the events up to it. A re-run whose fingerprint still matches appends only the
batches stored since; one that does not (a merge moved events to another profile, an erasure
deleted some) rewrites the events whole, so the lake never holds a person the workspace erased.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow.parquet as pq

from engine.clock import utcnow
from engine.ingest.service import Ingestor, combine
from engine.models import IngestReport
from kith_errors import ValidationError
from store import Database
from store import lake as repo

MANIFEST = "_kith_lake.json"
FORMAT = 1


@dataclass(frozen=True)
class LakeExport:
    """What one export wrote."""

    path: str
    events_written: int
    events_mode: str  # "full" | "append" | "unchanged"
    tables: dict[str, int]
    batch: int


def export(db: Database, folder: str | Path) -> LakeExport:
    """Write (or bring up to date) the lake at `folder`."""
    root = Path(folder)
    if root.exists() and not root.is_dir():
        raise ValidationError(f"lake folder {root} is a file, not a folder")
    root.mkdir(parents=True, exist_ok=True)
    manifest = _read_manifest(root)
    upto = repo.latest_batch(db)
    written, mode = _events(db, root, manifest, upto)
    tables = {table: repo.write_table(db, table, root) for table in repo.TABLES}
    _write_manifest(
        root,
        {
            "format": FORMAT,
            "exported_at": utcnow().isoformat(),
            "batch": upto,
            "fingerprint": repo.events_fingerprint(db, upto),
            "tables": tables,
        },
    )
    return LakeExport(str(root), written, mode, tables, upto)


def _events(db: Database, root: Path, manifest: dict | None, upto: int) -> tuple[int, str]:
    if manifest is not None and _appendable(manifest):
        since = int(manifest["batch"])
        if repo.events_fingerprint(db, since) == manifest["fingerprint"]:
            # Marked first: an append cut short is never trusted by the next run.
            _write_manifest(root, {**manifest, "pending": upto})
            written = repo.append_events(db, root, since, upto)
            return written, "append" if written else "unchanged"
    repo.drop_events(root)
    return repo.append_events(db, root, -2, upto), "full"


def _appendable(manifest: dict) -> bool:
    return manifest.get("format") == FORMAT and "pending" not in manifest


def _read_manifest(root: Path) -> dict | None:
    path = root / MANIFEST
    if not path.exists():
        if any(root.iterdir()):
            raise ValidationError(
                f"{root} is not empty and holds no Kith lake ({MANIFEST} is missing); "
                "export into a new or empty folder"
            )
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ValidationError(f"cannot read the lake manifest {path}: {err}") from err


def _write_manifest(root: Path, content: dict) -> None:
    tmp = root / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(content, indent=2))
    tmp.replace(root / MANIFEST)


def as_dict(result: LakeExport) -> dict:
    return asdict(result)


def ingest_event_lake(ingest: Ingestor, folder: str | Path) -> IngestReport:
    """Read a user's own event lake: every Parquet file under `folder` (hive-style partition
    folders allowed), laid out by docs/ingestion.md's flat column convention, ingested file by
    file in path order (each file one batch). A refused row's reason names its file."""
    root = Path(folder)
    if not root.is_dir():
        raise ValidationError(f"no such folder: {root}")
    files = sorted(path for path in root.rglob("*.parquet") if path.is_file())
    if not files:
        raise ValidationError(f"{root} holds no .parquet files")
    total = IngestReport()
    for path in files:
        report = ingest.table(pq.read_table(path), source="lake")
        named = [
            r.model_copy(update={"reason": f"{path.relative_to(root)}: {r.reason}"})
            for r in report.rejected
        ]
        total = combine(total, report.model_copy(update={"rejected": named}))
    return total
