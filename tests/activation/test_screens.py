"""The Destinations screen and the Segments screen's "Sync to…" and "Broadcast" actions, through
Streamlit's AppTest on a real workspace file."""

from __future__ import annotations

import datetime as dt

from engine import Workspace
from tests.analytics.messages import identify
from tests.dashboard.conftest import Screen, empty, no_errors, screen, shown  # noqa: F401

BODY = '{"to": "{{address}}", "text": "{{message}}"}'


def test_an_admin_creates_a_webhook_and_sees_its_secret_once(
    empty: Workspace,  # noqa: F811
    screen: Screen,  # noqa: F811
) -> None:
    at = screen("destinations")
    no_errors(at)
    at.text_input(key="dest_name").input("crm")
    at.text_input(key="dest_url").input("ftp://crm.example/hook")
    at.button(key="dest_create").click().run()
    assert "must start with http:// or https://" in shown(at.warning[0].value).replace("\u2060", "")
    assert empty.activation.destinations() == []
    at.text_input(key="dest_url").input("https://crm.example/hook")
    at.button(key="dest_create").click().run()
    no_errors(at)
    [secret] = [c.value for c in at.code]
    assert secret.startswith("whsec_")
    at = screen("destinations")  # opened again: the secret is masked
    no_errors(at)
    assert all(secret not in c.value for c in at.caption)
    assert any("whse…" in shown(c.value) for c in at.caption)
    assert at.dataframe[0].value["name"].tolist() == ["crm"]


def test_a_segment_is_previewed_and_broadcast_from_the_segments_screen(
    empty: Workspace,  # noqa: F811
    screen: Screen,  # noqa: F811
) -> None:
    empty.ingest.messages(
        [identify(f"u{i}", country="ID", phone=f"+62811000{i}") for i in range(3)]
    )
    for user in ("u0", "u1"):
        pid = empty.profiles.find("user_id", user)
        empty.consent.set(pid, "whatsapp", "granted", at=dt.datetime(2026, 1, 1))
    empty.segments.save("indo", expression='country = "ID"')
    options = {"url": "http://127.0.0.1:9/send", "body": BODY}
    empty.activation.create_destination("wa", "messaging", options, channel="whatsapp")
    at = screen("segments")
    no_errors(at)
    at.button(key="act_bc_preview").click().run()
    no_errors(at)
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Will receive it"], metrics["Skipped"]) == ("2", "1")
    at.text_input(key="act_bc_name").input("promo")
    at.text_area(key="act_bc_message").input("hello")
    at.button(key="act_bc_send").click().run()
    no_errors(at)
    assert empty.activation.broadcasts()["name"].tolist() == ["promo"]
