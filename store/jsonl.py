"""Segment-spec JSON lines read by DuckDB's JSON functions: the static SQL of the JSONL fast path
(engine/ingest/jsonl.py). `plain_messages` takes the file's non-blank lines (_line, raw) and
returns, for each line in the common shape, the raw canonical fields the Python parser
(engine/ingest/frames.parse_message) would give it. A line in any other shape (not valid JSON
for DuckDB, screen/alias/group, no messageId, a value of an unusual type, externalIds, traits
that need renaming, more brackets than the nesting limit, ...) is left out, and the engine
parses it in Python: the rules live in one place, and this query only takes the lines whose
outcome it can reproduce exactly.

Every path is read by two multi-path calls (one parse each, materialised once): `json_type`
(VARCHAR, OBJECT, NULL for a JSON null, SQL NULL when absent) and `json_extract_string` (text;
objects as JSON)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from store.db import Database

# the channel ids Segment traits may carry (engine/ingest/frames._TRAIT_KEYS), in that order
TRAIT_KEYS = (
    "email",
    "phone",
    "whatsapp",
    "sms",
    "instagram",
    "telegram",
    "line",
    "facebook",
    "tiktok",
    "widget",
)
_PAGE_KEYS = ("url", "path", "title", "referrer")
_SCALARS = ("timestamp", "originalTimestamp", "sentAt", "userId", "anonymousId", "channel")
_PATHS = (
    "type",
    "messageId",
    "event",
    "name",
    "context",
    "properties",
    "traits",
    "context.traits",
    *_SCALARS,
    "context.channel",
    "context.sessionId",
    "properties.channel",
    "properties.session_id",
    "context.device",
    "context.device.type",
    "context.userAgent",
    "context.externalIds",
    "context.page",
)
_AT = {path: i for i, path in enumerate(_PATHS, start=1)}


def _t(path: str) -> str:
    """The JSON type at `path`, 'NULL' when absent or null (SQL text of a list element)."""
    return f"coalesce(t{_AT[path]}, 'NULL')"


def _v(path: str) -> str:
    """The text at `path` (strings unquoted, objects as JSON, NULL when absent or null)."""
    return f"v{_AT[path]}"


def _text(path: str) -> str:
    """Segment's `_text`: an empty string counts as absent."""
    return f"nullif({_v(path)}, '')"


def _trait_type(i: int) -> str:
    """The JSON type of the i-th identity key of the merged traits: `traits` wins when it has
    the key (null included), as in Python's {**context.traits, **traits}."""
    return f"coalesce(given_types[{i}], context_types[{i}])"


def _trait_value(i: int) -> str:
    given = f"given_types[{i}] IS NOT NULL"
    return f"CASE WHEN {given} THEN given_values[{i}] ELSE context_values[{i}] END"


def _is(path: str, *types: str) -> str:
    return f"{_t(path)} IN ({', '.join(repr(t) for t in ('NULL', *types))})"


