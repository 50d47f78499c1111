"""Event names in Turkish, Japanese and Russian, tracked as senders write them, registered from
the data in one command, and counted with the language as people type them (folded the same way
on both sides: dsl/names.py). The real path throughout: ingestion, the catalog, the parser, the
checker, the compiler, DuckDB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine import Workspace
from engine.analytics.funnel_spec import FunnelSpec, FunnelStep
from kith_errors import ValidationError


def _track(user: str, event: str, n: int = 0) -> dict[str, Any]:
    return {"type": "track", "userId": user, "event": event, "messageId": f"{user}-{event}-{n}"}


def test_events_named_in_three_scripts_are_counted_by_the_language(tmp_path: Path) -> None:
    messages = [
        *(_track(u, "Ürün Görüntülendi") for u in ("ayşe", "mehmet")),
        _track("haruto", "商品を見た"),
        *(_track("olga", "Просмотр Товара", n) for n in range(2)),
        _track("ivan", "просмотрТовара"),
    ]
    with Workspace.open(tmp_path / "w.duckdb") as ws:
        assert ws.ingest.messages(messages).rejected == []
        types = set(ws.catalog.discovered()["event_type"])
        assert {"ürün_görüntülendi", "商品を見た", "просмотр_товара"} <= types
        ws.catalog.register_from_data()
        count = ws.segments.count
        assert count("did Ürün_Görüntülendi") == 2
        assert count("did ürün_görüntülendi and not did 商品を見た") == 2
        assert count("did 商品を見た") == 1
        assert count("did Просмотр_Товара") == 2
        assert count("did просмотр_товара at least 2 times") == 1
        assert count("did Ürün_Görüntülendi or did 商品を見た or did ПросмотрТовара") == 5
        step = FunnelStep.parse("Просмотр_Товара")  # typed as in a segment, folded the same
        assert step.event == "просмотр_товара"
        assert ws.funnels.run(FunnelSpec(steps=[step])).entered == 2  # olga and ivan


def test_an_event_type_in_another_script_registers_as_ingestion_stores_it(
    tmp_path: Path,
) -> None:
    with Workspace.open(tmp_path / "w.duckdb") as ws:
        made = ws.catalog.register_event_type("ürün_görüntülendi", properties={"sku": "string"})
        assert made.name == "ürün_görüntülendi"
        with pytest.raises(ValidationError, match="use 'ürün_görüntülendi'"):
            ws.catalog.register_event_type("Ürün Görüntülendi")
        with pytest.raises(ValidationError, match="starting with a letter, as ingestion") as err:
            ws.catalog.register_event_type("🎉_party")
        assert ": use" not in str(err.value)  # ingestion refuses emoji: no name to suggest
