"""The JSONL fast path (DuckDB's JSON reader, engine/ingest/jsonl.py) against the Python parser
(the path `ws.ingest.messages` takes): the same file gives the same stored rows and the same
rejections, line for line. Lines of every shape are mixed in, so both halves of the fast path
(DuckDB for the common shape, Python for the rest) are held to the parser's answers."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from engine import Workspace
from engine.ingest.jsonl import json_error
from kith_errors import IngestError
from store import Database
from store.jsonl import plain_messages

T = "2026-01-05T10:00:00Z"


def _nested(levels: int) -> dict[str, Any]:
    """An object nesting `levels` deep: {"k": {"k": ... {"k": 1}}}."""
    value: Any = 1
    for _ in range(levels):
        value = {"k": value}
    return value


# shapes the fast path hands to Python, or reads itself with care
ODD: list[Any] = [
    {"type": "screen", "name": "Home", "userId": "s1", "messageId": "o1", "timestamp": T},
    {"type": "alias", "previousId": "a-old", "userId": "a-new", "messageId": "o2", "timestamp": T},
    {"type": "group", "groupId": "g1", "userId": "s1", "messageId": "o3", "timestamp": T},
    {"type": "track", "event": "No Id", "userId": "s2", "timestamp": T},
    {"type": "TRACK", "event": "Upper", "userId": 42, "messageId": "o5", "timestamp": T},
    {
        "type": "identify",
        "userId": "s3",
        "messageId": "o6",
        "timestamp": T,
        "traits": {"firstName": "Ana", "lastName": "Lima", "company": {"name": "Acme"}},
    },
    {
        "type": "identify",
        "userId": "s4",
        "messageId": "o7",
        "timestamp": T,
        "traits": {
            "email": " S4@Example.com ",
            "plan": "pro",
            "whatsapp": "+447700900004",
            "nothing": None,
        },
        "context": {"traits": {"name": "Ignored: traits win"}},
    },
    {  # both traits, plain: merged in DuckDB, `traits` wins
        "type": "identify",
        "userId": "s4b",
        "messageId": "o7b",
        "timestamp": T,
        "traits": {"email": "given@example.com", "plan": "team"},
        "context": {"traits": {"email": "context@example.com", "city": "Lyon", "plan": "free"}},
    },
    {  # both traits, an object in `traits` replaces the context's, not merged into it: Python
        "type": "identify",
        "userId": "s4c",
        "messageId": "o7c",
        "timestamp": T,
        "traits": {"prefs": {"news": True}},
        "context": {"traits": {"prefs": {"sms": True}, "phone": "+44 7700 900006"}},
    },
    {
        "type": "identify",
        "userId": "s5",
        "messageId": "o8",
        "timestamp": T,
        "context": {"traits": {"phone": "+44 7700 900005", "city": "Leeds"}},
    },
    {
        "type": "track",
        "event": "x",
        "messageId": "o9",
        "timestamp": T,
        "context": {"externalIds": [{"type": "user_id", "id": "ext-1"}]},
    },
    {
        "type": "page",
        "anonymousId": "p1",
        "messageId": "o10",
        "timestamp": T,
        "name": "Pricing",
        "context": {"page": {"url": "https://x.io/p", "path": "/p", "referrer": None}},
        "properties": {"plan": "pro"},
    },
    {
        "type": "page",
        "anonymousId": "p2",
        "messageId": "o11",
        "timestamp": T,
        "context": {"page": {"url": "https://x.io/a"}},
        "properties": {"url": "https://x.io/b"},
    },
    {
        "type": "page",
        "anonymousId": "p2b",
        "messageId": "o11b",
        "timestamp": T,
        "name": "N",
        "properties": {"name": "own name"},
        "context": {"page": {"title": None}},
    },
    {
        "type": "identify",
        "userId": "s6",
        "messageId": "o8b",
        "timestamp": T,
        "traits": {"lifecycle_stage": "lead", "address": {"city": "Porto"}, "company": "Plain"},
    },
    {
        "type": "page",
        "anonymousId": "p3",
        "messageId": "o12",
        "originalTimestamp": T,
        "timestamp": "",
    },
    {
        "type": "track",
        "event": "Tap",
        "anonymousId": "p4",
        "messageId": "o13",
        "timestamp": T,
        "context": {
            "channel": "Browser",
            "sessionId": "sess-1",
            "device": {"type": "Tablet"},
            "userAgent": "Mobile Safari",
        },
    },
    {
        "type": "track",
        "event": "Tap",
        "anonymousId": "p5",
        "messageId": "o14",
        "timestamp": T,
        "properties": {"channel": "whatsapp", "session_id": ""},
        "context": {"userAgent": "Mozilla/5.0 (Linux; Android 14)"},
    },
    {
        "type": "track",
        "event": "Tap",
        "anonymousId": "p6",
        "messageId": "o15",
        "timestamp": T,
        "channel": "server",
        "context": {"device": "not an object", "userAgent": "curl/8"},
    },
    {
        "type": "track",
        "event": "Bad Channel",
        "anonymousId": "p7",
        "messageId": "o16",
        "timestamp": T,
        "context": {"channel": "pigeon"},
    },
    {
        "type": "track",
        "event": "Bad Time",
        "anonymousId": "p8",
        "messageId": "o17",
        "timestamp": "yesterday",
    },
    {"type": "track", "event": "", "anonymousId": "p9", "messageId": "o18", "timestamp": T},
    {"type": "track", "event": "x", "messageId": "o19", "timestamp": T},
    {
        "type": "track",
        "event": "x",
        "anonymousId": "p10",
        "messageId": "o20",
        "timestamp": T,
        "properties": ["not", "an", "object"],
    },
    {"type": "shout", "anonymousId": "p11", "messageId": "o21", "timestamp": T},
    {"type": "track", "event": "Dup", "anonymousId": "p12", "messageId": "o22", "timestamp": T},
    {"type": "track", "event": "Dup", "anonymousId": "p12", "messageId": "o22", "timestamp": T},
    {
        "type": "track",
        "event": "Ünïcode ✓",
        "anonymousId": "p13",
        "messageId": "o23",
        "timestamp": "2026-01-05T12:00:00+07:00",
        "properties": {"note": "naïve ✓", "n": 1.5e3},
    },
    {
        "type": "track",
        "event": "Nan",
        "anonymousId": "p14",
        "messageId": "o24",
        "timestamp": T,
        "properties": {"v": float("nan")},
    },
    {  # refused for nesting (Python measures it: more brackets than the limit)
        "type": "track",
        "event": "Deep",
        "anonymousId": "p15",
        "messageId": "o25",
        "timestamp": T,
        "properties": _nested(40),
    },
    {  # nests 31 deep inside the message: 32 brackets, read by DuckDB
        "type": "track",
        "event": "Deep enough",
        "anonymousId": "p16",
        "messageId": "o26",
        "timestamp": T,
        "properties": _nested(31),
    },
    {  # many brackets, shallow: to Python, stored
        "type": "track",
        "event": "Wide",
        "anonymousId": "p17",
        "messageId": "o27",
        "timestamp": T,
        "properties": {"items": [{"n": n} for n in range(40)]},
    },
    [1, 2],
    "just a string",
]
RAW_ODD = [
    '{"type": "track", "event": "x", "anonymousId": "r1", "messageId": "r1", "p": {"a": 1,}}',
    '{"type": "track", "event": "x", "anonymousId": "r2", "messageId": "r2", "timestamp": "' + T,
    '{"type": "track", "event": "x", "anonymousId": "r3", "messageId": "r3", "v": inf}',
    "{oops",
]


def _common(rng: random.Random, i: int) -> dict[str, Any]:
    """A message in the common shape: track, page or identify, some with context and traits."""
    who = rng.randrange(300)
    msg: dict[str, Any] = {
        "messageId": f"m-{i}",
        "anonymousId": f"anon-{who}",
        "timestamp": f"2026-01-0{1 + who % 5}T{i % 24:02d}:{who % 60:02d}:00.000Z",
    }
    if who % 2:
        msg["userId"] = f"user-{who}"
    kind = rng.random()
    if kind < 0.6:
        props = {"revenue": round(rng.uniform(1, 99), 2), "tags": ["a", "b"], "nested": {"k": i}}
        msg |= {
            "type": "track",
            "event": rng.choice(("Order Completed", "viewed")),
            "properties": props,
        }
    elif kind < 0.85:
        msg |= {"type": "page", "name": "Docs", "properties": {"section": "main"}}
    else:
        msg |= {"type": "identify", "traits": {"plan": "pro", "email": f"p{who}@example.com"}}
    if rng.random() < 0.3:
        msg["context"] = {
            "page": {"path": "/d", "url": "https://example.com/d", "title": "D"},
            "userAgent": rng.choice(("Mozilla/5.0 (iPhone) Mobile", "Mozilla/5.0 (X11)")),
            "traits": {"email": f"p{who}@example.com", "name": f"Person {who}"},
        }
    return msg


def _lines() -> list[str]:
    rng = random.Random(3)
    common = [json.dumps(_common(rng, i)) for i in range(1500)]
    odd = [json.dumps(m) for m in ODD] + RAW_ODD
    for k, line in enumerate(odd):  # spread among the common lines
        common.insert(7 + k * 53, line)
    return common


def _old_path(ws: Workspace, lines: list[str]) -> Any:
    def parsed(text: str) -> Any:
        try:
            return json.loads(text)
        except json.JSONDecodeError as err:
            return json_error(err)

    return ws.ingest.messages([parsed(t) for t in lines], source="import")


_DROP = {"received_at", "batch_id", "updated_at", "created_at", "logged_at"}
_TABLES = ("events", "profiles", "identities", "sessions", "identity_log")


def _stored(ws: Workspace) -> dict[str, list[tuple[Any, ...]]]:
    """Every table the batch writes, without the moment-of-writing columns, JSON parsed (the
    fast path writes JSON compactly, the parser with spaces: the values are what count)."""
    out = {}
    for table in _TABLES:
        frame = ws.db.df(f"SELECT * FROM {table}")
        frame = frame.drop(columns=[c for c in frame.columns if c in _DROP])
        rows = [tuple(_value(v) for v in row) for row in frame.itertuples(index=False)]
        out[table] = sorted(rows, key=repr)
    return out


def _value(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        return json.dumps(json.loads(value), sort_keys=True)
    return value


@pytest.fixture
def two(tmp_path: Path) -> tuple[Workspace, Workspace]:
    old, new = Workspace.open(tmp_path / "old.duckdb"), Workspace.open(tmp_path / "new.duckdb")
    yield old, new
    old.close()
    new.close()


@pytest.mark.parametrize("gzipped", [False, True])
def test_the_fast_path_stores_what_the_parser_stores(
    two: tuple[Workspace, Workspace], tmp_path: Path, gzipped: bool
) -> None:
    old, new = two
    lines = _lines()
    text = "\n".join(lines) + "\n"
    path = tmp_path / ("events.jsonl.gz" if gzipped else "events.jsonl")
    path.write_bytes(gzip.compress(text.encode()) if gzipped else text.encode())
    expected = _old_path(old, lines)
    got = new.ingest.file(path)
    assert got.rejected == expected.rejected and len(got.rejected) == 15
    assert any("properties nests deeper than 32 levels" in r.reason for r in got.rejected)
    assert (got.accepted, got.duplicates) == (expected.accepted, expected.duplicates)
    assert got.sessions_started == expected.sessions_started
    assert _stored(new) == _stored(old)


def test_a_json_array_file_is_its_messages_numbered_by_position(
    ws: Workspace, tmp_path: Path
) -> None:
    good = {"type": "track", "event": "x", "userId": "u1", "messageId": "m1", "timestamp": T}
    path = tmp_path / "events.json"
    path.write_text(json.dumps([good, {"type": "nope"}, {**good, "messageId": "m2"}], indent=2))
    report = ws.ingest.file(path)
    assert report.accepted == 2 and [r.line for r in report.rejected] == [2]
    assert "type must be one of" in report.rejected[0].reason


def test_a_json_array_from_a_text_handle(ws: Workspace) -> None:
    good = {"type": "track", "event": "x", "userId": "u1", "messageId": "m1", "timestamp": T}
    report = ws.ingest.jsonl(io.StringIO(json.dumps([good, {**good, "messageId": "m2"}])))
    assert report.accepted == 2 and report.rejected == []


def test_a_broken_json_array_is_refused_whole_with_its_place(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text('[\n  {"type": "track"},\n  {"type": "track",}\n]')
    with pytest.raises(IngestError, match=r"not valid JSON \(.* at line 3, column 20\)"):
        ws.ingest.file(path)
    assert ws.db.scalar("SELECT count(*) FROM events") == 0


def test_a_file_that_is_not_utf8_names_its_line(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"type": "track"}\n{"type": "tr\xff"}\n')
    with pytest.raises(IngestError, match=r"line 2 is not UTF-8 text \(byte 13 of the line\)"):
        ws.ingest.file(path)


def test_a_later_batch_that_cannot_be_read_stops_the_file_after_the_batches_before(
    ws: Workspace, tmp_path: Path
) -> None:
    """A file is committed batch by batch: a line that cannot be read stops the file with the
    line it concerns, and the batches before it stay stored."""
    good = [
        json.dumps({"type": "track", "event": "x", "userId": "u", "messageId": f"m{n}"})
        for n in range(1, 5)
    ]
    # a blank line longer than the reader's block puts the broken line in a later block
    blank = b" " * (65 << 20)
    path = tmp_path / "events.jsonl"
    path.write_bytes("\n".join(good).encode() + b"\n" + blank + b'\n{"type": "tr\xff"}\n')
    done: list[int] = []
    with pytest.raises(IngestError, match=r"line 6 is not UTF-8 text"):
        ws.ingest.jsonl(path, chunk=2, progress=done.append)
    assert done == [2, 4]
    assert ws.db.scalar("SELECT count(*) FROM events") == 4


def test_blank_lines_line_breaks_and_indents_keep_line_numbers(
    ws: Workspace, tmp_path: Path
) -> None:
    def track(n: int) -> str:
        message = {"type": "track", "event": "x", "userId": "u1", "messageId": f"m{n}"}
        return json.dumps({**message, "timestamp": T})

    # blank, spaces only, a tab, CRLF breaks, an indented message, an ideographic space only,
    # a broken line and a last line without its line break
    text = (
        f"{track(1)}\r\n\r\n   \n\t\n   {track(5)}\r\n\u3000\n"
        + '{"type": "track", "event": \n'
        + track(8)
    )
    path = tmp_path / "events.jsonl"
    path.write_bytes(text.encode())
    report = ws.ingest.file(path)
    assert report.accepted == 3
    assert [(r.line, r.reason[:14]) for r in report.rejected] == [(7, "not valid JSON")]
    stored = ws.db.rows("SELECT message_id FROM events ORDER BY message_id")
    assert [r[0] for r in stored] == ["m1", "m5", "m8"]


def test_a_file_in_many_chunks_stores_what_one_chunk_stores(
    two: tuple[Workspace, Workspace], tmp_path: Path
) -> None:
    """A file committed chunk by chunk: the same events, sessions, people, rejections and line
    numbers as one chunk (ids aside: they are allocated per batch), and progress after each
    commit."""
    whole, chunked = two
    lines = _lines()
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    expected = whole.ingest.jsonl(path)
    done: list[int] = []
    got = chunked.ingest.jsonl(path, chunk=7, progress=done.append)
    assert [(r.line, r.reason) for r in got.rejected] == [
        (r.line, r.reason) for r in expected.rejected
    ]
    assert (got.accepted, got.duplicates) == (expected.accepted, expected.duplicates)
    assert _shape(chunked) == _shape(whole)
    stored = chunked.db.scalar("SELECT count(*) FROM sessions")
    assert got.sessions_started - got.sessions_joined == expected.sessions_started == stored


def _shape(ws: Workspace) -> dict[str, Any]:
    """What a workspace holds, without ids: events, sessions, and who is one person."""
    events = ws.db.rows(
        "SELECT message_id, type, ts, channel, session_id, properties FROM events ORDER BY ALL"
    )
    sessions = ws.db.rows(
        "SELECT id, channel, started_at, ended_at, event_count FROM sessions ORDER BY ALL"
    )
    people = ws.db.rows(
        "SELECT list(message_id ORDER BY message_id) FROM events GROUP BY profile_id"
    )
    return {"events": events, "sessions": sessions, "people": sorted(p[0] for p in people)}


def test_the_fast_path_answers_in_line_order_whatever_order_lines_come_in(tmp_path: Path) -> None:
    """The parse query has no ORDER BY (it cost a fifth of its CPU): the rows come back in
    line order because DuckDB keeps the scan's order, and are sorted when they do not."""

    def track(n: int) -> str:
        message = {"type": "track", "event": "e", "userId": f"u{n}", "messageId": f"m{n}"}
        return json.dumps({**message, "timestamp": T})

    db = Database(tmp_path / "w.duckdb")
    shuffled = [3, 1, 4, 2]
    lines = pa.table({"_line": pa.array(shuffled, pa.int64()), "raw": [track(n) for n in shuffled]})
    found = plain_messages(db, lines, 32)
    assert found.column("_line").to_pylist() == [1, 2, 3, 4]
    assert found.column("message_id").to_pylist() == ["m1", "m2", "m3", "m4"]
    db.close()