_KIND = "kind"  # lower(type), computed once in the materialised step
# the lines this query answers for (every condition is one the Python parser would accept)
_PLAIN = " AND ".join(
    [
        f"{_t('type')} = 'VARCHAR' AND {_KIND} IN ('track', 'identify', 'page')",
        f"{_t('messageId')} = 'VARCHAR' AND {_v('messageId')} <> ''",
        *(_is(p, "VARCHAR") for p in _SCALARS),
        *(_is(p, "OBJECT") for p in ("context", "properties", "traits", "context.traits")),
        # both given: Python merges them shallowly ({**context.traits, **traits}), which
        # json_merge_patch matches unless `traits` holds a null or an object
        f"NOT ({_t('traits')} = 'OBJECT' AND {_t('context.traits')} = 'OBJECT' "
        f"AND regexp_matches({_v('traits')}[2:], '[{{]|null'))",
        *(
            f"coalesce({_trait_type(i)}, 'NULL') IN ('NULL', 'VARCHAR')"
            for i in range(1, len(TRAIT_KEYS) + 1)
        ),
        f"({_KIND} <> 'identify' OR NOT regexp_matches("
        f"coalesce({_v('traits')}, '') || coalesce({_v('context.traits')}, ''), $reshaped))",
        _is("context.externalIds"),
        f"({_KIND} <> 'track' OR ({_t('event')} = 'VARCHAR' AND {_v('event')} <> ''))",
        *(
            _is(p, "VARCHAR")
            for p in (
                "context.channel",
                "context.sessionId",
                "properties.channel",
                "properties.session_id",
                "context.userAgent",
            )
        ),
        f"({_t('context.device')} <> 'OBJECT' OR {_is('context.device.type', 'VARCHAR')})",
        f"({_KIND} <> 'page' OR ({_is('context.page', 'OBJECT')} AND {_is('name', 'VARCHAR')} "
        f"AND NOT regexp_matches(coalesce({_v('properties')}, ''), $page_keys)))",
    ]
)
_RAW_CHANNEL = "lower(raw_channel)"
# where a message's channel is read, first found first (frames._channel)
_CHANNEL_PATHS = ("context.channel", "properties.channel", "channel")
_AGENT = "agent"
# computed once per line in the materialised step (the expressions below read them often)
_KEYS = "[" + ", ".join(f"'$.{k}'" for k in TRAIT_KEYS) + "]"
_SHARED = {
    "kind": f"lower(v[{_AT['type']}])",
    "raw_channel": "coalesce("
    + ", ".join(f"nullif(v[{_AT[p]}], '')" for p in _CHANNEL_PATHS)
    + ")",
    "agent": f"lower(coalesce(v[{_AT['context.userAgent']}], ''))",
    # the identity keys in `traits` and in `context.traits` (NULL lists when not an object)
    **{
        f"{side}_{name}": f"CASE WHEN t[{_AT[path]}] = 'OBJECT' "
        f"THEN {call}(v[{_AT[path]}], {_KEYS}) END"
        for side, path in (("given", "traits"), ("context", "context.traits"))
        for name, call in (("types", "json_type"), ("values", "json_extract_string"))
    },
    # a page's url, path, title and referrer as JSON ('null' when null, NULL when absent)
    "page_values": f"CASE WHEN lower(v[{_AT['type']}]) = 'page' "
    f"AND t[{_AT['context.page']}] = 'OBJECT' THEN json_extract(v[{_AT['context.page']}], "
    + "["
    + ", ".join(f"'$.{k}'" for k in _PAGE_KEYS)
    + "]) END",
}
_PAGE_PROPERTIES = (
    "'{' || concat_ws(',', "
    + ", ".join(
        f"CASE WHEN page_values[{i}] IS NOT NULL THEN '\"{k}\":' || page_values[{i}] END"
        for i, k in enumerate(_PAGE_KEYS, start=1)
    )
    + f", CASE WHEN {_t('properties')} = 'OBJECT' AND {_v('properties')} <> '{{}}' "
    f"THEN {_v('properties')}[2:-2] END"
    + f", CASE WHEN {_v('name')} <> '' THEN '\"name\":' || to_json({_v('name')}) END) || '}}'"
)
# identity keys are identities, not profile traits (frames.profile_traits)
_NOT_TRAITS = "{" + ", ".join(f'"{k}": null' for k in (*TRAIT_KEYS, "anonymous_id")) + "}"
_GIVEN_TRAITS = f"CASE WHEN {_t('traits')} = 'OBJECT' THEN {_v('traits')} END"
_CONTEXT_TRAITS = f"CASE WHEN {_t('context.traits')} = 'OBJECT' THEN {_v('context.traits')} END"
# {**context.traits, **traits}; key order aside, as Python merges them (see _PLAIN)
_TRAITS_OBJECT = (
    f"coalesce(json_merge_patch({_CONTEXT_TRAITS}, {_GIVEN_TRAITS}), {_GIVEN_TRAITS}, "
    f"{_CONTEXT_TRAITS}, '{{}}')"
)
_COLUMNS = {
    "message_id": _v("messageId"),
    "type": f"CASE {_KIND} WHEN 'track' THEN {_v('event')} WHEN 'identify' THEN 'identify' "
    "ELSE 'page_view' END",
    "channel": f"CASE WHEN {_RAW_CHANNEL} IS NULL THEN CASE WHEN {_KIND} = 'page' THEN 'web' END "
    f"WHEN {_RAW_CHANNEL} = 'browser' THEN 'web' "
    f"WHEN {_RAW_CHANNEL} IN ('server', 'mobile', 'client') THEN NULL "
    f"ELSE {_RAW_CHANNEL} END",
    "session_id": f"coalesce({_text('context.sessionId')}, {_text('properties.session_id')})",
    "device": f"CASE WHEN {_t('context.device')} = 'OBJECT' AND {_v('context.device.type')} <> '' "
    f"THEN lower({_v('context.device.type')}) WHEN {_AGENT} = '' THEN NULL "
    f"WHEN contains({_AGENT}, 'ipad') OR contains({_AGENT}, 'tablet') THEN 'tablet' "
    f"WHEN contains({_AGENT}, 'mobi') OR contains({_AGENT}, 'android') THEN 'mobile' "
    "ELSE 'desktop' END",
    # `timestamp or originalTimestamp`, as Python's `or` reads it
    "ts": f"CASE WHEN {_v('timestamp')} <> '' THEN {_v('timestamp')} "
    f"ELSE {_v('originalTimestamp')} END",
    "sent_at": _v("sentAt"),
    "properties": f"CASE {_KIND} WHEN 'identify' THEN '{{}}' WHEN 'page' THEN {_PAGE_PROPERTIES} "
    f"ELSE CASE WHEN {_t('properties')} = 'OBJECT' THEN {_v('properties')} ELSE '{{}}' END END",
    "context": f"CASE WHEN {_t('context')} = 'OBJECT' THEN {_v('context')} ELSE '{{}}' END",
    "traits": f"CASE WHEN {_KIND} = 'identify' "
    f"THEN json_merge_patch({_TRAITS_OBJECT}, '{_NOT_TRAITS}')::VARCHAR END",
    "user_id": _text("userId"),
    "anonymous_id": _text("anonymousId"),
    **{k: _trait_value(i) for i, k in enumerate(TRAIT_KEYS, start=1)},
}
# DuckDB's JSON reader accepts trailing commas and nan/inf literals that Python's refuses (or
# reads otherwise): lines that may hold one (also inside a string, harmlessly) go to Python.
# One pattern per leading character: RE2 scans for a literal first byte fast, and the single
# pattern `[:\[,]\s*-?(?i:nan|inf)` cost 2.4x the CPU of these three.
_LENIENT = {
    "trailing_comma": r",\s*[}\]]",
    "nan_after_colon": r":\s*-?(?i:nan|inf)",
    "nan_after_comma": r",\s*-?(?i:nan|inf)",
    "nan_after_bracket": r"\[\s*-?(?i:nan|inf)",
}


