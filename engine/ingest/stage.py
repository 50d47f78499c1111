"""Staging a canonical batch (engine/ingest/frames.py) column-wise in Arrow, before anything is
written: identity values normalized, each line's rejection reason, duplicates found, and the
identity keys extracted as (line, key) pairs over the batch's unique keys. The store is only
asked what it holds (message ids already stored, JSON it cannot parse, trait values the catalog
refused); the rest is pyarrow.compute and numpy over whole columns, or over distinct values.

Rejection reasons, in order (the first that applies): the frame's own, a refused trait, an
event its type's enforced schema refuses (engine/ingest/schemas.py), no identity, a malformed
email, a malformed phone (engine/catalog/normalize.py), properties / context not a JSON
object; then, among the good lines, duplicates; then lines whose every identity value is
blocked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.catalog.normalize import Normalized, normalize_arrow, rule
from engine.ingest.frames import KEY_COLUMNS
from store import ingest as repo
from store.db import Database

NO_IDENTITY = "no identity: needs userId, anonymousId or another identity key"
ALL_BLOCKED = "no usable identity: every identity value is blocked (see settings.blocked_values)"
NARROW = ("_line", "message_id", "ts", "channel", "source", "device", "session_id", *KEY_COLUMNS)
_NULL = pa.scalar(None, pa.string())


@dataclass
class Staged:
    """The batch's accepted lines (`narrow`, NARROW columns), its unique keys (`keys`: key,
    type, value, prio), (line, key) `pairs`, the earliest event time per key (`first_us`), the
    blocked values seen, and what was refused."""

    narrow: pa.Table
    keys: pa.Table
    pairs: dict[str, np.ndarray]
    first_us: np.ndarray
    blocked: list[dict[str, Any]]
    rejected: list[tuple[int, str]]
    duplicates: int


def stage(
    db: Database,
    batch: repo.Staging,
    policy: tuple[list[str], list[str]],
    checked: bool,
    by_schema: pa.Array,
) -> Staged:
    """Stage the batch's input; `policy` is (blocked values, identity priority); `checked`:
    the batch's registered traits were checked (engine/ingest/traits.py); `by_schema`: per
    row, why its event type's enforced schema refuses it (engine/ingest/schemas.py)."""
    canon = batch.canon
    lines = canon["_line"].to_numpy().astype(np.int64)
    at = _positions(lines)
    given = {name: normalize_arrow(name, _flat(canon[name])) for name in KEY_COLUMNS}
    traits = repo.trait_reasons(db, batch) if checked else []
    reason = _reasons(db, batch, given, (at, traits), by_schema)
    cols = {name: column.stored for name, column in given.items()}
    good = pc.is_null(reason).to_numpy(zero_copy_only=False)
    dup = _duplicates(db, batch, at, good)
    rejected = _pairs(lines, reason, ~good)
    narrow = _kept(_narrow(canon, cols), good & ~dup)
    keyed = _keys(narrow, *policy)
    rejected += [(int(line), ALL_BLOCKED) for line in keyed.pop("keyless")]
    return Staged(rejected=rejected, duplicates=int(dup.sum()), **keyed)


def _flat(column: pa.ChunkedArray) -> pa.Array:
    return column.combine_chunks()


def _positions(lines: np.ndarray) -> np.ndarray:
    """Row position by line number (-1 for numbers not in the batch)."""
    at = np.full(int(lines.max()) + 1 if len(lines) else 0, -1, dtype=np.int64)
    at[lines] = np.arange(len(lines))
    return at


def _reasons(
    db: Database,
    batch: repo.Staging,
    keys: dict[str, Normalized],
    found: tuple[np.ndarray, list[tuple[int, str]]],
    by_schema: pa.Array,
) -> pa.Array:
    """Why each line is rejected (null: it is not), the first reason that applies; `found`:
    the row position per line, and the refused traits' (line, reason)."""
    n, (at, traits) = batch.canon.num_rows, found
    props, ctx = repo.bad_json_lines(db, batch)
    order = [
        _flat(batch.canon["_reject"]),
        _at_lines(at, n, traits),
        by_schema,
        *identity_reasons(keys),
        _at_lines(at, n, [(line, "properties is not a JSON object") for line in props]),
        _at_lines(at, n, [(line, "context is not a JSON object") for line in ctx]),
    ]
    return pc.coalesce(*order)


def identity_reasons(keys: dict[str, Normalized]) -> list[pa.Array]:
    """The checks on the identity values alone, in order: no identity at all, then a malformed
    email, then a malformed phone (null where a row passes)."""
    keyless = pc.is_null(pc.coalesce(*(column.given for column in keys.values())))
    return [
        pc.if_else(keyless, pa.scalar(NO_IDENTITY), _NULL),
        *(_malformed(kind, keys[kind]) for kind in ("email", "phone")),
    ]


def _malformed(kind: str, column: Normalized) -> pa.Array:
    """ "email 'x' is not an email address" where the value given is not valid, else null."""
    reason = pc.binary_join_element_wise(f"{kind} '", column.given, f"' {rule(kind).problem}", "")
    return pc.if_else(column.invalid, reason, _NULL)


def is_blocked(values: pa.Array, blocked: list[str]) -> pa.Array:
    """Whether each identity value is one never used for matching (compared lower-cased and
    trimmed of spaces; null where the value is missing)."""
    cleaned = pc.utf8_lower(pc.utf8_trim(values, " "))
    return pc.is_in(cleaned, value_set=pa.array(blocked, pa.string()))


