"""Canonical frames: Segment-spec messages and flat tables (CSV/Parquet/DataFrame) as one
Arrow table with the `CANONICAL` columns, one row per message, `_line` its 1-based position.
Values are normalised and validated vectorised (per distinct value where a check is Python),
and a bad row carries its reason in `_reject`. docs/ingestion.md documents the mappings.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import operator
import unicodedata
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dsl.names import MAX_EVENT_NAME, fold, refused_character
from engine.catalog.vocab import CHANNELS, IDENTITY_TYPES
from engine.models import Rejection
from kith_errors import IngestError

KEY_COLUMNS: tuple[str, ...] = IDENTITY_TYPES
TEXT_COLUMNS = ("message_id", "type", "channel", "source", "session_id", "device")
JSON_COLUMNS = ("properties", "context", "traits")
CANONICAL = ("_line", *TEXT_COLUMNS, "ts", *JSON_COLUMNS, *KEY_COLUMNS, "_reject")
# Segment library channels that are not messaging channels of ours.
_SEGMENT_CHANNELS = {"browser": "web", "server": None, "mobile": None, "client": None}
MAX_DEPTH = 32  # levels of objects and lists a message's JSON values may nest
# event times outside [EARLIEST, receipt + LATEST_AHEAD] are refused (docs/ingestion.md)
EARLIEST = dt.datetime(1970, 1, 1)
LATEST_AHEAD = dt.timedelta(days=1)
BAD_UNICODE = "the message holds a lone surrogate (such as \\ud800), which is not text"


# ---- Segment messages -> canonical rows --------------------------------------------------------


def from_messages(numbered: list[tuple[int, Any]], received: dt.datetime, source: str) -> pa.Table:
    """Each message parsed once into a row with every field, the rows turned into columns in
    one transposition, one Arrow column per field (no DataFrame in between; normalisation and
    validation then run column-wise in `finish`)."""
    rows = [_ROW(_parsed(msg)) for _, msg in numbered]
    try:
        cols, times, sent = _columns(rows)
    except UnicodeEncodeError:  # rare: some message holds a lone surrogate; refuse it alone
        cols, times, sent = _columns([_text_only(row) for row in rows])
    lines = np.fromiter((line for line, _ in numbered), dtype=np.int64, count=len(numbered))
    return finish(cols, lines, times, received, source, sent)


def _columns(rows: list[tuple[Any, ...]]) -> tuple[dict[str, pa.Array], pa.Array, pa.Array]:
    columns = dict(zip(_FIELDS, zip(*rows, strict=True), strict=True)) if rows else _NO_ROWS
    cols = {name: pa.array(columns[name], pa.string()) for name in _FIELDS if name not in _TIMES}
    times, sent = (pa.array(_time_texts(columns[name]), pa.string()) for name in _TIMES)
    return cols, times, sent


def _text_only(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """The row, or a refused one when a value of it is not valid Unicode (a lone surrogate:
    JSON's escapes allow one, UTF-8 and Arrow do not)."""
    try:
        for value in row:
            if type(value) is str:
                value.encode("utf-8")
    except UnicodeEncodeError:
        return _ROW({**_BLANK, "_reject": BAD_UNICODE})
    return row


# every field a parsed message fills (None when it has no value), in one fixed order
_TIMES = ("ts", "sent_at")
_FIELDS = (*(name for name in CANONICAL if name != "_line"), "sent_at")
_BLANK = dict.fromkeys(_FIELDS)
_ROW = operator.itemgetter(*_FIELDS)
_NO_ROWS: dict[str, tuple[Any, ...]] = dict.fromkeys(_FIELDS, ())
# one encoder for every message: json.dumps(..., default=str) would build one per call; NaN
# and Infinity are not JSON, so they are refused rather than written as invalid JSON
_ENCODE = json.JSONEncoder(default=str, allow_nan=False).encode


def _json(value: Any, where: str) -> str:
    try:
        return _ENCODE(value)
    except ValueError as err:
        raise IngestError(f"{where} holds NaN or Infinity, which JSON has no value for") from err
    except RecursionError as err:
        raise IngestError(_too_deep(where)) from err


def _too_deep(where: str) -> str:
    return f"{where} nests deeper than {MAX_DEPTH} levels of objects and lists"


def _parsed(msg: Any) -> dict[str, Any]:
    try:
        if isinstance(msg, Exception):
            raise msg
        return parse_message(msg)
    except IngestError as err:
        return {**_BLANK, "_reject": err.message}
    except RecursionError:  # nested too deep for Python's own JSON encoder
        return {**_BLANK, "_reject": nesting_problem(msg) or _too_deep("the message")}


def nesting_problem(message: dict[str, Any]) -> str | None:
    """Which top-level field of a message nests deeper than MAX_DEPTH (None: none does).
    Iterative, so any depth is measured without recursion."""
    for key, value in message.items():
        if _deeper_than(value, MAX_DEPTH):
            return _too_deep(str(key))
    return None


def _deeper_than(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _time_texts(values: tuple[Any, ...]) -> list[str | None]:
    """Times as given, as text (any other JSON value becomes its JSON text, to be refused as
    not ISO 8601)."""
    return [v if v is None or type(v) is str else _json_text(v) for v in values]


def _json_text(value: Any) -> str:
    try:
        return json.dumps(value, default=str)
    except (ValueError, RecursionError):
        return type(value).__name__


def parse_message(msg: Any) -> dict[str, Any]:
    """One Segment-spec message as a raw canonical row with every field of `_FIELDS` (values
    normalised later, vectorised)."""
    if not isinstance(msg, dict):
        raise IngestError("a message must be a JSON object")
    kind = _text(msg, "type")
    if kind is None or kind.lower() not in _KINDS:
        raise IngestError(f"type must be one of {', '.join(_KINDS)}, got {msg.get('type')!r}")
    context, props = _obj(msg, "context"), _obj(msg, "properties")
    traits = _obj(context, "traits", "context.traits")
    given = _obj(msg, "traits")
    traits = {**traits, **given} if traits and given else traits or given
    row = _BLANK.copy()
    row["message_id"] = _text(msg, "messageId") or _hash_id(msg)
    row["ts"] = _given_time(msg)
    row["sent_at"] = msg.get("sentAt")
    row["channel"] = _channel(msg, context, props)
    row["session_id"] = _text(context, "sessionId") or _text(props, "session_id")
    row["device"] = _device(context)
    row["context"] = _json(context, "context")
    row.update(_keys(msg, context, traits))
    row.update(_KINDS[kind.lower()](msg, props, traits))
    return row


def _track(msg: dict, props: dict, traits: dict) -> dict[str, Any]:
    event = _text(msg, "event")
    if not event:
        raise IngestError("a track message needs an event name (field `event`)")
    return {"type": event, "properties": _json(props, "properties")}


def _identify(msg: dict, props: dict, traits: dict) -> dict[str, Any]:
    profile = _json(profile_traits(traits), "traits")
    return {"type": "identify", "properties": "{}", "traits": profile}


def _page(msg: dict, props: dict, traits: dict) -> dict[str, Any]:
    page = _obj(_obj(msg, "context"), "page", "context.page")
    merged: dict[str, Any] = {k: page[k] for k in ("url", "path", "title", "referrer") if k in page}
    merged.update(props)
    if _text(msg, "name"):
        merged.setdefault("name", _text(msg, "name"))
    return {"type": "page_view", "properties": _json(merged, "properties")}


def _screen(msg: dict, props: dict, traits: dict) -> dict[str, Any]:
    merged = {**props, "name": _text(msg, "name") or props.get("name")}
    return {"type": "screen", "properties": _json(merged, "properties")}


def _alias(msg: dict, props: dict, traits: dict) -> dict[str, Any]:
    previous = _text(msg, "previousId")
    if not previous or not _text(msg, "userId"):
        raise IngestError("an alias message needs both previousId and userId")
    if _text(msg, "anonymousId") not in (None, previous):
        raise IngestError("an alias message may not carry an anonymousId other than previousId")
    return {"type": "alias", "properties": "{}", "anonymous_id": previous}


def _group(msg: dict, props: dict, traits: dict) -> dict[str, Any]:
    group = _text(msg, "groupId")
    if not group:
        raise IngestError("a group message needs a groupId")
    body = {"group_id": group, "traits": _obj(msg, "traits")}
    return {"type": "group", "properties": _json(body, "properties")}


_KINDS: dict[str, Callable[[dict, dict, dict], dict[str, Any]]] = {
    "track": _track,
    "identify": _identify,
    "page": _page,
    "screen": _screen,
    "alias": _alias,
    "group": _group,
}
_TRAIT_ALIASES = {"lifecycle_stage": "lifecycle", "lifecycleStage": "lifecycle"}


def profile_traits(traits: dict[str, Any]) -> dict[str, Any]:
    """Segment traits as profile fields: firstName+lastName -> name, company.name -> company,
    address.city/country -> city/country; channel ids are identities, not traits."""
    out = {_TRAIT_ALIASES.get(k, k): v for k, v in traits.items() if k not in _CHANNEL_IDS}
    first, last = out.pop("firstName", None), out.pop("lastName", None)
    if "name" not in out and (first or last):
        out["name"] = " ".join(str(p) for p in (first, last) if p)
    if isinstance(out.get("company"), dict):
        out["company"] = out["company"].get("name")
    address = out.pop("address", None)
    if isinstance(address, dict):
        for part in ("city", "country"):
            out.setdefault(part, address.get(part))
    for key in ("email", "phone"):
        out.pop(key, None)  # identity keys: normalised and applied from the key columns
    return out


_CHANNEL_IDS = tuple(t for t in IDENTITY_TYPES if t not in ("user_id", "email", "phone"))
_TRAIT_KEYS = ("email", "phone", *_CHANNEL_IDS[:-1])  # not anonymous_id


def _keys(msg: dict, context: dict, traits: dict) -> dict[str, Any]:
    """Identity keys: userId, anonymousId, traits email/phone, channel ids from traits and
    context.externalIds [{type, id}] (types not ours are ignored)."""
    keys = {"user_id": _text(msg, "userId"), "anonymous_id": _text(msg, "anonymousId")}
    for name in _TRAIT_KEYS if traits else ():
        if traits.get(name) is not None:
            keys[name] = _scalar(traits[name], f"traits.{name}")
    externals = context.get("externalIds")
    if not externals:
        return keys
    if not isinstance(externals, list):
        raise IngestError("context.externalIds must be a list of {type, id}")
    for ext in externals:
        # a field given directly wins; an empty one (None) is filled from externalIds
        if _external_type(ext) and keys.get(ext["type"]) is None:
            keys[ext["type"]] = _scalar(ext["id"], "context.externalIds.id")
    return keys


def _external_type(ext: Any) -> bool:
    return isinstance(ext, dict) and ext.get("type") in IDENTITY_TYPES and bool(ext.get("id"))


def _channel(msg: dict, context: dict, props: dict) -> str | None:
    raw = _text(context, "channel") or _text(props, "channel") or _text(msg, "channel")
    if raw is None:
        return "web" if str(msg.get("type")).lower() == "page" else None
    return _SEGMENT_CHANNELS.get(raw.lower(), raw.lower())


def _device(context: dict) -> str | None:
    device = context.get("device")
    if isinstance(device, dict) and device.get("type"):
        return str(device["type"]).lower()
    agent = str(context.get("userAgent") or "").lower()
    if not agent:
        return None
    if "ipad" in agent or "tablet" in agent:
        return "tablet"
    return "mobile" if "mobi" in agent or "android" in agent else "desktop"


def _text(obj: dict, key: str) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        return None
    return value if type(value) is str else _scalar(value, key)


def _scalar(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise IngestError(f"{where} must be a string or a number, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise IngestError(f"{where} must be a finite number, got {value!r}")
    return str(value)


def _given_time(msg: dict) -> Any:
    """`timestamp`, else `originalTimestamp`: any value given counts (false, 0 and [] are
    refused as not ISO 8601, not taken for a missing time); null or "" is no time."""
    for key in ("timestamp", "originalTimestamp"):
        value = msg.get(key)
        if value is not None and value != "":
            return value
    return None


def _obj(obj: dict, key: str, where: str | None = None) -> dict[str, Any]:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise IngestError(f"{where or key} must be an object, got {type(value).__name__}")
    return value


def _hash_id(msg: dict) -> str:
    """A deterministic id for a message sent without one: the same message twice is one (a
    retry sets a new `sentAt`, so that is left out)."""
    text = json.dumps({k: v for k, v in msg.items() if k != "sentAt"}, sort_keys=True, default=str)
    return "h-" + hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:24]


# ---- flat tables -> canonical rows --------------------------------------------------------------


def from_table(data: pd.DataFrame, received: dt.datetime, source: str) -> pa.Table:
    """Flat event columns (docs/ingestion.md) as canonical rows, vectorised."""
    for required in ("type", "timestamp"):
        if required not in data.columns:
            raise IngestError(
                f"the table needs a {required!r} column; it has {', '.join(map(str, data))}",
                details={"missing": required},
            )
    out = pd.DataFrame({"_line": pd.RangeIndex(1, len(data) + 1)})
    for name in (*TEXT_COLUMNS, *KEY_COLUMNS, "context"):
        if name in data.columns:
            out[name] = _strings(data[name])
    out["ts"] = data["timestamp"]
    out["properties"] = _json_of(data, "prop_", "properties")
    out["traits"] = _json_of(data, "trait_", None)
    given = out["message_id"] if "message_id" in out else pd.Series(None, index=out.index)
    missing = (given.isna() | (given.astype("string") == "")).to_numpy(dtype=bool)
    if missing.any():
        given = given.astype(object)
        given[missing] = _row_hashes(data[missing]).to_numpy()
    out["message_id"] = given
    cols = {name: _arrow_text(out[name]) for name in CANONICAL if name in out and name != "ts"}
    lines = out.pop("_line").to_numpy(dtype=np.int64)
    return finish(cols, lines, out["ts"], received, source)


def _strings(values: pd.Series) -> pd.Series:
    """Text as given (trimmed later, in SQL); numbers and the like as their text."""
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        return values
    return values.astype("string")


def _json_of(data: pd.DataFrame, prefix: str, column: str | None) -> pd.Series:
    """`prefix*` columns packed into one JSON object per row (empty cells left out), or the
    given JSON column as it is."""
    cols = [c for c in data.columns if str(c).startswith(prefix)]
    if not cols:
        if column and column in data.columns:
            return _strings(data[column]).mask(lambda s: s == "")
        return pd.Series([None] * len(data), dtype="object")
    part = data[cols].rename(columns=lambda c: str(c)[len(prefix) :])
    part = part.astype(object).where(part.notna(), None)
    text = part.to_json(orient="records", lines=True, date_format="iso")
    lines = pd.Series(text.splitlines(), dtype="string")
    return lines.str.replace(r'"[^"]+":null,?', "", regex=True).str.replace(",}", "}")


def _row_hashes(data: pd.DataFrame) -> pd.Series:
    hashed = pd.util.hash_pandas_object(data.astype("string"), index=False)
    return "h-" + pd.Series(hashed.to_numpy(), dtype="uint64").map("{:016x}".format)


# ---- shared: normalisation and validation (vectorised) ------------------------------------------


def finish(
    cols: dict[str, pa.Array],
    lines: np.ndarray,
    raw_ts: pd.Series | pa.Array,
    received: dt.datetime,
    source: str,
    sent_at: pa.Array | None = None,
    *,
    shallow: bool = False,
) -> pa.Table:
    """The canonical Arrow table (absent columns all null): names and times normalised, why a
    bad row is rejected in `_reject`. `sent_at` (Segment's `sentAt`, messages only) corrects
    the device clock. `shallow`: the caller knows no JSON column nests deeper than MAX_DEPTH
    (it counted the brackets), so they are not measured again. Identity values are normalised
    and checked while staging."""
    n = len(lines)
    cols = {name: cols.get(name, pa.nulls(n, pa.string())) for name in CANONICAL}
    ts, bad_ts = _times(raw_ts, received)
    bad_sent, corrected = None, None
    if sent_at is not None and sent_at.null_count < n:
        ts, bad_sent, corrected = _skew_corrected(ts, raw_ts, sent_at, received)
    cols["type"], bad_type = _per_distinct(cols["type"], _type_name)
    cols["channel"], bad_channel = _per_distinct(cols["channel"], _channel_name)
    cols["source"] = pc.fill_null(cols["source"], source)
    reasons = [
        cols["_reject"],
        *_nul_reasons(cols),
        *([] if shallow else _nesting_reasons(cols)),
        bad_ts,
        bad_sent,
        _range_reasons(ts, received, corrected),
        bad_type,
        bad_channel,
    ]
    cols["_reject"] = pc.coalesce(*[r for r in reasons if r is not None])
    cols["_line"] = pa.array(lines, pa.int64())
    cols["ts"] = ts
    return pa.table({name: cols[name] for name in CANONICAL})


# text columns where a NUL character is refused (it ends strings in C and most tools)
_NUL_CHECKED = ("message_id", "session_id", "device", "source", *KEY_COLUMNS)


def _nul_reasons(cols: dict[str, pa.Array]) -> list[pa.Array]:
    """Why a row is refused for a NUL character in an identity or id column (null: it is not);
    only columns holding one are looked at."""
    found = []
    for name in _NUL_CHECKED:
        column = cols[name]
        if column.null_count == len(column):
            continue
        text = column if pa.types.is_string(column.type) else column.cast(pa.string())
        has_nul = pc.fill_null(pc.match_substring(text, "\x00"), False)
        if pc.any(has_nul).as_py():
            found.append(pc.if_else(has_nul, f"{name} holds a NUL character (\\u0000)", None))
    return found


def _nesting_reasons(cols: dict[str, pa.Array]) -> list[pa.Array]:
    """Why a row is refused for a JSON column nesting deeper than MAX_DEPTH. A text with at
    most MAX_DEPTH opening brackets cannot nest deeper, so only the rare others are parsed."""
    found = []
    for name in JSON_COLUMNS:
        text = cols[name]
        if text.null_count == len(text):
            continue
        brackets = pc.count_substring_regex(text, r"[\[{]")
        suspects = pc.fill_null(pc.greater(brackets, MAX_DEPTH), False)
        if not pc.any(suspects).as_py():
            continue
        texts = text.to_pylist()
        deep = [bool(s) and _text_too_deep(texts[i]) for i, s in enumerate(suspects.to_pylist())]
        found.append(pc.if_else(pa.array(deep), _too_deep(name), None))
    return found


def _text_too_deep(text: str) -> bool:
    try:
        return _deeper_than(json.loads(text), MAX_DEPTH)
    except RecursionError:
        return True
    except ValueError:
        return False  # not JSON: refused by staging with its own reason


def _range_reasons(ts: pa.Array, received: dt.datetime, corrected: pa.Array | None) -> pa.Array:
    """Why an event time is refused for being before EARLIEST or more than LATEST_AHEAD after
    the receipt time (a year 9999 event would top every "newest" list for ever); `corrected`:
    where the time was moved by the device-clock correction."""
    latest = _naive_utc(received) + LATEST_AHEAD
    early = pc.less(ts, pa.scalar(EARLIEST, pa.timestamp("us")))
    late = pc.greater(ts, pa.scalar(latest, pa.timestamp("us")))
    outside = pc.fill_null(pc.or_(early, late), False)
    if not pc.any(outside).as_py():
        return pa.nulls(len(ts), pa.string())
    rule = f" is outside the accepted range: from {EARLIEST:%Y-%m-%d} to one day after receipt"
    after = pa.scalar(" (after the device-clock correction from sentAt)" + rule)
    moved = pc.fill_null(corrected, False) if corrected is not None else False
    tail = pc.if_else(moved, after, pa.scalar(rule))
    reason = pc.binary_join_element_wise("timestamp ", pc.strftime(ts, "%Y-%m-%d"), tail, "")
    return pc.if_else(outside, reason, None)


def _times(raw: pd.Series | pa.Array, received: dt.datetime) -> tuple[pa.Array, pa.Array]:
    """UTC-naive timestamps; a missing time is the receipt time, an unparsable one a reason."""
    if isinstance(raw, pd.Series) and pd.api.types.is_datetime64_any_dtype(raw):
        parsed = raw.dt.tz_convert("UTC") if raw.dt.tz is not None else raw.dt.tz_localize("UTC")
        naive = parsed.dt.tz_convert(None).to_numpy(dtype="datetime64[us]")
        return pa.array(naive), pa.nulls(len(raw), pa.string())
    text = _arrow_text(raw) if isinstance(raw, pd.Series) else raw
    text = pc.utf8_trim_whitespace(text)
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    default = pa.scalar(_naive_utc(received), pa.timestamp("us"))
    if text.null_count == len(text):
        return pa.array(np.full(len(text), default.value, "datetime64[us]")), pa.nulls(
            len(text), pa.string()
        )
    values, reasons = _parsed_text_times(text, "timestamp")
    return pc.fill_null(values, default), reasons


def _parsed_text_times(text: pa.Array, field: str) -> tuple[pa.Array, pa.Array]:
    """Blank-trimmed ISO 8601 texts as naive UTC (null where missing or bad), and why a bad one
    is not a time, naming `field`; each distinct text is parsed once."""
    encoded = pc.dictionary_encode(text)
    values, reasons = _parse_times(encoded.dictionary.to_pylist(), field)
    return pc.take(values, encoded.indices), pc.take(reasons, encoded.indices)


def _parse_times(texts: list[str], field: str) -> tuple[pa.Array, pa.Array]:
    """ISO 8601 texts (each distinct one once) as naive UTC, or why one is not."""
    parsed = pd.to_datetime(
        pd.Series(texts, dtype=object), utc=True, format="ISO8601", errors="coerce"
    )
    naive = parsed.dt.tz_convert(None).to_numpy(dtype="datetime64[us]")
    bad = np.isnat(naive)
    reasons = [
        f"{field} {t!r} is not ISO 8601" if b else None for t, b in zip(texts, bad, strict=True)
    ]
    return pa.array(naive, pa.timestamp("us"), mask=bad), pa.array(reasons, pa.string())


def _skew_corrected(
    ts: pa.Array, raw_ts: pa.Array, sent_at: pa.Array, received: dt.datetime
) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Segment's clock-skew correction: a message that gives both its time and `sentAt` is
    stored at receivedAt - (sentAt - timestamp), since both were read off the same (possibly
    wrong) device clock; without either the time stays as it was. Also why a `sentAt` is bad."""
    text = pc.utf8_trim_whitespace(sent_at)
    sent, bad = _parsed_text_times(pc.if_else(pc.equal(text, ""), None, text), "sentAt")
    given = pc.and_(pc.is_valid(sent), pc.invert(pc.equal(pc.utf8_trim_whitespace(raw_ts), "")))
    offset = pc.subtract(pa.scalar(_naive_utc(received), pa.timestamp("us")), sent)
    fixed = pc.add(ts, offset)
    applied = pc.fill_null(given, False)
    return pc.if_else(applied, fixed, ts), bad, applied


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def _per_distinct(
    raw: pa.Array, check: Callable[[str], tuple[str | None, str | None]]
) -> tuple[pa.Array, pa.Array]:
    """Apply `check` (value -> (normalised, reason)) once per distinct value: event types and
    channels repeat a lot, so this stays cheap on millions of rows."""
    encoded = pc.dictionary_encode(raw)
    pairs = [check(str(u)) for u in encoded.dictionary.to_pylist()]
    values = pa.array([p[0] for p in pairs], pa.string())
    reasons = pa.array([p[1] for p in pairs], pa.string())
    return pc.take(values, encoded.indices), pc.take(reasons, encoded.indices)


def _type_name(text: str) -> tuple[str | None, str | None]:
    """Unicode NFKC first (fullwidth `Ｏｒｄｅｒ` is `Order`), then snake_case that keeps every
    letter: "Order Completed" / "orderCompleted" / "order-completed" -> "order_completed",
    "Ürün Görüntülendi" -> "ürün_görüntülendi". Only case, camelCase and runs of spaces and
    punctuation fold together; a name with anything else (an emoji, a symbol, a control
    character) is refused, so two different names never become one silently."""
    name = unicodedata.normalize("NFKC", text).strip()
    odd = refused_character(name)
    if odd is not None:
        return None, (
            f"event type {text!r} holds {odd!r}, which is not a letter, digit, space or punctuation"
        )
    snake = fold(name)  # the language folds what people type the same way (dsl/names.py)
    if snake and unicodedata.category(snake[0])[0] == "L" and len(snake) <= MAX_EVENT_NAME:
        return snake, None
    return None, (
        f"event type {text!r} is not a valid name (it must start with a letter and be at most "
        f"{MAX_EVENT_NAME} characters of letters, digits, spaces, _ or -)"
    )


def _channel_name(text: str) -> tuple[str | None, str | None]:
    name = text.strip().lower()
    if name in CHANNELS:
        return name, None
    return None, f"unknown channel {text!r}; known channels: {', '.join(CHANNELS)}"


def rejections(pairs: list[tuple[int, str]]) -> list[Rejection]:
    return [Rejection(line=line, reason=reason) for line, reason in sorted(pairs)]


def _arrow_text(values: pd.Series) -> pa.Array:
    """A column as an Arrow string array (no Python objects for Arrow-backed text)."""
    array = pa.array(values, from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        return array
    if pa.types.is_null(array.type):
        return pa.nulls(len(values), pa.string())
    return array.cast(pa.string())
