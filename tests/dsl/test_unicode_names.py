"""Names in any script: a bare name holds letters of any script, digits, marks and `_`; an
event name that is not ASCII is folded as ingestion folds it (dsl/names.py), an ASCII one is
left as typed; errors point at the right column and the caret sits under it on screen;
completion offers such names bare."""

from __future__ import annotations

import pytest

import dsl
from dsl import ast
from dsl.complete import complete
from dsl.names import fold
from dsl.refs import event_types_used
from dsl.schema import Schema
from engine.ingest.frames import _type_name
from kith_errors import DslNameError, DslSyntaxError

TRACKED = ["Ürün Görüntülendi", "商品を見た", "Просмотр Товара", "ＯｒｄｅｒＣｏｍｐｌｅｔｅｄ"]


@pytest.mark.parametrize("name", TRACKED)
def test_the_language_folds_a_name_as_ingestion_does(name: str) -> None:
    stored, refused = _type_name(name)
    assert refused is None and stored == fold(name)
    bare = name.replace(" ", "_")
    for typed in (f"did {bare}", f"did {stored}"):
        assert event_types_used(dsl.parse_segment(typed)) == {stored}, typed


def test_ascii_and_quoted_names_are_read_as_typed() -> None:
    assert event_types_used(dsl.parse_segment("did Order_Completed")) == {"Order_Completed"}
    assert event_types_used(dsl.parse_segment('did "Order Done"')) == {"Order Done"}
    quoted = dsl.parse_segment('did "Ürün Görüntülendi"')
    assert event_types_used(quoted) == {"Ürün Görüntülendi"}
    assert dsl.format_expr(quoted) == 'did "Ürün Görüntülendi"'  # reads back the same


def test_properties_may_be_named_in_any_script_and_are_not_folded() -> None:
    expr = dsl.parse_segment("Şehir = 'İzmir' and did покупка where Цена > 5")
    assert isinstance(expr, ast.And)
    first, second = expr.items
    assert isinstance(first, ast.Compare) and first.field.parts == ("Şehir",)
    assert isinstance(second, ast.Did) and second.match.where is not None
    assert dsl.format_expr(expr) == 'Şehir = "İzmir" and did покупка where Цена > 5'


@pytest.mark.parametrize(
    "text", ["did ürün_görüntülendi in last 7 days", "did 商品を見た then просмотр_товара"]
)
def test_printed_text_reads_back_the_same(text: str) -> None:
    expr = dsl.parse_segment(text)
    assert dsl.format_expr(expr) == text
    assert dsl.parse_segment(dsl.format_expr(expr)) == expr


def test_a_symbol_in_a_name_is_refused_at_its_column_with_the_caret_under_it() -> None:
    with pytest.raises(DslSyntaxError) as caught:
        dsl.parse_segment("did 商品€見た")
    err = caught.value
    assert (err.line, err.column) == (1, 7)
    assert "'€'" in err.message
    # 商 and 品 are two cells wide each on screen: the caret goes under the €
    assert err.caret() == "did 商品€見た\n        ^"


def test_an_error_after_non_ascii_text_points_at_the_right_column() -> None:
    with pytest.raises(DslSyntaxError) as caught:
        dsl.parse_segment("did Ürün_Görüntülendi and Şehir ==")
    assert caught.value.column == len("did Ürün_Görüntülendi and Şehir ==") + 1
    assert caught.value.caret().splitlines()[1] == " " * 34 + "^"


def test_an_unknown_folded_name_is_reported_by_its_stored_form() -> None:
    schema = Schema(event_types={"ürün_görüntülendi": {}})
    dsl.check_segment(dsl.parse_segment("did Ürün_Görüntülendi"), schema, "")
    with pytest.raises(DslNameError) as caught:
        dsl.check_segment(dsl.parse_segment("did Ürün_Görüldü"), schema, "did Ürün_Görüldü")
    assert "ürün_görüldü" in str(caught.value)


SCHEMA = Schema(
    properties={"şehir": "string"},
    event_types={"ürün_görüntülendi": {}, "商品を見た": {}, "просмотр_товара": {}},
)


@pytest.mark.parametrize(
    ("text", "offered"),
    [
        ("did ürü", ["did ürün_görüntülendi "]),
        ("did Ürü", ["did ürün_görüntülendi "]),
        ("did 商品", ["did 商品を見た "]),
        ("did purchase then прос", ["did purchase then просмотр_товара "]),
        ("şeh", ["şehir "]),
    ],
)
def test_completion_offers_names_in_any_script_bare(text: str, offered: list[str]) -> None:
    assert [c.text for c in complete(text, SCHEMA)] == offered
