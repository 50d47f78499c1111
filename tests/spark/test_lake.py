"""`kith lake export`: the workspace as Parquet, read back with DuckDB (no Spark needed)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from app.cli import main
from engine import Workspace
from engine.scaleout.lake import MANIFEST, export, ingest_event_lake
from kith_errors import ValidationError

T = dt.datetime(2026, 5, 1, 12)


def track(user: str, event: str, day: int, **props: object) -> dict[str, object]:
    moment = T + dt.timedelta(days=day)
    return {
        "type": "track",
        "userId": user,
        "event": event,
        "timestamp": moment.isoformat() + "Z",
        "messageId": f"{user}-{event}-{day}",
        "properties": props,
    }


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    workspace = Workspace.open(tmp_path / "kith.duckdb")
    workspace.ingest.messages(
        [track("ana", "purchase", 0, amount=10), track("bo", "page_view", 1, url="/a")],
        received_at=T + dt.timedelta(days=2),
    )
    yield workspace
    workspace.close()


def lake_rows(folder: Path, table: str) -> list[tuple]:
    pattern = folder / table / "**" / "*.parquet"
    query = f"SELECT * FROM read_parquet('{pattern}', hive_partitioning = true) ORDER BY ALL"
    return duckdb.sql(query).fetchall()


def event_ids(folder: Path) -> list[int]:
    pattern = folder / "events" / "**" / "*.parquet"
    query = f"SELECT id FROM read_parquet('{pattern}', hive_partitioning = true) ORDER BY id"
    return [row[0] for row in duckdb.sql(query).fetchall()]


def stored_ids(ws: Workspace) -> list[int]:
    return [row[0] for row in ws.db.rows("SELECT id FROM events ORDER BY id")]


def test_export_writes_every_table_and_partitions_events_by_day(ws: Workspace, tmp_path: Path):
    lake = tmp_path / "lake"
    result = export(ws.db, lake)
    assert result.events_mode == "full"
    assert event_ids(lake) == stored_ids(ws)
    days = sorted(p.name for p in (lake / "events").iterdir())
    assert days == sorted({f"date={ts.date()}" for (ts,) in ws.db.rows("SELECT ts FROM events")})
    assert len(lake_rows(lake, "profiles")) == 2
    assert result.tables["identities"] == len(lake_rows(lake, "identities"))
    properties = duckdb.sql(
        f"SELECT properties FROM read_parquet('{lake / 'events' / '**' / '*.parquet'}') "
        "WHERE properties LIKE '%amount%'"
    ).fetchall()
    assert json.loads(properties[0][0]) == {"amount": 10}


def test_a_rerun_appends_only_new_batches(ws: Workspace, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    export(ws.db, lake)
    assert export(ws.db, lake).events_mode == "unchanged"
    ws.ingest.messages([track("cy", "signup", 3)], received_at=T + dt.timedelta(days=4))
    again = export(ws.db, lake)
    assert (again.events_mode, again.events_written) == ("append", 1)
    assert event_ids(lake) == stored_ids(ws)


def test_an_erasure_rewrites_the_events_so_the_person_leaves_the_lake(
    ws: Workspace, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    export(ws.db, lake)
    (ana,) = ws.db.rows("SELECT profile_id FROM identities WHERE value = 'ana'")[0]
    ws.privacy.erase(ana, actor="test")
    again = export(ws.db, lake)
    assert again.events_mode == "full"
    assert event_ids(lake) == stored_ids(ws)
    assert all(row[0] != ana for row in lake_rows(lake, "profiles"))


def test_an_append_cut_short_is_rewritten_by_the_next_run(ws: Workspace, tmp_path: Path):
    lake = tmp_path / "lake"
    export(ws.db, lake)
    manifest = json.loads((lake / MANIFEST).read_text())
    (lake / MANIFEST).write_text(json.dumps({**manifest, "pending": 99}))
    assert export(ws.db, lake).events_mode == "full"
    assert event_ids(lake) == stored_ids(ws)


def test_an_empty_workspace_still_gives_a_readable_lake(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "empty.duckdb") as empty:
        export(empty.db, tmp_path / "lake")
    assert event_ids(tmp_path / "lake") == []


def test_a_folder_holding_something_else_is_refused(ws: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "cat.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(ValidationError, match="holds no Kith lake"):
        export(ws.db, folder)
    assert (folder / "cat.jpg").exists()


def test_cli_export_prints_what_it_wrote(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    db = tmp_path / "cli.duckdb"
    with Workspace.open(db) as workspace:
        workspace.ingest.messages([track("ana", "purchase", 0, amount=5)])
    assert main(["lake", "export", str(tmp_path / "lake"), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"lake {tmp_path / 'lake'}: 1 event(s) written (full), profiles 1")
    assert main(["lake", "export", str(tmp_path / "lake"), "--db", str(db), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["events_mode"] == "unchanged"


def test_a_users_own_event_lake_is_read_file_by_file(tmp_path: Path) -> None:
    lake = tmp_path / "their-lake"
    for day, rows in {"2026-05-01": ["ana", "bo"], "2026-05-02": ["ana"]}.items():
        folder = lake / f"date={day}"
        folder.mkdir(parents=True)
        frame = pd.DataFrame(
            {
                "type": ["Order Completed"] * len(rows),
                "timestamp": [f"{day}T10:00:00Z"] * len(rows),
                "user_id": rows,
                "prop_amount": [12.5] * len(rows),
            }
        )
        frame.to_parquet(folder / "part-0.parquet")
    pd.DataFrame({"type": ["x"], "timestamp": ["2026-05-03T00:00:00Z"]}).to_parquet(
        lake / "no-identity.parquet"
    )
    with Workspace.open(tmp_path / "kith.duckdb") as ws:
        report = ingest_event_lake(ws.ingest, lake)
        assert (report.accepted, len(report.batch_ids)) == (3, 2)  # the refused file stores none
        (rejection,) = report.rejected
        assert rejection.reason.startswith("no-identity.parquet: ")
        people = ws.db.rows("SELECT count(*) FROM profiles")[0][0]
        amounts = ws.db.rows(
            "SELECT sum(CAST(properties->>'amount' AS DOUBLE)) FROM events "
            "WHERE type = 'order_completed'"
        )[0][0]
    assert (people, amounts) == (2, 37.5)


def test_reading_a_folder_without_parquet_files_says_so(tmp_path: Path) -> None:
    with (
        Workspace.open(tmp_path / "kith.duckdb") as ws,
        pytest.raises(ValidationError, match=r"holds no \.parquet files"),
    ):
        ingest_event_lake(ws.ingest, tmp_path)
