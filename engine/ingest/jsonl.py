"""Segment JSONL, JSON arrays and gzip files as canonical frames, parsed by DuckDB's JSON
functions (store/jsonl.py) instead of one Python object per message.

The file is split into lines in Arrow; DuckDB reads every line in the common shape straight
into the canonical fields, and the few others (not JSON, another message kind, an unusual value)
go through the Python parser (engine/ingest/frames.parse_message), which holds the rules. Both
halves then share `frames.finish` (normalisation, clock skew, reasons), so a line is stored and
refused the same either way, with its line number."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.ingest.frames import CANONICAL, MAX_DEPTH, finish, from_messages
from kith_errors import IngestError
from store import jsonl as repo
from store.db import Database

_BOM = b"\xef\xbb\xbf"
_GZIP = b"\x1f\x8b"
_BLOCK = 64 << 20  # bytes read at a time from a JSONL file
_NEWLINE, _SPACE, _MULTIBYTE = 0x0A, 0x20, 0x80


def read(db: Database, src: str | Path | IO[str], chunk: int) -> Iterator[pa.Table]:
    """The file's messages as tables of (_line, raw JSON text) of at most `chunk` rows, blank
    lines left out: a JSON array file's elements numbered from 1, else its lines."""
    if isinstance(src, str | Path):
        with _open(Path(src)) as handle:
            yield from _batches(db, handle, chunk)
    else:
        yield from _batches(db, _Utf8(src), chunk)


def _open(path: Path) -> io.BufferedIOBase:
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == _GZIP
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


class _Utf8:
    """A text handle read as UTF-8 bytes."""

    def __init__(self, handle: IO[str]) -> None:
        self.handle = handle

    def read(self, size: int = -1) -> bytes:
        return self.handle.read(size).encode("utf-8")


def _batches(db: Database, handle: Any, chunk: int) -> Iterator[pa.Table]:
    """Whole lines read a block at a time (a line cut by a block's end waits for the next),
    regrouped into tables of `chunk` lines; or the elements of one JSON array."""
    first = handle.read(_BLOCK)
    first = first.removeprefix(_BOM)
    if first.lstrip()[:1] == b"[":
        yield from _slices(_array(db, first + handle.read()), chunk)
        return
    pending: list[pa.Table] = []
    held, carry, number = 0, b"", 1
    block = first
    while block:
        data, block = carry + block, handle.read(_BLOCK)
        cut = len(data) if not block else data.rfind(b"\n") + 1
        data, carry = data[:cut], data[cut:]
        lines, count = _lines(data, number)
        number += count
        pending.append(lines)
        held += lines.num_rows
        while held >= chunk:
            table = pa.concat_tables(pending)
            yield table.slice(0, chunk)
            pending, held = [table.slice(chunk)], held - chunk
    if held:
        yield pa.concat_tables(pending)


def _lines(data: bytes, first: int) -> tuple[pa.Table, int]:
    """The non-blank lines of `data` (whole lines, UTF-8, each with its line break) numbered
    from `first`, and how many lines `data` holds, blank ones included: Arrow strings over
    `data` itself, cut at the line breaks, not copied."""
    if not data:
        return _EMPTY, 0
    raw = np.frombuffer(data, np.uint8)
    starts = np.concatenate(([0], np.flatnonzero(raw == _NEWLINE) + 1))
    if data.endswith(b"\n"):
        starts = starts[:-1]
    offsets = np.append(starts, len(data)).astype(np.int64)
    lines = _utf8(
        pa.LargeStringArray.from_buffers(len(starts), pa.py_buffer(offsets), pa.py_buffer(data)),
        data,
        first,
    )
    numbers = pa.array(np.arange(first, first + len(starts)), pa.int64())
    table = pa.table({"_line": numbers, "raw": lines.cast(pa.string())})
    blank = _blank(data, raw, offsets)
    return (table.filter(pa.array(~blank)) if blank.any() else table), len(starts)


