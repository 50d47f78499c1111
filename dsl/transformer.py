"""Turns Lark parse trees into the AST of `dsl.ast`.

The transformer is non-recursive (long `or` chains build deep left-recursive trees) and every
rule has a method: `__default__` raises, so no `lark.Tree` can reach the AST.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from lark import Token, Transformer_NonRecursive, v_args
from lark.tree import Meta

from dsl import ast, names
from kith_errors import DslSyntaxError

MAX_DEPTH = 100  # and/or/not nesting; deeper input is refused before anything recurses on it

_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t", "r": "\r"}


@dataclass
class _Chain:
    """An and/or chain being collected from a left-recursive rule; never leaves this module."""

    kind: str
    items: list[ast.Expr]
    pos: ast.Pos | None


def pos_of(meta: Meta | Token) -> ast.Pos | None:
    line = getattr(meta, "line", None)
    column = getattr(meta, "column", None)
    return ast.Pos(line, column) if line is not None and column is not None else None


def decode_string(tok: Token, source: str) -> str:
    """The text between the quotes of a STRING token, escapes resolved."""
    body, out, i = str(tok)[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        out.append(_escape(body, i, tok, source))
        i += 6 if body[i + 1] == "u" else 2
    return "".join(out)


def _escape(body: str, i: int, tok: Token, source: str) -> str:
    code = body[i + 1]
    if code in _ESCAPES:
        return _ESCAPES[code]
    digits = body[i + 2 : i + 6]
    if code == "u" and len(digits) == 4 and all(c in "0123456789abcdefABCDEF" for c in digits):
        return chr(int(digits, 16))
    raise DslSyntaxError(
        f"unknown escape '\\{code}' in quoted text",
        source=source,
        line=tok.line or 1,
        column=(tok.column or 1) + 1 + i,
        expected='one of \\" \\\\ \\n \\t \\r \\uXXXX (write \\\\ for a backslash)',
    )


# The children Lark hands each rule method. The grammar has a rule named `list`, so inside the
# builders `list` is that method, not the builtin: their annotations use these names.
Children = list[Any]
Tokens = list[Token]
Names = list[str]
Exprs = list[ast.Expr]


@v_args(meta=True)
class ExprBuilder(Transformer_NonRecursive):
    """Builds segment expressions. One instance per parse: it remembers the nesting depth of
    the nodes it built."""

    def __init__(self, source: str) -> None:
        super().__init__(visit_tokens=False)
        self.source = source
        self._depth: dict[int, int] = {}

    def __default__(self, data: Any, children: Children, meta: Meta) -> Any:
        raise AssertionError(f"grammar rule {data!r} has no transformer method")

    # ---- helpers ---------------------------------------------------------------------------

    def _nested(self, node: ast.Expr, children: Exprs) -> ast.Expr:
        depth = 1 + max((self._depth.get(id(c), 0) for c in children), default=0)
        if depth > MAX_DEPTH:
            p = node.pos or ast.Pos(1, 1)
            raise DslSyntaxError(
                f"this expression is nested too deeply (more than {MAX_DEPTH} levels)",
                source=self.source,
                line=p.line,
                column=p.column,
                expected="fewer nested parentheses, 'not's, 'and's and 'or's",
            )
        self._depth[id(node)] = depth
        return node

    def _finish(self, item: Any) -> ast.Expr:
        if not isinstance(item, _Chain):
            return item
        cls = ast.And if item.kind == "and" else ast.Or
        return self._nested(cls(tuple(item.items), pos=item.pos), item.items)

    def _chain(self, kind: str, children: Children) -> Any:
        if len(children) == 1:
            return children[0]
        left, right = children[0], self._finish(children[1])
        if isinstance(left, _Chain) and left.kind == kind:
            left.items.append(right)
            return left
        first = self._finish(left)
        return _Chain(kind, [first, right], first.pos)

    def _not(self, children: Children, meta: Meta) -> Any:
        if len(children) == 1:
            return children[0]
        return self._nested(ast.Not(children[1], pos=pos_of(meta)), [children[1]])

    def _int(self, tok: Token, what: str) -> int:
        text = str(tok)
        if text.isdigit():
            return int(text)
        raise DslSyntaxError(
            f"expected a whole number {what}, found '{text}'",
            source=self.source,
            line=tok.line or 1,
            column=tok.column or 1,
            expected=f"a whole number {what}",
        )

    # ---- start rules and boolean structure ----------------------------------------------------

    def segment(self, meta: Meta, children: Children) -> ast.Expr:
        return children[0]

    def expr(self, meta: Meta, children: Children) -> ast.Expr:
        return self._finish(children[0])

    def or_c(self, meta: Meta, children: Children) -> Any:
        return self._chain("or", children)

    or_o = w_or = or_c

    def and_c(self, meta: Meta, children: Children) -> Any:
        return self._chain("and", children)

    and_o = w_and = and_c

    def not_c(self, meta: Meta, children: Children) -> Any:
        return self._not(children, meta)

    not_o = w_not = not_c

    def atom_c(self, meta: Meta, children: Children) -> Any:
        return self._finish(children[0])

    atom_o = w_atom = atom_c

    # ---- literals ------------------------------------------------------------------------------

    def string(self, meta: Meta, children: Tokens) -> ast.Value:
        return ast.Value(decode_string(children[0], self.source), pos=pos_of(meta))

    def number(self, meta: Meta, children: Tokens) -> ast.Value:
        return ast.Value(self._number(children[0]), pos=pos_of(meta))

    def negative(self, meta: Meta, children: Tokens) -> ast.Value:
        return ast.Value(-self._number(children[0]), pos=pos_of(meta))

    def _number(self, tok: Token) -> int | float:
        text = str(tok)
        if text.isdigit():
            return int(text)
        value = float(text)
        if math.isfinite(value):
            return value
        raise DslSyntaxError(
            f"the number {text} is too large",
            source=self.source,
            line=tok.line or 1,
            column=tok.column or 1,
            expected="a smaller number",
        )

    def true(self, meta: Meta, children: Children) -> ast.Value:
        return ast.Value(True, pos=pos_of(meta))

    def false(self, meta: Meta, children: Children) -> ast.Value:
        return ast.Value(False, pos=pos_of(meta))

    def scalar(self, meta: Meta, children: Children) -> ast.Value:
        return children[0]

    def list(self, meta: Meta, children: Children) -> ast.Value:
        items = tuple(c.value for c in children if c is not None)
        return ast.Value(items, pos=pos_of(meta))

    def path(self, meta: Meta, children: Tokens) -> ast.Path:
        return ast.Path(tuple(self._bare(t) for t in children), pos=pos_of(meta))

    def name_lit(self, meta: Meta, children: Tokens) -> str:
        tok = children[0]
        return decode_string(tok, self.source) if tok.type == "STRING" else self._bare(tok)

    def _bare(self, tok: Token) -> str:
        """A NAME token's text, refused at the character a bare name may not hold."""
        text = str(tok)
        odd = None if text.isascii() else names.odd_character(text)
        if odd is not None:
            raise DslSyntaxError(
                f"the name '{text}' holds '{text[odd]}', which is not a letter, digit or _",
                source=self.source,
                line=tok.line or 1,
                column=(tok.column or 1) + odd,
                expected="a name of letters, digits and _, or the name in quotes",
            )
        return text

    def duration(self, meta: Meta, children: Children) -> ast.Duration:
        amount = self._int(children[0], f"of {children[1]}")
        return ast.Duration(amount, children[1], pos=pos_of(meta))

    def minutes(self, meta: Meta, children: Children) -> str:
        return "minutes"

    def hours(self, meta: Meta, children: Children) -> str:
        return "hours"

    def days(self, meta: Meta, children: Children) -> str:
        return "days"

    def weeks(self, meta: Meta, children: Children) -> str:
        return "weeks"

    def months(self, meta: Meta, children: Children) -> str:
        return "months"

    # ---- property predicates -------------------------------------------------------------------

    def cmp_op(self, meta: Meta, children: Tokens) -> str:
        return "=" if str(children[0]) == "==" else str(children[0])

    def compare(self, meta: Meta, children: Children) -> ast.Compare:
        field, op, value = children
        return ast.Compare(field, op, value, pos=pos_of(meta))

    def before(self, meta: Meta, children: Children) -> ast.Compare:
        return ast.Compare(children[0], "before", children[1], pos=pos_of(meta))

    def after(self, meta: Meta, children: Children) -> ast.Compare:
        return ast.Compare(children[0], "after", children[1], pos=pos_of(meta))

    def in_list(self, meta: Meta, children: Children) -> ast.InList:
        field, negated, values = children
        return ast.InList(field, values, negated=negated is not None, pos=pos_of(meta))

    def between(self, meta: Meta, children: Children) -> ast.Between:
        field, low, high = children
        return ast.Between(field, low, high, pos=pos_of(meta))

    def is_set(self, meta: Meta, children: Children) -> ast.IsSet:
        return ast.IsSet(children[0], negated=children[1] is not None, pos=pos_of(meta))

    def string_match(self, meta: Meta, children: Children) -> ast.StringMatch:
        field, op, value = children
        return ast.StringMatch(field, op, value, pos=pos_of(meta))

    def contains(self, meta: Meta, children: Children) -> str:
        return "contains"

    def starts_with(self, meta: Meta, children: Children) -> str:
        return "starts_with"

    def ends_with(self, meta: Meta, children: Children) -> str:
        return "ends_with"

    def matches(self, meta: Meta, children: Children) -> str:
        return "matches"

    def in_last(self, meta: Meta, children: Children) -> str:
        return "in_last"

    def within_last(self, meta: Meta, children: Children) -> ast.RelativeDate:
        return ast.RelativeDate(children[0], "within_last", children[2], pos=pos_of(meta))

    def more_than_ago(self, meta: Meta, children: Children) -> ast.RelativeDate:
        return ast.RelativeDate(children[0], "more_than_ago", children[1], pos=pos_of(meta))

    # ---- event predicates ----------------------------------------------------------------------

    def event_name(self, meta: Meta, children: Tokens) -> str:
        """A bare event name is folded like ingestion folds event names (when not ASCII); a
        quoted one is read exactly as written."""
        name = self.name_lit(meta, children)
        return names.event_type(name) if children[0].type == "NAME" else name

    def any_event(self, meta: Meta, children: Children) -> None:
        return None

    def ev_plain(self, meta: Meta, children: Children) -> ast.EventMatch:
        return ast.EventMatch(children[0], pos=pos_of(meta))

    def ev_where(self, meta: Meta, children: Children) -> ast.EventMatch:
        return ast.EventMatch(children[0], self._finish(children[1]), pos=pos_of(meta))

    def ev(self, meta: Meta, children: Children) -> ast.EventMatch:
        return children[0]

    def did(self, meta: Meta, children: Children) -> ast.Did:
        negated, match, *rest = children
        frequency, window = rest[0] if rest and rest[0] is not None else (None, None)
        return ast.Did(match, negated is not None, frequency, window, pos=pos_of(meta))

    def sequence(self, meta: Meta, children: Children) -> ast.Sequence:
        negated, head, last, *rest = children
        within, window = rest[0] if rest and rest[0] is not None else (None, None)
        steps = (*head, last)
        return ast.Sequence(steps, within, window, negated is not None, pos=pos_of(meta))

    def seq_head(self, meta: Meta, children: Children) -> tuple[ast.EventMatch, ...]:
        return (children[0],) if len(children) == 1 else (*children[0], children[1])

    def seq_within(self, meta: Meta, children: Children) -> tuple[Any, Any]:
        return children[0], None

    def seq_window(self, meta: Meta, children: Children) -> tuple[Any, Any]:
        return None, children[0]

    def seq_within_window(self, meta: Meta, children: Children) -> tuple[Any, Any]:
        return children[0], children[1]

    def seq_window_within(self, meta: Meta, children: Children) -> tuple[Any, Any]:
        return children[1], children[0]

    tail_freq = seq_within  # (frequency, window), same shape as (within, window)
    tail_window = seq_window

    def tail_freq_window(self, meta: Meta, children: Children) -> tuple[Any, Any]:
        return children[0], children[1]

    def tail_window_freq(self, meta: Meta, children: Children) -> tuple[Any, Any]:
        return children[1], children[0]

    def at_least(self, meta: Meta, children: Children) -> ast.Frequency:
        return ast.Frequency("at_least", self._int(children[0], "of times"), pos=pos_of(meta))

    def at_most(self, meta: Meta, children: Children) -> ast.Frequency:
        return ast.Frequency("at_most", self._int(children[0], "of times"), pos=pos_of(meta))

    def exactly(self, meta: Meta, children: Children) -> ast.Frequency:
        return ast.Frequency("exactly", self._int(children[0], "of times"), pos=pos_of(meta))

    def freq_between(self, meta: Meta, children: Children) -> ast.Frequency:
        low, high = (self._int(t, "of times") for t in children[:2])
        return ast.Frequency("between", low, high, pos=pos_of(meta))

    def times(self, meta: Meta, children: Children) -> None:
        return None

    def last_window(self, meta: Meta, children: Children) -> ast.LastWindow:
        return ast.LastWindow(children[1], pos=pos_of(meta))

    def _date(self, tok: Token) -> ast.Value:
        return ast.Value(decode_string(tok, self.source), pos=pos_of(tok))

    def date_window(self, meta: Meta, children: Tokens) -> ast.DateWindow:
        start, end = (self._date(t) for t in children)
        return ast.DateWindow(start, end, pos=pos_of(meta))

    def before_window(self, meta: Meta, children: Tokens) -> ast.DateWindow:
        return ast.DateWindow(None, self._date(children[0]), pos=pos_of(meta))

    def after_window(self, meta: Meta, children: Tokens) -> ast.DateWindow:
        return ast.DateWindow(self._date(children[0]), None, pos=pos_of(meta))

    def ago_window(self, meta: Meta, children: Children) -> ast.AgoWindow:
        unit = children[2]
        low, high = (self._int(t, f"of {unit}") for t in children[:2])
        return ast.AgoWindow(low, high, unit, pos=pos_of(meta))

    def aggregate(self, meta: Meta, children: Children) -> ast.Aggregate:
        func, prop, match, window, op, value = children
        return ast.Aggregate(func, prop, match, window, op, value, pos=pos_of(meta))

    def count(self, meta: Meta, children: Children) -> ast.Aggregate:
        match, window, op, value = children
        return ast.Aggregate("count", None, match, window, op, value, pos=pos_of(meta))

    def sum(self, meta: Meta, children: Children) -> str:
        return "sum"

    def avg(self, meta: Meta, children: Children) -> str:
        return "avg"

    def min(self, meta: Meta, children: Children) -> str:
        return "min"

    def max(self, meta: Meta, children: Children) -> str:
        return "max"

    def first_occurrence(self, meta: Meta, children: Children) -> ast.Occurrence:
        op, duration, date = children[1]
        return ast.Occurrence("first", children[0], op, duration, date, pos=pos_of(meta))

    def last_occurrence(self, meta: Meta, children: Children) -> ast.Occurrence:
        op, duration, date = children[1]
        return ast.Occurrence("last", children[0], op, duration, date, pos=pos_of(meta))

    def occ_within_last(self, meta: Meta, children: Children) -> tuple[str, Any, Any]:
        return "within_last", children[1], None

    def occ_more_than_ago(self, meta: Meta, children: Children) -> tuple[str, Any, Any]:
        return "more_than_ago", children[0], None

    def occ_before(self, meta: Meta, children: Tokens) -> tuple[str, Any, Any]:
        return "before", None, self._date(children[0])

    def occ_after(self, meta: Meta, children: Tokens) -> tuple[str, Any, Any]:
        return "after", None, self._date(children[0])

    # ---- membership ----------------------------------------------------------------------------

    def in_segment(self, meta: Meta, children: Names) -> ast.InSegment:
        return ast.InSegment(children[0], pos=pos_of(meta))

    def has_label(self, meta: Meta, children: Names) -> ast.HasLabel:
        return ast.HasLabel(children[0], pos=pos_of(meta))

    def has_channel(self, meta: Meta, children: Names) -> ast.HasChannel:
        return ast.HasChannel(children[0], pos=pos_of(meta))

    def consent_is(self, meta: Meta, children: Names) -> ast.ConsentIs:
        return ast.ConsentIs(children[0], children[1], pos=pos_of(meta))  # type: ignore[arg-type]

    def granted(self, meta: Meta, children: Children) -> str:
        return "granted"

    def denied(self, meta: Meta, children: Children) -> str:
        return "denied"

    def revoked(self, meta: Meta, children: Children) -> str:
        return "revoked"

    def unknown(self, meta: Meta, children: Children) -> str:
        return "unknown"
