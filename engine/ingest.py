"""Ingestion: Segment-spec messages, JSONL files, and flat CSV/Parquet/DataFrame events.

Every input becomes one canonical frame (`CANONICAL` columns, one row per message, `_line`
its 1-based position); values are normalised and validated vectorised in pandas, and the batch
then runs set-based through DuckDB: staging with dedupe, identity resolution
(engine/identity.py), sessions (engine/sessions.py), events, profile updates, all in one
transaction. docs/ingestion.md documents the mappings.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from engine import identity, sessions
from engine.batch import IngestBatch
from engine.clock import utcnow
from engine.models import IngestReport, Rejection
from engine.vocab import (
    CHANNELS,
    IDENTITY_TYPES,
    SOURCES,
    STANDARD_EVENT_TYPES,
    STANDARD_PROPERTIES,
)
from kith_errors import IngestError
from store import ingest as repo

if TYPE_CHECKING:
    from engine.workspace import Workspace

CHUNK = 200_000
Progress = Callable[[int], None]
KEY_COLUMNS: tuple[str, ...] = IDENTITY_TYPES
TEXT_COLUMNS = ("message_id", "type", "channel", "source", "session_id", "device")
JSON_COLUMNS = ("properties", "context", "traits")
CANONICAL = ("_line", *TEXT_COLUMNS, "ts", *JSON_COLUMNS, *KEY_COLUMNS, "_reject")
# Segment library channels that are not messaging channels of ours.
_SEGMENT_CHANNELS = {"browser": "web", "server": None, "mobile": None, "client": None}
_TYPE_NAME = r"^[a-z][a-z0-9_]{0,99}$"


class Ingestor:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    # ---- public API --------------------------------------------------------------------------

    def messages(
        self,
        msgs: Iterable[dict[str, Any]],
        *,
        source: str = "api",
        received_at: dt.datetime | None = None,
        depth: int = 0,
    ) -> IngestReport:
        """Segment-spec messages (track, identify, page, screen, alias, group). Bad ones are
        rejected with their 1-based position; the good ones are stored."""
        numbered = ((i, m) for i, m in enumerate(msgs, start=1))
        return self._run_messages(numbered, source, received_at, depth, None)

    def jsonl(
        self,
        src: str | Path | IO[str],
        *,
        source: str = "import",
        progress: Progress | None = None,
    ) -> IngestReport:
        """One Segment message per line; rejections carry line numbers. Large files go in
        batches of CHUNK lines; `progress(lines_done)` is called after each."""
        if isinstance(src, str | Path):
            with open(src, encoding="utf-8") as handle:
                return self._jsonl(handle, source, progress)
        return self._jsonl(src, source, progress)

    def table(
        self, frame: pd.DataFrame | pa.Table, *, source: str = "import", depth: int = 0
    ) -> IngestReport:
        """Flat events (docs/ingestion.md: one row per event, identity keys as columns,
        properties as a JSON column or `prop_*` columns, traits as `trait_*` columns)."""
        data = frame.to_pandas() if isinstance(frame, pa.Table) else frame
        received = utcnow()
        canon = from_table(data.reset_index(drop=True), received, source)
        return self._commit(canon, received, depth, source)

    def file(
        self, path: str | Path, *, fmt: str | None = None, progress: Progress | None = None
    ) -> IngestReport:
        """A .jsonl/.json/.ndjson, .csv or .parquet file (or `fmt` to say which)."""
        path = Path(path)
        kind = (fmt or path.suffix.lstrip(".")).lower()
        if not path.is_file():
            raise IngestError(f"no such file: {path}", details={"path": str(path)})
        if kind in ("jsonl", "json", "ndjson"):
            return self.jsonl(path, progress=progress)
        if kind == "csv":
            return self.table(pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""]))
        if kind == "parquet":
            return self.table(pd.read_parquet(path))
        raise IngestError(
            f"cannot ingest {path.name}: unknown format {kind!r}; use jsonl, csv or parquet",
            details={"path": str(path), "format": kind},
        )

    # ---- plumbing ----------------------------------------------------------------------------

    def _jsonl(self, handle: IO[str], source: str, progress: Progress | None) -> IngestReport:
        return self._run_messages(_json_lines(handle), source, None, 0, progress)

    def _run_messages(
        self,
        numbered: Iterable[tuple[int, Any]],
        source: str,
        received_at: dt.datetime | None,
        depth: int,
        progress: Progress | None,
    ) -> IngestReport:
        total, done = IngestReport(), 0
        for chunk in _chunks(numbered, CHUNK):
            received = received_at or utcnow()
            canon = from_messages(chunk, received, source)
            total = combine(total, self._commit(canon, received, depth, source))
            done += len(chunk)
            if progress:
                progress(done)
        return total

    def _commit(
        self, canon: pd.DataFrame, received: dt.datetime, depth: int, source: str
    ) -> IngestReport:
        report, batch = write_batch(self.ws, canon, received, depth, source)
        if batch is not None:
            self.ws.after_ingest(batch)
        return report


def combine(a: IngestReport, b: IngestReport) -> IngestReport:
    """Two reports of one call (chunks of one file) as one."""
    return IngestReport(
        batch_id=b.batch_id if b.batch_id is not None else a.batch_id,
        batch_ids=a.batch_ids + b.batch_ids,
        accepted=a.accepted + b.accepted,
        duplicates=a.duplicates + b.duplicates,
        rejected=a.rejected + b.rejected,
        profiles_created=a.profiles_created + b.profiles_created,
        profiles_merged=a.profiles_merged + b.profiles_merged,
        sessions_started=a.sessions_started + b.sessions_started,
        profile_ids=sorted(set(a.profile_ids) | set(b.profile_ids)),
    )


def _json_lines(handle: IO[str]) -> Iterator[tuple[int, Any]]:
    """(line number, parsed JSON or the error) for each non-blank line."""
    for number, text in enumerate(handle, start=1):
        if not text.strip():
            continue
        try:
            yield number, json.loads(text)
        except json.JSONDecodeError as err:
            yield number, IngestError(f"not valid JSON ({err.msg} at column {err.colno})")


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# ---- Segment messages -> canonical rows --------------------------------------------------------


def from_messages(
    numbered: list[tuple[int, Any]], received: dt.datetime, source: str
) -> pd.DataFrame:
    rows = []
    for line, msg in numbered:
        try:
            if isinstance(msg, Exception):
                raise msg
            row = parse_message(msg)
        except IngestError as err:
            row = {"_reject": err.message}
        rows.append({"_line": line, **row})
    return finish(pd.DataFrame(rows, columns=list(CANONICAL)), received, source)


def parse_message(msg: Any) -> dict[str, Any]:
    """One Segment-spec message as a raw canonical row (values normalised later, vectorised)."""
    if not isinstance(msg, dict):
        raise IngestError("a message must be a JSON object")
    kind = _text(msg, "type")
    if kind is None or kind.lower() not in _KINDS:
        raise IngestError(f"type must be one of {', '.join(_KINDS)}, got {msg.get('type')!r}")
    context, props = _obj(msg, "context"), _obj(msg, "properties")
    traits = {**_obj(context, "traits", "context.traits"), **_obj(msg, "traits")}
    row = {
        "message_id": _text(msg, "messageId") or _hash_id(msg),
        "ts": msg.get("timestamp") or msg.get("originalTimestamp"),
        "channel": _channel(msg, context, props),
        "session_id": _text(context, "sessionId") or _text(props, "session_id"),
        "device": _device(context),
        "context": json.dumps(context, default=str),
        **_keys(msg, context, traits),
    }
    return {**row, **_KINDS[kind.lower()](msg, props, traits)}


def _track(msg: dict, props: dict, traits: dict) -> dict[str, Any]:
    event = _text(msg, "event")
    if not event:
        raise IngestError("a track message needs an event name (field `event`)")
    return {"type": event, "properties": json.dumps(props, default=str)}


def _identify(msg: dict, props: dict, traits: dict) -> dict[str, Any]:
    return {"type": "identify", "properties": "{}", "traits": json.dumps(profile_traits(traits))}


def _page(msg: dict, props: dict, traits: dict) -> dict[str, Any]:
    page = _obj(_obj(msg, "context"), "page", "context.page")
    merged = {k: page[k] for k in ("url", "path", "title", "referrer") if k in page}
    merged.update(props)
    if _text(msg, "name"):
        merged.setdefault("name", _text(msg, "name"))
    return {"type": "page_view", "properties": json.dumps(merged, default=str)}


def _screen(msg: dict, props: dict, traits: dict) -> dict[str, Any]:
    merged = {**props, "name": _text(msg, "name") or props.get("name")}
    return {"type": "screen", "properties": json.dumps(merged, default=str)}


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
    return {"type": "group", "properties": json.dumps(body, default=str)}


_KINDS: dict[str, Callable[[dict, dict, dict], dict[str, Any]]] = {
    "track": _track,
    "identify": _identify,
    "page": _page,
    "screen": _screen,
    "alias": _alias,
    "group": _group,
}
_STANDARD_TRAITS = ("name", "email", "phone", "company", "country", "city", "language")
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


def _keys(msg: dict, context: dict, traits: dict) -> dict[str, Any]:
    """Identity keys: userId, anonymousId, traits email/phone, channel ids from traits and
    context.externalIds [{type, id}] (types not ours are ignored)."""
    keys = {"user_id": _text(msg, "userId"), "anonymous_id": _text(msg, "anonymousId")}
    for name in ("email", "phone", *_CHANNEL_IDS[:-1]):
        if traits.get(name) is not None:
            keys[name] = _scalar(traits[name], f"traits.{name}")
    externals = context.get("externalIds") or []
    if not isinstance(externals, list):
        raise IngestError("context.externalIds must be a list of {type, id}")
    for ext in externals:
        if isinstance(ext, dict) and ext.get("type") in IDENTITY_TYPES and ext.get("id"):
            keys.setdefault(ext["type"], _scalar(ext["id"], "context.externalIds.id"))
    return keys


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
    return _scalar(value, key)


def _scalar(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise IngestError(f"{where} must be a string or a number, got {value!r}")
    return str(value)


def _obj(obj: dict, key: str, where: str | None = None) -> dict[str, Any]:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise IngestError(f"{where or key} must be an object, got {type(value).__name__}")
    return value


def _hash_id(msg: dict) -> str:
    """A deterministic id for a message sent without one: the same message twice is one."""
    text = json.dumps(msg, sort_keys=True, default=str)
    return "h-" + hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:24]


# ---- flat tables -> canonical rows --------------------------------------------------------------


def from_table(data: pd.DataFrame, received: dt.datetime, source: str) -> pd.DataFrame:
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
    given = given.astype(object).mask(given == "")
    missing = given.isna().to_numpy()
    if missing.any():
        given[missing] = _row_hashes(data[missing]).to_numpy()
    out["message_id"] = given
    out["_reject"] = None
    return finish(out.reindex(columns=list(CANONICAL)), received, source)


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


def finish(frame: pd.DataFrame, received: dt.datetime, source: str) -> pd.DataFrame:
    """Normalise names and times; note why bad rows are rejected in `_reject`. Identity
    values are normalised and checked in SQL while staging (store/ingest.py)."""
    reasons: list[pd.Series] = [frame["_reject"]]
    frame["ts"], bad_ts = _times(frame["ts"], received)
    frame["type"], bad_type = _per_distinct(frame["type"], _type_name)
    frame["channel"], bad_channel = _per_distinct(frame["channel"], _channel_name)
    frame["source"] = frame["source"].fillna(source)
    frame["_reject"] = _first_reason([*reasons, bad_ts, bad_type, bad_channel])
    return frame


def _times(raw: pd.Series, received: dt.datetime) -> tuple[pd.Series, pd.Series]:
    """UTC-naive timestamps; a missing time is the receipt time, an unparsable one a reason."""
    none = pd.Series(None, index=raw.index, dtype="object")
    if pd.api.types.is_datetime64_any_dtype(raw):
        parsed = raw.dt.tz_convert("UTC") if raw.dt.tz is not None else raw.dt.tz_localize("UTC")
        return parsed.dt.tz_convert(None).astype("datetime64[us]"), none
    text = raw.astype("string").str.strip().mask(lambda s: s == "")
    parsed = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
    bad = text.notna() & parsed.isna()
    parsed = parsed.where(text.notna(), pd.Timestamp(received, tz="UTC"))
    none[bad] = "timestamp " + text[bad].map(repr).astype(object) + " is not ISO 8601"
    return parsed.dt.tz_convert(None).astype("datetime64[us]"), none


def _per_distinct(
    raw: pd.Series, check: Callable[[str], tuple[str | None, str | None]]
) -> tuple[pd.Series, pd.Series]:
    """Apply `check` (value -> (normalised, reason)) once per distinct value: event types and
    channels repeat a lot, so this stays cheap on millions of rows."""
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    pairs = [check(str(u)) for u in uniques] + [(None, None)]
    values = np.array([p[0] for p in pairs], dtype=object)[codes]
    reasons = np.array([p[1] for p in pairs], dtype=object)[codes]
    return pd.Series(values, index=raw.index), pd.Series(reasons, index=raw.index)


def _type_name(text: str) -> tuple[str | None, str | None]:
    """ "Order Completed" / "orderCompleted" / "order-completed" -> "order_completed"."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text.strip())
    snake = re.sub(r"[^0-9A-Za-z]+", "_", snake).strip("_").lower()
    if re.fullmatch(_TYPE_NAME, snake):
        return snake, None
    return None, f"event type {text!r} is not a valid name (letters, digits, spaces, _ or -)"


