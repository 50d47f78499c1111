"""Event names in Turkish, Japanese and Russian, tracked as senders write them, counted with the
language as people type them (folded the same way on both sides: dsl/names.py).

The catalog cannot register an event type whose name is not ASCII yet (its name rule,
`engine/catalog/service.py` `_NAME`, is issue 15's), and the language's check asks for
registered types; so the test hands the check the types the data holds, as registering them
would. Everything else is the real path: ingestion, the parser, the checker, the compiler, DuckDB.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from sqlglot import exp

from engine import Workspace
from engine.compiler import compile_query


def _track(user: str, event: str, n: int = 0) -> dict[str, Any]:
    return {"type": "track", "userId": user, "event": event, "messageId": f"{user}-{event}-{n}"}


def _counter(ws: Workspace) -> Any:
    schema = ws.segments.schema()
    held = {str(t): {} for t in ws.catalog.discovered()["event_type"]}
    schema = dataclasses.replace(schema, event_types={**held, **schema.event_types})

    def count(text: str) -> int:
        compiled = compile_query(
            ws.segments.context(schema=schema), ws.segments.parse(text, schema=schema)
        )
        counted = exp.select(exp.Count(this=exp.Star())).from_(compiled.expression.subquery("m"))
        return int(ws.db.scalar(counted, compiled.params))

    return count


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
        count = _counter(ws)
        assert count("did Ürün_Görüntülendi") == 2
        assert count("did ürün_görüntülendi and not did 商品を見た") == 2
        assert count("did 商品を見た") == 1
        assert count("did Просмотр_Товара") == 2
        assert count("did просмотр_товара at least 2 times") == 1
        assert count("did Ürün_Görüntülendi or did 商品を見た or did ПросмотрТовара") == 5
