"""The segment editor as a custom component (Streamlit's components v2): a multi-line text area
that keeps lines and `--` comments, sends its text and cursor to Python ~300 ms after typing
stops (so the count, the checker's error and the completions follow the typing, with no key to
press), and shows the completions for the word at the cursor as buttons; a click puts the name
in at the cursor.

The text lives in `st.session_state[key]`, a plain session value: the component writes it when
the person types, and Python may write it too (a "did you mean" fix; AppTest, which cannot
drive a component, sets it there). A change made by Python reaches the browser with a new
`revision`, so text the person is typing is never replaced by an older copy of itself.
Everything shown in the component is set as text (`textContent`, `value`), never as markup.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from dsl.complete import complete
from dsl.schema import Schema

DEBOUNCE_MS = 300

_HTML = """
<label class="kith-label"></label>
<textarea class="kith-text" spellcheck="false" rows="6"></textarea>
<div class="kith-completions" aria-label="Completions"></div>
"""

_CSS = """
.kith-label { display: block; font-size: 0.875rem; margin-bottom: 0.25rem;
  color: var(--st-text-color); font-family: var(--st-font); }
.kith-text { width: 100%; box-sizing: border-box; min-height: 150px; resize: vertical;
  font-family: var(--st-code-font, monospace); font-size: 0.875rem; padding: 0.5rem;
  color: var(--st-text-color); background: var(--st-secondary-background-color);
  border: 1px solid var(--st-border-color, #d5d5d9); border-radius: 0.5rem; }
.kith-text:focus { outline: 1px solid var(--st-primary-color); }
.kith-completions { display: flex; flex-wrap: wrap; gap: 0.25rem; margin-top: 0.25rem;
  font-family: var(--st-font); font-size: 0.8rem; color: var(--st-text-color); }
.kith-completions button { border: 1px solid var(--st-border-color, #d5d5d9);
  border-radius: 0.5rem; background: transparent; color: var(--st-text-color);
  padding: 0.1rem 0.5rem; cursor: pointer; font-family: var(--st-code-font, monospace); }
.kith-completions button:hover { border-color: var(--st-primary-color); }
"""

_JS = """
export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const area = parentElement.querySelector(".kith-text");
  const strip = parentElement.querySelector(".kith-completions");
  const label = parentElement.querySelector(".kith-label");
  const send = () => setStateValue("value", {
    text: area.value, cursor: area.selectionStart, revision: Number(area.dataset.revision),
  });
  area.kithSend = send;  // the listener below outlives this call: it sends with the newest
  label.textContent = data.label;
  area.setAttribute("aria-label", data.label);
  area.placeholder = data.placeholder;
  if (area.dataset.revision !== String(data.revision)) {
    area.value = data.text;  // a change made by Python (or the first draw)
    area.dataset.revision = String(data.revision);
  }
  strip.replaceChildren();
  if (area.value === data.text && data.completions.length) {
    const title = document.createElement("span");
    title.textContent = "Complete:";
    strip.appendChild(title);
    for (const option of data.completions) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = option.label;
      button.addEventListener("click", () => {
        area.value = option.text;
        area.focus();
        area.setSelectionRange(option.cursor, option.cursor);
        strip.replaceChildren();
        send();
      });
      strip.appendChild(button);
    }
  }
  if (!area.dataset.listening) {  // one listener for the element's life
    area.dataset.listening = "yes";
    let timer = null;
    area.addEventListener("input", () => {
      strip.replaceChildren();  // the completions were for the text before
      clearTimeout(timer);
      timer = setTimeout(() => area.kithSend(), Number(area.dataset.debounce));
    });
  }
  area.dataset.debounce = String(data.debounce);
}
"""

_component = st.components.v2.component(
    "kith_expression_editor", html=_HTML, css=_CSS, js=_JS, isolate_styles=True
)


def expression_editor(key: str, label: str, schema: Schema | None, placeholder: str = "") -> str:
    """Draw the editor whose text is `st.session_state[key]`; returns the text."""
    _take_typed(key)
    text = str(st.session_state.get(key, ""))
    cursor = _cursor(key, text)
    _component(
        key=_component_key(key),
        data={
            "label": label,
            "placeholder": placeholder,
            "text": text,
            "revision": st.session_state.get(_revision_key(key), 0),
            "completions": _completions(text, cursor, schema),
            "debounce": DEBOUNCE_MS,
        },
        default={"value": None},
        on_value_change=_declared,
    )
    return text


def put_text(key: str, text: str) -> None:
    """Replace the editor's text from Python (a fix, a preset): the browser takes it as new."""
    st.session_state[key] = text
    st.session_state[_cursor_key(key)] = len(text)
    st.session_state[_revision_key(key)] = st.session_state.get(_revision_key(key), 0) + 1


def _declared() -> None:
    """Names the component's `value` state (a state needs a callback); what it holds is taken
    at the start of the next run, by `_take_typed`."""


def _take_typed(key: str) -> None:
    """What the person typed since the last run becomes the editor's text (the component's
    state keeps its last message: one already taken is not taken again, so a change Python
    made since stays)."""
    state = st.session_state.get(_component_key(key))
    sent = state.get("value") if isinstance(state, dict) else None
    if not isinstance(sent, dict) or not isinstance(sent.get("text"), str):
        return
    if sent == st.session_state.get(_taken_key(key)):
        return
    st.session_state[_taken_key(key)] = sent
    text, cursor = sent["text"], sent.get("cursor")
    st.session_state[key] = text
    st.session_state[_cursor_key(key)] = cursor if isinstance(cursor, int) else len(text)


def _cursor(key: str, text: str) -> int:
    cursor = st.session_state.get(_cursor_key(key))
    return cursor if isinstance(cursor, int) and 0 <= cursor <= len(text) else len(text)


def _completions(text: str, cursor: int, schema: Schema | None) -> list[dict[str, Any]]:
    """The ways to finish the word at the cursor: the whole new text and where the cursor goes."""
    if schema is None:
        return []
    rest = text[cursor:]
    return [
        {"label": option.label, "text": option.text + rest, "cursor": len(option.text)}
        for option in complete(text[:cursor], schema)
    ]


def _component_key(key: str) -> str:
    return f"{key}_component"


def _taken_key(key: str) -> str:
    return f"{key}_taken"


def _cursor_key(key: str) -> str:
    return f"{key}_cursor"


def _revision_key(key: str) -> str:
    return f"{key}_revision"