def _at_lines(at: np.ndarray, n: int, found: list[tuple[int, str]]) -> pa.Array:
    """A few (line, reason) pairs as a column over the batch's rows."""
    if not found:
        return pa.nulls(n, pa.string())
    where = np.full(n, -1, dtype=np.int64)
    where[at[np.array([line for line, _ in found], dtype=np.int64)]] = np.arange(len(found))
    reasons = pa.array([reason for _, reason in found], pa.string())
    return pc.take(reasons, pa.array(where, mask=where < 0))


def _duplicates(db: Database, batch: repo.Staging, at: np.ndarray, good: np.ndarray) -> np.ndarray:
    """Per row: a good line whose message_id is already stored, or taken by an earlier good
    line of the batch. The store names the few lines whose id repeats; only those are sorted."""
    dup = np.zeros(len(good), dtype=bool)
    lines, ids = repo.repeated_message_lines(db, batch)
    rows = at[lines]
    rows, ids = rows[good[rows]], ids[good[rows]]
    if len(rows):
        order = np.argsort(rows, kind="stable")
        _, first = np.unique(ids[order], return_index=True)
        dup[rows] = True
        dup[rows[order][first]] = False
    dup[at[repo.stored_message_lines(db, batch)]] = True
    return dup & good


def _pairs(lines: np.ndarray, reason: pa.Array, mask: np.ndarray) -> list[tuple[int, str]]:
    texts = reason.filter(pa.array(mask)).to_pylist()
    return list(zip(lines[mask].tolist(), texts, strict=True))


def _narrow(canon: pa.Table, keys: dict[str, pa.Array]) -> pa.Table:
    session = normalize_arrow("session_id", _flat(canon["session_id"])).stored
    cols = {name: _flat(canon[name]) for name in NARROW if name not in keys}
    return pa.table({**cols, "session_id": session, **keys}).select(list(NARROW))


def _keys(narrow: pa.Table, blocked: list[str], priority: list[str]) -> dict[str, Any]:
    """The unique keys of the accepted lines (per type, blocked values left out, numbered in
    type order and then first appearance), their (line, key) pairs, each key's earliest event
    time, the blocked values seen (with how many messages), and the lines left with no key."""
    lines = narrow["_line"].to_numpy().astype(np.int64)
    us = pc.cast(narrow["ts"], pa.int64()).to_numpy()
    parts = [_type_keys(narrow[t].combine_chunks(), t, blocked) for t in KEY_COLUMNS]
    offsets = np.cumsum([0] + [len(p["values"]) for p in parts])
    rows = np.concatenate([p["rows"] for p in parts])
    key = np.concatenate([p["key"] + off for p, off in zip(parts, offsets, strict=False)])
    first_us = np.full(int(offsets[-1]), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_us, key, us[rows])
    has_key = np.zeros(len(lines), dtype=bool)
    has_key[rows] = True
    return {
        "narrow": _kept(narrow, has_key),
        "keys": _key_table(parts, priority),
        "pairs": {"_line": lines[rows], "key": key},
        "first_us": first_us,
        "blocked": sorted((b for p in parts for b in p["blocked"]), key=_type_value),
        "keyless": lines[~has_key],
    }


def _kept(table: pa.Table, mask: np.ndarray) -> pa.Table:
    """The rows of `table` where `mask` holds (no copy when it holds everywhere)."""
    return table if mask.all() else table.filter(pa.array(mask))


def _type_value(entry: dict[str, Any]) -> tuple[str, str]:
    return entry["type"], entry["value"]


def _type_keys(values: pa.Array, kind: str, blocked: list[str]) -> dict[str, Any]:
    """One type's distinct values (blocked ones left out) and, per row that has a usable one,
    the row and the value's number."""
    encoded = pc.dictionary_encode(values)
    unique = encoded.dictionary
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    refused = is_blocked(unique, blocked).to_numpy(zero_copy_only=False)
    number = np.where(refused, -1, np.cumsum(~refused) - 1)
    given = codes >= 0
    seen = np.bincount(codes[given], minlength=len(unique)) if len(unique) else codes[:0]
    rows = np.flatnonzero(given)
    usable = number[codes[rows]] >= 0
    names = unique.filter(pa.array(~refused)) if len(unique) else unique
    return {
        "values": names,
        "rows": rows[usable],
        "key": number[codes[rows[usable]]],
        "blocked": [
            {"type": kind, "value": unique[int(i)].as_py(), "messages": int(seen[i])}
            for i in np.flatnonzero(refused & (seen > 0))
        ],
        "type": kind,
    }


def _key_table(parts: list[dict[str, Any]], priority: list[str]) -> pa.Table:
    values = pa.concat_arrays([p["values"].cast(pa.string()) for p in parts])
    types = np.concatenate([np.full(len(p["values"]), p["type"], dtype=object) for p in parts])
    rank = {name: i for i, name in enumerate(priority)}
    prio = np.concatenate([np.full(len(p["values"]), rank[p["type"]]) for p in parts])
    return pa.table(
        {
            "key": pa.array(np.arange(len(values)), pa.int64()),
            "type": pa.array(types, pa.string()),
            "value": values,
            "prio": pa.array(prio, pa.int32()),
        }
    )