def _blank(data: bytes, raw: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Which lines hold only white space. A JSON line begins with `{`, so only a line whose
    first byte is white space or starts a multi-byte character needs a closer look."""
    starts, ends = offsets[:-1], offsets[1:]
    first = raw[np.minimum(starts, len(raw) - 1)]
    doubtful = np.flatnonzero((first <= _SPACE) | (first >= _MULTIBYTE))
    blank = np.zeros(len(starts), bool)
    for i in doubtful:
        blank[i] = data[starts[i] : ends[i]].decode("utf-8").strip() == ""
    return blank


def _utf8(text: pa.LargeStringArray, data: bytes, first: int) -> pa.LargeStringArray:
    """`text` once its bytes are known to be UTF-8, else which line and byte are not."""
    try:
        text.validate(full=True)
    except pa.ArrowInvalid as err:
        bad = _first_bad_byte(data)
        line = first + data.count(b"\n", 0, bad)
        column = bad - data.rfind(b"\n", 0, bad)
        raise IngestError(
            f"line {line} is not UTF-8 text (byte {column} of the line)",
            details={"line": line, "column": column},
        ) from err
    return text


def _first_bad_byte(data: bytes) -> int:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        return err.start
    return 0


def _array(db: Database, data: bytes) -> pa.Table:
    """A JSON array's elements as (_line = position, raw), parsed by DuckDB; one DuckDB would
    read more leniently than the JSON spec is parsed in Python instead, which refuses a broken
    one as a whole, saying where it goes wrong."""
    whole = pa.LargeStringArray.from_buffers(
        1, pa.py_buffer(np.array([0, len(data)], np.int64)), pa.py_buffer(data)
    )
    elements = repo.array_elements(db, _utf8(whole, data, 1))
    if elements is not None:
        return elements
    try:
        items = json.loads(data.decode("utf-8"))
    except json.JSONDecodeError as err:
        what = err.msg.removesuffix(" at")
        raise IngestError(
            f"not valid JSON ({what} at line {err.lineno}, column {err.colno})",
            details={"line": err.lineno, "column": err.colno},
        ) from err
    if not isinstance(items, list):
        raise IngestError("a file starting with [ must be one JSON array of messages")
    raws = pa.array([json.dumps(item) for item in items], pa.string())
    return pa.table({"_line": pa.array(np.arange(1, len(items) + 1), pa.int64()), "raw": raws})


def _slices(table: pa.Table, chunk: int) -> Iterator[pa.Table]:
    for start in range(0, table.num_rows, chunk):
        yield table.slice(start, chunk)


_EMPTY = pa.table({"_line": pa.array([], pa.int64()), "raw": pa.array([], pa.string())})


# ---- lines -> canonical frame -------------------------------------------------------------------


def canonical(db: Database, lines: pa.Table, received: dt.datetime, source: str) -> pa.Table:
    """The canonical frame of numbered JSON lines: DuckDB reads those in the common shape, the
    Python parser the rest; rows in line order."""
    plain = repo.plain_messages(db, lines, MAX_DEPTH)
    fast = _finished(plain, received, source)
    taken = pc.is_in(lines["_line"], value_set=plain["_line"].combine_chunks())
    rest = lines.filter(pc.invert(taken))
    if rest.num_rows == 0:
        return fast
    raws = [_parsed(raw) for raw in rest["raw"].to_pylist()]
    numbered = list(zip(rest["_line"].to_pylist(), raws, strict=True))
    slow = from_messages(numbered, received, source)
    both = pa.concat_tables([fast.cast(slow.schema), slow])
    return both.take(pc.sort_indices(both["_line"]))


def _finished(plain: pa.Table, received: dt.datetime, source: str) -> pa.Table:
    """DuckDB's raw fields through the shared normalisation and checks."""
    columns = {name: plain[name].combine_chunks() for name in plain.column_names}
    cols = {name: columns[name] for name in CANONICAL if name in columns and name != "ts"}
    lines = columns["_line"].to_numpy().astype(np.int64)
    # DuckDB took only lines with at most MAX_DEPTH brackets: none nests deeper
    return finish(cols, lines, columns["ts"], received, source, columns["sent_at"], shallow=True)


def _parsed(raw: str) -> Any:
    """A line the fast path left: its JSON, or why it is not JSON (column on its line)."""
    try:
        return json.loads(raw.rstrip("\r\n"))
    except json.JSONDecodeError as err:
        return json_error(err)


def json_error(err: json.JSONDecodeError) -> IngestError:
    """A line's JSON error with the column (1-based, in characters) where it goes wrong."""
    what = err.msg.removesuffix(" at")  # "Invalid control character at" names no place itself
    return IngestError(f"not valid JSON ({what} at column {err.colno})")