def _channel_name(text: str) -> tuple[str | None, str | None]:
    name = text.strip().lower()
    if name in CHANNELS:
        return name, None
    return None, f"unknown channel {text!r}; known channels: {', '.join(CHANNELS)}"


def _first_reason(reasons: list[pd.Series]) -> pd.Series:
    out = pd.Series(None, index=reasons[0].index, dtype="object")
    for reason in reasons:
        out = out.fillna(reason)
    return out


def rejections(pairs: list[tuple[int, str]]) -> list[Rejection]:
    return [Rejection(line=line, reason=reason) for line, reason in sorted(pairs)]


# ---- the set-based batch write ------------------------------------------------------------------


def write_batch(
    ws: Workspace, canon: pd.DataFrame, received: dt.datetime, depth: int, source: str
) -> tuple[IngestReport, IngestBatch | None]:
    """Store one canonical batch in one transaction; the batch is None when nothing landed."""
    db, arrow = ws.db, _arrow(canon)
    try:
        with db.transaction():
            db.register("kith_in", arrow)
            return _write(ws, len(canon), received, depth, source)
    finally:
        repo.drop_staging(db)


def _write(
    ws: Workspace, total: int, received: dt.datetime, depth: int, source: str
) -> tuple[IngestReport, IngestBatch | None]:
    db, conf = ws.db, ws.settings
    rejected = repo.stage(db)
    duplicates = total - len(rejected) - repo.count(db, "kith_b")
    keys = repo.extract_keys(db, conf.blocked_values, conf.identity_priority)
    rejected += [(line, _ALL_BLOCKED) for line in keys["keyless"]]
    report = IngestReport(duplicates=duplicates, rejected=rejections(rejected))
    if repo.count(db, "kith_b") == 0:
        return report, None
    batch_id = db.allocate_ids("batches", 1)
    outcome = _resolve_identities(ws, received, source if source in SOURCES else None)
    repo.build_events(db)
    started = sessions.sessionize(ws)
    accepted = repo.count(db, "kith_ev")
    repo.insert_events(db, db.allocate_ids("events", accepted), received, batch_id, _STD_EVENTS)
    sessions.record_starts(ws, started, received, batch_id)
    repo.apply_traits(db, list(STANDARD_PROPERTIES))
    touched = repo.touch_profiles(db, received)
    _log(ws, received, keys["blocked"], outcome["log"])
    report = report.model_copy(
        update={
            "batch_id": batch_id,
            "batch_ids": [batch_id],
            "accepted": accepted,
            "profiles_created": outcome["created"],
            "profiles_merged": outcome["merged"],
            "sessions_started": started,
            "profile_ids": touched,
        }
    )
    return report, IngestBatch(batch_id, tuple(touched), accepted, received, depth)


