"""Erase through the real server leaves nothing of the person: not in the workspace's tables,
not in the tracking journal (while the server still runs), not in any export, in every format
the identity normaliser accepts (email in any case, phone with or without separators and "+"),
nor their name where another person's event quotes it beside their identities."""

from __future__ import annotations

import io
import json
import signal

import pandas as pd
import pytest
from sqlglot import exp

from app.journal import journal_dir
from engine import Workspace
from store import privacy as privacy_repo
from tests.api.conftest import Server
from tests.profiles.erased_person import found_in, messages

pytestmark = pytest.mark.xdist_group("api_erase")


def test_erase_leaves_nothing_in_tables_journal_or_exports(fresh_server: Server) -> None:
    with fresh_server.client("ingest") as client:
        assert client.post("/v1/batch", json={"batch": messages()}).status_code == 200
    with fresh_server.client("rw") as client:
        found = client.get("/api/profiles", params={"search": "user-zq-991"}).json()
        (person,) = found["profiles"]
        erased = client.delete(f"/api/profiles/{person['id']}")
        assert erased.status_code == 200, erased.text
        journal = b"".join(p.read_bytes() for p in journal_dir(fresh_server.db).glob("*.jsonl"))
        assert found_in(journal) == []  # while the server still runs
        assert client.get("/api/health").json()["status"] == "ok"
    assert fresh_server.stop(signal.SIGTERM) == 0
    with Workspace.open(fresh_server.db) as ws:
        assert ws.events.list(types=["referred"])[1] == 1  # the other person's event stays
        assert found_in(table_texts(ws)) == []
        csv = ws.transfer.export_profiles(fmt="csv")
        parquet = pd.read_parquet(io.BytesIO(ws.transfer.export_profiles(fmt="parquet")))
        others = [ws.privacy.export(int(i)) for i in parquet["id"]]
    assert found_in(csv) == [] and found_in(parquet.to_csv().encode()) == []
    assert found_in(json.dumps(others, ensure_ascii=False).encode()) == []


def table_texts(ws: Workspace) -> bytes:
    """Every text, list and JSON value of every table, as one text to search."""
    parts = []
    for table, columns in privacy_repo.text_columns(ws.db).items():
        for column in columns:
            query = exp.select(exp.cast(exp.column(column), "VARCHAR").as_("v")).from_(table)
            frame = ws.db.df(query)
            parts.extend(str(v) for v in frame["v"] if v is not None)
    return "\n".join(parts).encode()
