"""Completion for an expression being typed: the names that could finish the word at the end
of the text (what the words before it call for: an event type after `did`, a label after `has
label`...), and a checker's "did you mean" applied to the text. Pure: works on text and a
`Schema`, like the checker."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from dsl.names import NAME_CHAR, NAME_PATTERN
from dsl.printer import KEYWORDS
from dsl.schema import Schema
from kith_errors import DslError

_DOTTED = rf"{NAME_PATTERN}(?:\.|{NAME_CHAR})*"  # a name or a dotted path
_PARTIAL = re.compile(_DOTTED + "$")
_WORDS = re.compile(r'"(?:[^"\\\n]|\\.)*"|--[^\n]*|' + _DOTTED + r"|\S")
_BARE = re.compile(f"^{NAME_PATTERN}$")
# What may start a condition: offered when nothing has been typed at the point yet.
STARTERS = ("did", "not", "has label", "in segment", "consent", "has channel", "first", "last")
_EVENT_AFTER = {"did", "then", "of", "first", "last"}
_NO_EVENT_BEFORE = {"in", "within", "the"}  # `in last 7 days`: a number comes next


@dataclass(frozen=True)
class Completion:
    """One way to finish the text: `label` for a button, `text` the whole text with it."""

    label: str
    text: str


def complete(text: str, schema: Schema, limit: int = 8) -> list[Completion]:
    """Ways to finish the word at the end of `text`, most likely first.

    >>> schema = Schema(properties={"country": "string"}, event_types={"purchase": {}})
    >>> [c.text for c in complete("did pur", schema)]
    ['did purchase ']
    >>> [c.label for c in complete('country = "ID" and cou', schema)]
    ['country']
    """
    typed = _typed(text)
    head = text[: len(text) - len(typed)]
    quoted, pool = _pool(_previous_words(head), schema, typing=bool(typed))
    if pool is None:
        return []  # after a complete word, nothing calls for a name
    quote = quoted or typed.startswith('"')
    names = _ranked(typed.lstrip('"'), pool, limit)
    return [Completion(name, head + _spelled(name, quote) + " ") for name in names]


def _typed(text: str) -> str:
    """The word being typed at the end of the text: a name or dotted path, with the quote that
    opens it if there is one ("" after a space)."""
    found = _PARTIAL.search(text)
    start = found.start() if found else len(text)
    if start > 0 and text[start - 1] == '"' and text.count('"', 0, start - 1) % 2 == 0:
        start -= 1  # an opening quote, not the end of an earlier text
    return text[start:]


def _previous_words(head: str) -> list[str]:
    """The words before the one being typed, lower-cased, comments left out."""
    words = [w for w in _WORDS.findall(head) if not w.startswith("--")]
    return [w.lower() if not w.startswith('"') else w for w in words]


def _pool(
    previous: list[str], schema: Schema, *, typing: bool
) -> tuple[bool, Iterable[str] | None]:
    """(whether the names go in quotes, the names the previous words call for, in the order
    offered; None when the previous word is complete and calls for no name)."""
    last = previous[-1] if previous else ""
    before = previous[-2] if len(previous) > 1 else ""
    if last == "label" and before == "has":
        return True, sorted(schema.labels)
    if last == "segment" and before == "in":
        return True, sorted(schema.segments)
    if last == "channel" and before == "has":
        return False, sorted(schema.channels)
    if last == "consent":
        return False, sorted(schema.consent_channels)
    if (last == "not" and before == "did") or (
        last in _EVENT_AFTER and before not in _NO_EVENT_BEFORE
    ):
        return False, sorted(schema.event_types)
    if last == "where" and before in schema.event_types:
        return False, sorted([*schema.event_types[before], "channel", "source"])
    if not last or last in {"and", "or", "not", "("}:
        return False, [*STARTERS, *sorted(schema.properties)]
    if not typing:
        return False, None
    return False, [*sorted(schema.properties), *sorted(KEYWORDS)]


def _ranked(word: str, pool: Iterable[str], limit: int) -> list[str]:
    """Names starting with `word` (any case), then names containing it, in the pool's order."""
    names = list(dict.fromkeys(pool))
    low = word.lower()
    starts = [n for n in names if n.lower().startswith(low) and n != word]
    inside = [n for n in names if low and low in n.lower() and n not in starts and n != word]
    return [*starts, *inside][:limit]


def _spelled(name: str, quoted: bool) -> str:
    """A name as the language reads it: quoted where asked or where it is not a bare name."""
    if quoted:
        return _quote(name)
    if name in STARTERS or name.lower() in KEYWORDS or _BARE.match(name.replace(".", "_")):
        return name
    return _quote(name)


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def apply_suggestion(error: DslError) -> str | None:
    """The error's source with its "did you mean" put in place of the word it is about, or
    None when there is no suggestion or the word cannot be found at the error's place.

    >>> from kith_errors import DslNameError
    >>> source = 'contry = "ID"'
    >>> err = DslNameError("unknown property 'contry'", source=source, suggestion="country")
    >>> apply_suggestion(err)
    'country = "ID"'
    """
    found = re.findall(r"'([^']+)'", error.message)
    if not error.suggestion or not found or not error.source:
        return None
    wrong, source = found[-1], error.source
    word = re.compile(f'(?<!{NAME_CHAR})"?' + re.escape(wrong) + f'"?(?!{NAME_CHAR})')
    match = word.search(source, _offset(source, error.line, error.column))
    if match is None:
        return None
    fix = error.suggestion
    if match.group(0).startswith('"') and not fix.startswith('"'):
        fix = _quote(fix)
    return source[: match.start()] + fix + source[match.end() :]


def _offset(text: str, line: int, column: int) -> int:
    lines = text.split("\n")
    before = sum(len(ln) + 1 for ln in lines[: max(line - 1, 0)])
    return min(before + max(column - 1, 0), len(text))