_ALL_BLOCKED = "no usable identity: every identity value is blocked (see settings.blocked_values)"
_STD_EVENTS = list(STANDARD_EVENT_TYPES)


def _arrow(canon: pd.DataFrame) -> pa.Table:
    """The canonical frame as Arrow, column by column (no object round trips)."""
    columns = {
        "_line": pa.array(canon["_line"].to_numpy(dtype=np.int64)),
        "ts": pa.array(canon["ts"].to_numpy(dtype="datetime64[us]")),
    }
    for name in CANONICAL:
        if name not in columns:
            columns[name] = _arrow_text(canon[name])
    return pa.table({name: columns[name] for name in CANONICAL})


def _arrow_text(values: pd.Series) -> pa.Array:
    if values.isna().all():
        return pa.nulls(len(values), pa.string())
    array = pa.array(values, from_pandas=True)
    return (
        array
        if pa.types.is_string(array.type) or pa.types.is_large_string(array.type)
        else (array.cast(pa.string()))
    )


def _resolve_identities(ws: Workspace, now: dt.datetime, source: str | None) -> dict[str, Any]:
    """Resolve the staged keys to profiles; create, merge and link as decided. Registers
    `kith_rowp` (line -> profile) for the later steps."""
    db, arrays = ws.db, repo.graph_arrays(ws.db)
    graph = identity.graph_from(arrays, repo.line_ts(arrays["ts"]), ws.settings.identity_limits)
    res = identity.resolve(graph)
    first = db.allocate_ids("profiles", len(res.new_groups)) if res.new_groups else 0
    group_profile = {**res.group_profile, **identity.new_ids(res.new_groups, first)}
    db.register("kith_newp", pd.DataFrame({"id": list(range(first, first + len(res.new_groups)))}))
    repo.insert_profiles(db, now, source)
    log = list(res.log)
    for primary, secondary in res.merges:
        merge_id = ws.merges.merge(primary, secondary, actor="identity_resolution")
        log.append(_merge_entry(primary, secondary, merge_id))
    db.register("kith_rowp", identity.row_profiles(res, group_profile))
    db.register("kith_newid", identity.new_identities(graph, res, group_profile))
    repo.insert_identities(db, now, source or "ingest")
    return {"created": len(res.new_groups), "merged": len(res.merges), "log": log}


def _merge_entry(primary: int, secondary: int, merge_id: int) -> dict[str, Any]:
    return {
        "decision": "profiles_merged",
        "profile_id": primary,
        "merged": secondary,
        "merge_id": merge_id,
        "reason": "one message carried identities of both profiles",
    }


def _log(
    ws: Workspace, now: dt.datetime, blocked: list[dict[str, Any]], entries: list[dict[str, Any]]
) -> None:
    """Identity decisions to `identity_log`: blocked values seen, dropped keys, merges."""
    rows = [{"decision": "blocked_value", **b} for b in blocked] + entries
    if not rows:
        return
    frame = pd.DataFrame(
        {
            "decision": [r["decision"] for r in rows],
            "profile_id": pd.array([r.get("profile_id") for r in rows], dtype="Int64"),
            "detail": [json.dumps({k: v for k, v in r.items() if k != "decision"}) for r in rows],
        }
    )
    ws.db.register("kith_log", frame)
    repo.log_identity(ws.db, ws.db.allocate_ids("identity_log", len(rows)), now)


__all__ = ["IngestBatch", "Ingestor", "combine", "rejections", "write_batch"]
