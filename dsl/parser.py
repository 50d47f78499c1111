"""Parsing: text -> AST. The grammar (`segment.lark`) is loaded once, at import.

Every failure surfaces as a `DslSyntaxError` written for the person who typed the text; Lark's
own exceptions and token names never escape.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from dsl import ast
from dsl.names import NAME_CHAR, NAME_PATTERN
from dsl.rule_builder import AstBuilder
from dsl.suggest import suggest
from kith_errors import DslError, DslSyntaxError

GRAMMAR_FILE = Path(__file__).with_name("segment.lark")

_PARSER = Lark(
    GRAMMAR_FILE.read_text(encoding="utf-8"),
    parser="lalr",
    lexer="contextual",
    start=["segment", "rule", "goal"],
    propagate_positions=True,
    maybe_placeholders=True,
    strict=True,
    # the analysis (with strict mode's regex collision checks) is ~0.3 s per process; lark
    # keeps it in a file in the temp folder, keyed by the grammar and these options
    cache=True,
)

# Lark terminals that stand for a kind of thing rather than a keyword, in words.
_KINDS = {
    "NAME": "a name",
    "STRING": "a text in quotes",
    "NUMBER": "a number",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "COMMA": "','",
    "COLON": "':'",
    "DOT": "'.'",
    "MINUS": "'-'",
    "EQ": "'='",
    "NOT": "'not'",
    "THEN_DO": "'then' and an action",
    "$END": "the end of the text",
}
_COMPARISONS = {"EQ", "NE", "LT", "LE", "GT", "GE"}
_UNITS = {
    *("_MINUTE", "_MINUTES", "_HOUR", "_HOURS", "_DAY", "_DAYS"),
    *("_WEEK", "_WEEKS", "_MONTH", "_MONTHS"),
}
_VALUE = {"STRING", "NUMBER", "MINUS", "_TRUE", "_FALSE"}
_CONDITION_START = {"_DID", "_HAS", "_CONSENT", "_FIRST", "_COUNT"}
_PREDICATE_OPS = {"_CONTAINS", "_STARTS", "_IS", "_BETWEEN"}
_ACTION_WORDS = ["set", "unset", "increment", "add", "remove", "emit", "call", "notify"]
_ACTIONS = "an action: set, unset, increment, add, remove, emit, call or notify"
_WORD = re.compile(NAME_PATTERN)
_SOURCE_TOKEN = re.compile(
    r"\"(?:[^\"\\\n]|\\.)*\"?|'(?:[^'\\\n]|\\.)*'?|--[^\n]*|(?:\.|"
    + NAME_CHAR
    + r")+|!=|<=|>=|==|\S"
)


# Keyword terminals and their words, read from the grammar (`_DID: "did"i`, `NOT: "not"i`).
_KEYWORD_WORDS = dict(
    re.findall(r'^(_?[A-Z_]+)(?:\.\d+)?:\s*"([a-z]+)"i\s*$', GRAMMAR_FILE.read_text(), re.M)
)


def reserved_words(*, in_where: bool = False) -> frozenset[str]:
    """The keywords that may begin a condition, where a property's name also may: a property
    so named would read as the keyword, so it could not be used. With `in_where`, those that
    may begin a test of an event's properties inside `where`. Asked of the parser itself.

    >>> sorted(reserved_words(in_where=True))
    ['not']
    >>> {"did", "count", "in"} <= reserved_words() and "days" not in reserved_words()
    True
    """
    parser = _PARSER.parse_interactive("did e where " if in_where else "", start="segment")
    parser.exhaust_lexer()
    accepted = parser.accepts()
    return frozenset(word for name, word in _KEYWORD_WORDS.items() if name in accepted)


def parse_segment(text: str) -> ast.Expr:
    """Parse a segment (audience) expression."""
    return _parse(text, "segment")


def parse_rule(text: str) -> ast.Rule:
    """Parse an automation rule: `when ... [if ...] then action, action...`."""
    return _parse(text, "rule")


def parse_goal(text: str) -> ast.Goal:
    """Parse a goal: `goal "name": [start ...] target ... [within N unit] [for (...)]`."""
    return _parse(text, "goal")


def _parse(text: str, start: str) -> Any:
    if not isinstance(text, str):
        raise DslSyntaxError("expected the expression as text", expected="text")
    if not text.strip() or _only_comments(text):
        raise DslSyntaxError(f"the {start} is empty", source=text, expected=_what_starts(start))
    try:
        tree = _PARSER.parse(text, start=start)
        return AstBuilder(text).transform(tree)
    except VisitError as err:
        raise err.orig_exc from None
    except UnexpectedInput as err:
        raise _syntax_error(err, text) from None


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in text.splitlines())


def _what_starts(start: str) -> str:
    return {
        "segment": 'a condition like country = "ID" or did purchase',
        "rule": "'when <event>', 'when entering segment' or 'every day'",
        "goal": "'goal \"name\": target <event>'",
    }[start]


# ---- translating Lark's errors ------------------------------------------------------------------


def _syntax_error(err: UnexpectedInput, text: str) -> DslError:
    if isinstance(err, UnexpectedToken):
        return _unexpected_token(err, text)
    if isinstance(err, UnexpectedCharacters):
        return _unexpected_character(err, text)
    return DslSyntaxError("this text cannot be read", source=text, line=1, column=1)


def _accepted(err: UnexpectedInput, fallback: set[str]) -> set[str]:
    """What the parser could take at the error, exactly (Lark's own sets over-approximate)."""
    interactive = getattr(err, "interactive_parser", None)
    return set(interactive.accepts()) if interactive is not None else fallback


def _unexpected_token(err: UnexpectedToken, text: str) -> DslSyntaxError:
    accepted = _accepted(err, set(err.expected))
    token = err.token
    if "THEN_DO" in accepted and str(token).lower() == "then":
        return _missing_action(token, text)
    if token.type == "RPAR" and "RPAR" not in accepted:
        return DslSyntaxError(
            "this ')' has no matching '('",
            source=text,
            line=token.line or 1,
            column=token.column or 1,
            expected="a '(' earlier, or no ')' here",
        )
    expected = _describe(accepted)
    prev, end = _previous_token(text, token.start_pos if token.type != "$END" else len(text))
    after = f"after '{prev}'" if prev else "at the start"
    if token.type == "$END":
        line, column = end
        return DslSyntaxError(
            f"expected {expected} {after}, but the text ends there",
            source=text,
            line=line,
            column=column,
            expected=expected,
        )
    return DslSyntaxError(
        f"expected {expected} {after}, but found '{token}'",
        source=text,
        line=token.line or 1,
        column=token.column or 1,
        expected=expected,
        suggestion=_suggest_for(str(token), accepted),
    )


def _missing_action(then: Token, text: str) -> DslSyntaxError:
    offset = then.end_pos if then.end_pos is not None else len(text)
    rest = _SOURCE_TOKEN.search(text, offset)
    line, column = _line_column(text, rest.start() if rest else len(text))
    found = f"found '{rest.group()}'" if rest else "the text ends there"
    expected = _ACTIONS
    return DslSyntaxError(
        f"expected an action after 'then', but {found}",
        source=text,
        line=line,
        column=column,
        expected=expected,
        suggestion=suggest(rest.group().lower(), _ACTION_WORDS) if rest else None,
    )


def _unexpected_character(err: UnexpectedCharacters, text: str) -> DslSyntaxError:
    # The lexer always knows where it stopped; Lark's type allows None for other errors.
    at = len(text) if err.pos_in_stream is None else err.pos_in_stream
    char = text[at] if at < len(text) else ""
    expected = _describe(_accepted(err, set(err.allowed or ())))
    if char in "\"'":
        message = "this quoted text has no closing quote"
        expected = f"a closing {char} on the same line"
    else:
        prev, _ = _previous_token(text, at)
        after = f"after '{prev}'" if prev else "at the start"
        message = f"expected {expected} {after}, but found '{char}'"
    return DslSyntaxError(message, source=text, line=err.line, column=err.column, expected=expected)


def _describe(names: set[str]) -> str:
    """The expected terminals, in words, grouped into the kinds of thing a person would type."""
    names = set(names)
    if names & _COMPARISONS and names & _PREDICATE_OPS:
        return "a comparison like = or contains"
    if names & _CONDITION_START and "NAME" in names:
        return 'a condition like country = "ID" or did purchase'
    words = []
    if {"_AT", "_EXACTLY"} <= names:
        words.append("a count like 'at least 2 times'")
        names -= {"_AT", "_EXACTLY", "_BETWEEN"}
    if {"_BEFORE", "_AFTER"} <= names:
        words.append("a time window like 'in last 7 days'")
        names -= {"_IN", "_WITHIN", "_BEFORE", "_AFTER", "_BETWEEN"}
    for group, label in (
        (_COMPARISONS, "a comparison like = or >"),
        (_UNITS, "a time unit (minutes, hours, days, weeks or months)"),
        (_VALUE, "a value (text in quotes, a number, true or false)"),
    ):
        if len(names & group) > 1 and (group is not _UNITS or "_DAYS" in names):
            words.append(label)
            names -= group
    words += sorted(_word(n) for n in names)
    return _join(words)


def _word(name: str) -> str:
    if name in _KINDS:
        return _KINDS[name]
    if name.startswith("_") and name[1:].isalpha():
        return f"'{name[1:].lower()}'"
    return f"'{name.lower()}'"


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _suggest_for(found: str, expected: set[str]) -> str | None:
    """A keyword close to a mistyped word, or the word in quotes where text was expected."""
    if not _WORD.fullmatch(found):
        return None
    keywords = [n[1:].lower() for n in expected if n.startswith("_") and n[1:].isalpha()]
    if expected & {"NOT"}:
        keywords.append("not")
    close = suggest(found.lower(), keywords)
    if close is None and "STRING" in expected and "NAME" not in expected:
        return f'"{found}"'
    return close


def _previous_token(text: str, offset: int) -> tuple[str, tuple[int, int]]:
    """The last token before `offset` (comments skipped) and the position just after it."""
    last = None
    for match in _SOURCE_TOKEN.finditer(text, 0, offset):
        if not match.group().startswith("--"):
            last = match
    if last is None:
        return "", (1, 1)
    return last.group(), _line_column(text, last.end())


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