def _lenient(column: str) -> str:
    """SQL: `column` may hold what only DuckDB's reader accepts."""
    return "(" + " OR ".join(f"regexp_matches({column}, ${name})" for name in _LENIENT) + ")"


_PATH_LIST = "[" + ", ".join(f"'$.{p}'" for p in _PATHS) + "]"
# static text: every piece above is a constant of this module, no value is pasted in
PLAIN_MESSAGES_SQL = (
    # materialised: else DuckDB inlines the lists into every expression that reads them
    "WITH parsed AS MATERIALIZED (SELECT _line, "
    + ", ".join(f"t[{i}] AS t{i}, v[{i}] AS v{i}" for i in _AT.values())
    + ", "
    + ", ".join(f"{sql} AS {name}" for name, sql in _SHARED.items())
    + f" FROM (SELECT _line, json_type(raw, {_PATH_LIST}) AS t, "
    f"json_extract_string(raw, {_PATH_LIST}) AS v FROM kith_raw "
    # valid JSON that starts with `{` is an object (json_type would parse the line again); a
    # line indented with white space goes to Python
    "WHERE starts_with(raw, '{') AND json_valid(raw) AND NOT " + _lenient("raw") + " "
    # a line with more opening brackets than the nesting limit might nest deeper: to Python,
    # which measures it (a count here costs far less than one per column afterwards)
    "AND strlen(raw) - strlen(replace(replace(raw, '{', ''), '[', '')) <= $max_brackets)), "
    # whether the line is plain, worked out once in a step of its own: written as the final
    # WHERE, DuckDB evaluated it twice (pushed into `parsed` and again above it), 15% of the
    # query's CPU
    "flagged AS MATERIALIZED (SELECT *, (" + _PLAIN + ") AS plain FROM parsed) "
    "SELECT _line, "
    + ", ".join(f"{sql} AS {name}" for name, sql in _COLUMNS.items())
    + " FROM flagged WHERE plain"
)


