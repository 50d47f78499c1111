"""The login and first-admin pages: self-contained HTML (no script, no external asset), every
dynamic value escaped."""

from __future__ import annotations

from html import escape

_STYLE = """
body{font-family:system-ui,sans-serif;background:#f6f7f9;margin:0;display:flex;
justify-content:center;align-items:center;min-height:100vh;color:#1f2430}
form{background:#fff;padding:2rem 2.2rem;border-radius:10px;box-shadow:0 2px 12px #0002;
width:20rem}
h1{font-size:1.4rem;margin:0 0 1.2rem}label{display:block;margin:.8rem 0 .3rem;font-size:.9rem}
input{width:100%;box-sizing:border-box;padding:.55rem;border:1px solid #c8ccd4;border-radius:6px}
button{margin-top:1.3rem;width:100%;padding:.6rem;border:0;border-radius:6px;background:#ff4b4b;
color:#fff;font-size:1rem;cursor:pointer}.error{color:#b00020;font-size:.9rem;margin:.6rem 0}
.note{color:#5c6370;font-size:.85rem}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · Kith</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def _error(message: str) -> str:
    return f'<p class="error" role="alert">{escape(message)}</p>' if message else ""


def login_page(next_path: str = "/", error: str = "") -> str:
    return _page(
        "Log in",
        '<form method="post" action="/login" id="login">'
        "<h1>Log in to Kith</h1>"
        f"{_error(error)}"
        f'<input type="hidden" name="next" value="{escape(next_path)}">'
        '<label for="username">Username</label>'
        '<input id="username" name="username" autocomplete="username" required autofocus>'
        '<label for="password">Password</label>'
        '<input id="password" name="password" type="password" '
        'autocomplete="current-password" required>'
        '<button type="submit">Log in</button></form>',
    )


def setup_page(token: str, error: str = "") -> str:
    return _page(
        "Create the admin",
        '<form method="post" action="/setup" id="setup">'
        "<h1>Create the first admin</h1>"
        '<p class="note">This workspace has no users yet. The admin you create here can add '
        "the others (Settings, or <code>kith users create</code>).</p>"
        f"{_error(error)}"
        f'<input type="hidden" name="token" value="{escape(token)}">'
        '<label for="username">Username</label>'
        '<input id="username" name="username" autocomplete="username" required autofocus>'
        '<label for="password">Password (10 characters or more)</label>'
        '<input id="password" name="password" type="password" autocomplete="new-password" '
        "required>"
        '<button type="submit">Create and log in</button></form>',
    )


def gone_page() -> str:
    return _page(
        "Link used",
        '<form><h1>This link is no longer valid</h1><p class="note">The workspace already has '
        'its admin. <a href="/login">Log in</a>.</p></form>',
    )
