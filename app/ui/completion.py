"""The expression editors' helpers: buttons that finish the word being typed (the names the
words before it call for), and a checker's "did you mean" as a button that applies it. A
button writes the editor's text through its session key before the editor is drawn again."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

import streamlit as st

from app.ui.errors import show_error
from app.ui.text import literal
from dsl.complete import apply_suggestion, complete
from dsl.schema import Schema
from kith_errors import DslError, KithError

P = ParamSpec("P")
T = TypeVar("T")


def _put(key: str, text: str) -> None:
    st.session_state[key] = text


def suggestions(text: str, schema: Schema, key: str) -> None:
    """A strip of buttons under the editor with session key `key`: each finishes the word at
    the end of its text."""
    options = complete(text, schema)
    if not options:
        return
    with st.container(horizontal=True, gap="small"):
        st.caption("Complete:")
        for i, option in enumerate(options):
            st.button(
                literal(option.label),
                key=f"{key}_complete_{i}",
                on_click=_put,
                args=(key, option.text),
                type="tertiary",
            )


def fix_button(err: DslError, key: str, put: Callable[[str, str], None] = _put) -> None:
    """A button that puts the error's "did you mean" into the editor's text in place of the
    word it is about (nothing when there is no suggestion); `put(key, text)` writes it."""
    fixed = apply_suggestion(err)
    if fixed is None or err.suggestion is None:
        return
    st.button(
        f"Use {literal(err.suggestion)}",
        key=f"{key}_fix",
        on_click=put,
        args=(key, fixed),
        icon=":material/auto_fix_high:",
    )


def checked(
    key: str, text: str | None, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> T | None:
    """Call `fn`, which reads `text`, the text of the editor `key`; a KithError is shown and
    gives None, and a language error about that text comes with its fix as a button."""
    return checked_with(_put, key, text, fn, *args, **kwargs)


def checked_with(
    put: Callable[[str, str], None],
    key: str,
    text: str | None,
    fn: Callable[P, T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T | None:
    """`checked` for an editor whose text `put(key, text)` replaces."""
    try:
        return fn(*args, **kwargs)
    except DslError as err:
        show_error(err)
        if text and err.source == text:
            fix_button(err, key, put)
    except KithError as err:
        show_error(err)
    return None
