"""The People list filtered by saved segments and expressions, and the language schema's view
of saved segments (references, static lists), with the real segment service."""

from __future__ import annotations

import pytest

from engine import Workspace
from engine.profiles.service import ProfileFilter
from kith_errors import DslError


@pytest.fixture
def crowd(ws: Workspace) -> dict[str, int]:
    ids = {
        "ana": ws.profiles.create({"user_id": "a"}, {"country": "ID", "name": "Ana"}).id,
        "budi": ws.profiles.create({"user_id": "b"}, {"country": "ID", "name": "Budi"}).id,
        "cara": ws.profiles.create({"user_id": "c"}, {"country": "PT", "name": "Cara"}).id,
    }
    ws.labels.add([ids["ana"], ids["cara"]], "vip", actor="admin")
    ws.segments.save("indonesia", expression='country = "ID"')
    ws.segments.save("vip_indonesia", expression='in segment "indonesia" and has label "vip"')
    ws.segments.save("outreach", kind="static")
    return ids


def test_list_by_segment_and_expression(ws: Workspace, crowd: dict[str, int]) -> None:
    def ids(**kw: object) -> list[int]:
        return (
            ws.profiles.list(ProfileFilter(**kw), sort="id", descending=False).rows["id"].tolist()
        )

    assert ids(segment="indonesia") == [crowd["ana"], crowd["budi"]]
    assert ids(segment="indonesia", label="vip") == [crowd["ana"]]
    assert ids(expression='country = "PT" or name = "Budi"') == [crowd["budi"], crowd["cara"]]
    assert ids(expression='has label "vip"', text="car") == [crowd["cara"]]
    with pytest.raises(DslError):
        ws.profiles.list(ProfileFilter(expression="country = = 1"))


def test_schema_knows_saved_segments(ws: Workspace, crowd: dict[str, int]) -> None:
    schema = ws.catalog.dsl_schema()
    assert schema.segments["vip_indonesia"] == frozenset({"indonesia"})
    assert schema.segments["indonesia"] == frozenset()
    assert schema.lists == frozenset({"outreach"})
    assert schema.labels == frozenset({"vip"})