def test_traits_in_both_places_are_merged_by_duckdb_unless_a_merge_patch_would_differ(
    tmp_path: Path,
) -> None:
    """Python merges `context.traits` and `traits` shallowly; DuckDB's json_merge_patch agrees
    unless `traits` holds an object (merged into, not replaced) or a null (a deletion), so
    only such lines are left to Python."""
    identify = {"type": "identify", "userId": "u", "timestamp": T}
    context = {"traits": {"email": "c@example.com", "city": "Lyon", "prefs": {"sms": True}}}
    cases = {
        1: {"email": "g@example.com", "plan": "team"},
        2: {"prefs": {"news": True}},
        3: {"city": None},
    }
    raws = [
        json.dumps({**identify, "messageId": f"m{n}", "traits": t, "context": context})
        for n, t in cases.items()
    ]
    db = Database(tmp_path / "w.duckdb")
    table = pa.table({"_line": pa.array([1, 2, 3], pa.int64()), "raw": raws})
    found = plain_messages(db, table, 32)
    db.close()
    assert found.column("_line").to_pylist() == [1]
    assert found.column("email").to_pylist() == ["g@example.com"]
    traits = json.loads(found.column("traits")[0].as_py())
    assert traits == {"city": "Lyon", "prefs": {"sms": True}, "plan": "team"}


