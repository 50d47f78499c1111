"""Names beyond ASCII: what a bare name may hold, and the folding an event name gets.

A bare name (an event type, a property, a label) starts with a letter of any script or `_` and
goes on with letters, digits, combining marks and `_`. Event names are folded as ingestion
folds them (docs/ingestion.md, "Event names"): Unicode NFKC, camelCase and runs of spaces and
punctuation to one `_`, lower case. So `did Ürün_Görüntülendi` finds the type a tracker's
`Ürün Görüntülendi` became (`ürün_görüntülendi`). An ASCII name is left as typed, so what the
language meant before stays the same, and so is a quoted name (`did "Ürün Görüntülendi"` means
exactly that text), so any name can still be written."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

# The lexer's view (regex text, shared with segment.lark's NAME): what may follow the first
# character is read generously (any non-ASCII character but a space), then `odd_character`
# says which character is wrong, with its column.
NAME_PATTERN = r"[^\W\d](?:[A-Za-z0-9_]|[^\x00-\x7f\s])*"
NAME_CHAR = r"(?:[A-Za-z0-9_]|[^\x00-\x7f\s])"
_KEPT = ("L", "N", "M")  # letters, digits and combining marks


def odd_character(name: str) -> int | None:
    """The index of the first character of `name` that a bare name may not hold, if any."""
    for index, char in enumerate(name):
        if char != "_" and unicodedata.category(char)[0] not in _KEPT:
            return index
    return None


def fold(text: str) -> str:
    """An event name as ingestion stores it: NFKC, then snake_case keeping every letter,
    digit and mark ("Order Completed", "orderCompleted" -> "order_completed")."""
    name = unicodedata.normalize("NFKC", text).strip()
    return "".join(_folded(name)).strip("_").lower()


def event_type(name: str) -> str:
    """The event type a bare name in an expression stands for: folded when it is not ASCII."""
    return name if name.isascii() else fold(name)


def _folded(name: str) -> Iterator[str]:
    """Letters, digits and combining marks kept; a lower-to-upper step (camelCase) and every
    run of spaces and punctuation become one `_`."""
    previous = ""
    for char in name:
        if unicodedata.category(char)[0] in _KEPT:
            if char.isupper() and (previous.islower() or previous.isdigit()):
                yield "_"
            yield char
            previous = char
        elif previous != "_":
            yield "_"
            previous = "_"
