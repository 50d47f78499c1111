"""Stored text is text. Everything that came from data or a person (names, emails, labels,
properties, segment and rule names and expressions, event payloads, error messages quoting
them) is shown literally: `literal` for the places Streamlit reads as Markdown (titles,
captions, markdown, badges, button/tab/radio labels, callouts), `chart_text` for Plotly labels
(which read a subset of HTML). Only our own fixed strings may carry formatting."""

from __future__ import annotations

import re
from html import escape
from typing import Any

from app.ui import fmt

# every ASCII punctuation character may be backslash-escaped in CommonMark: escaping them all
# stops emphasis, links, images, HTML, headings, lists, tables, math ($), emoji shortcodes and
# Streamlit's :color[...] / :material/...: directives
_PUNCTUATION = re.compile(r"([!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")
# Streamlit's GFM autolinks bare URLs and e-mail addresses after escapes are resolved; an
# invisible WORD JOINER inside "://", after "www" and after "@" leaves the text as it reads but
# no longer shaped like a link
_AUTOLINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)")
_JOINER = "\u2060"


def literal(value: Any) -> str:
    """`value` as Markdown that shows exactly its text, on one line."""
    text = _LINE_BREAKS.sub(" ", fmt.value(value))
    text = _AUTOLINK.sub(_JOINER, text)
    return _PUNCTUATION.sub(r"\\\1", text)


def chart_text(value: Any) -> str:
    """`value` as a Plotly label that shows exactly its text (no tags, no links)."""
    return escape(fmt.value(value), quote=False)