def test_a_later_chunk_that_bridges_sessions_reports_them_joined(
    two: tuple[Workspace, Workspace], tmp_path: Path
) -> None:
    """Chunks commit one by one, so a later chunk can join sessions an earlier one began: the
    report says so, and started minus joined is what one chunk reports and the store holds."""
    whole, chunked = two
    start = dt.datetime(2026, 1, 5, 10)

    def at(n: int, minute: int) -> str:
        moment = (start + dt.timedelta(minutes=minute)).isoformat() + "Z"
        message = {"type": "track", "event": "x", "userId": "u1", "messageId": f"m{n}"}
        return json.dumps({**message, "timestamp": moment, "context": {"channel": "web"}})

    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(at(n, m) for n, m in enumerate([0, 10, 70, 80, 40])) + "\n")
    one = whole.ingest.jsonl(path)
    split = chunked.ingest.jsonl(path, chunk=4)
    assert (one.sessions_started, one.sessions_joined) == (1, 0)
    assert (split.sessions_started, split.sessions_joined) == (2, 1)
    assert _shape(chunked) == _shape(whole)


def test_a_line_with_more_brackets_than_the_limit_is_left_to_python(tmp_path: Path) -> None:
    """No value of a line DuckDB takes can nest deeper than the limit, so the normalisation
    does not measure them again; a line that might (more opening brackets, strings included)
    goes to Python, which does."""

    def track(n: int, levels: int) -> str:
        message = {"type": "track", "event": "e", "userId": "u", "messageId": f"m{n}"}
        return json.dumps({**message, "timestamp": T, "properties": _nested(levels)})

    raws = [track(1, 31), track(2, 32), track(3, 3).replace('"e"', '"' + "[" * 30 + '"')]
    # 32 brackets (31 levels and the message's own); 33; 4 and 30 in a string, which count too
    db = Database(tmp_path / "w.duckdb")
    table = pa.table({"_line": pa.array([1, 2, 3], pa.int64()), "raw": raws})
    found = plain_messages(db, table, 32)
    db.close()
    assert found.column("_line").to_pylist() == [1]