# traits profile_traits() renames or reshapes (in compact JSON): such a message goes to Python
_RESHAPED = r'"(firstName|lastName|address|lifecycle_stage|lifecycleStage)":|"company":\{'
# properties of a page that would meet the page's own keys or its name: to Python
_PAGE_CLASH = r'"(url|path|title|referrer|name)":'
_PATTERNS = {**_LENIENT, "reshaped": _RESHAPED, "page_keys": _PAGE_CLASH}


def plain_messages(db: Database, lines: pa.Table, max_brackets: int) -> pa.Table:
    """The canonical raw fields of every line of `lines` (_line, raw) in the common shape (see
    the module docstring) that holds at most `max_brackets` opening brackets (`{` or `[`, in
    strings too), so that no value of it can nest deeper than that; in line order. The lines
    left out are for the Python parser."""
    params = {**_PATTERNS, "max_brackets": max_brackets}
    with db.views(kith_raw=_in_batches(lines)):
        found = db.cursor().sql(PLAIN_MESSAGES_SQL, params=params).to_arrow_table()
    return _in_line_order(found)


# DuckDB scans an Arrow table one record batch per thread: a file's lines arrive in a batch or
# two, so they are handed over in slices this long (no copy) to keep every core parsing
_SCAN_BATCH = 50_000


def _in_batches(lines: pa.Table) -> pa.Table:
    return pa.Table.from_batches(lines.to_batches(max_chunksize=_SCAN_BATCH), lines.schema)


def _in_line_order(table: pa.Table) -> pa.Table:
    """`table` sorted by `_line`. DuckDB keeps the scan's order here (insertion order is
    preserved), so this is a check that costs a millisecond; an ORDER BY in the query cost a
    fifth of its CPU."""
    lines = table.column("_line")
    if len(lines) < 2:
        return table
    ascending = pc.all(pc.greater(lines.slice(1), lines.slice(0, len(lines) - 1))).as_py()
    return table if ascending else table.sort_by("_line")


def array_elements(db: Database, doc: pa.Array) -> pa.Table | None:
    """The elements of the JSON array `doc` (one text), each as JSON text with its 1-based
    position as `_line`; None when `doc` is not one valid JSON array or holds something DuckDB
    reads more leniently than the JSON spec (the caller then parses it in Python, which says
    what is wrong and where)."""
    with db.views(kith_doc=pa.table({"doc": doc})):
        if not _is_plain_json_array(db):
            return None
        return _elements(db)


def _elements(db: Database) -> pa.Table:
    query = db.cursor().sql(
        "SELECT generate_subscripts(items, 1) AS _line, unnest(items)::VARCHAR AS raw "
        "FROM (SELECT json_extract(doc, '$[*]') AS items FROM kith_doc)"
    )
    return query.to_arrow_table()


def _is_plain_json_array(db: Database) -> bool:
    return bool(
        db.scalar(
            "SELECT json_valid(doc) AND json_type(doc) = 'ARRAY' AND NOT "
            + _lenient("doc")
            + " FROM kith_doc",
            _LENIENT,
        )
    )
