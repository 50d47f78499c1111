"""Showing errors as messages for people, never as tracebacks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

import streamlit as st

from app.ui.text import literal
from kith_errors import DslError, KithError, NotFound, ValidationError

P = ParamSpec("P")
T = TypeVar("T")


def show_error(err: KithError) -> None:
    """A KithError as a callout (its message quotes what was typed, so it is shown literally);
    a language error also shows its line with the caret."""
    if isinstance(err, DslError):
        where = f"Line {err.line}, column {err.column}: "
        st.error(where + literal(err.message), icon=":material/error:")
        if err.source:
            st.code(err.caret(), language=None)
        if err.suggestion:
            st.caption(f"Did you mean **{literal(err.suggestion)}**?")
        return
    icon = ":material/search_off:" if isinstance(err, NotFound) else ":material/error:"
    kind = "warning" if isinstance(err, ValidationError | NotFound) else "error"
    getattr(st, kind)(literal(err.message), icon=icon)


def attempt(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
    """Call `fn`; on a KithError show it and return None, so the rest of the page still renders."""
    try:
        return fn(*args, **kwargs)
    except KithError as err:
        show_error(err)
        return None


@contextmanager
def guard() -> Iterator[None]:
    """A block whose KithError is shown in place instead of aborting the page."""
    try:
        yield
    except KithError as err:
        show_error(err)


def succeeded(fn: Callable[P, object], *args: P.args, **kwargs: P.kwargs) -> bool:
    """Call `fn` for its effect; True when it raised no KithError (which is shown instead)."""
    try:
        fn(*args, **kwargs)
    except KithError as err:
        show_error(err)
        return False
    return True
