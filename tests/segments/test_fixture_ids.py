"""Every dsl.md example and semantic edge -> the exact profile ids on the fixture dataset, both
through the compiled SQL and through the pure-Python reference evaluator."""

from __future__ import annotations

import pytest

import dsl
from engine import Workspace
from tests import segment_fixtures as fx
from tests.segments.reference import Dataset, Reference

pytestmark = pytest.mark.xdist_group("segments_fixture")


def reference_dataset() -> Dataset:
    profiles = {row["id"]: row for row in fx.profile_rows()}
    saved = {
        name: {"kind": "dynamic", "expr": dsl.parse_segment(text)}
        for name, text in fx.SAVED.items()
    }
    return Dataset(
        profiles=profiles,
        events=fx.event_rows(),
        identities=fx.identity_rows(),
        labels=list(fx.LABELS),
        consent_log=fx.consent_rows(),
        event_types={**fx.EVENT_TYPES, "purchase": {"amount": "number"}},
        saved=saved,
    )


@pytest.mark.parametrize("text", sorted(fx.EXPECTED))
def test_compiled_sql_finds_the_expected_profiles(loaded: Workspace, text: str) -> None:
    assert set(loaded.segments.ids(text, as_of=fx.AS_OF)) == fx.EXPECTED[text]


@pytest.mark.parametrize("text", sorted(fx.EXPECTED))
def test_reference_evaluator_agrees_with_the_hand_made_answers(text: str) -> None:
    reference = Reference(reference_dataset(), fx.AS_OF)
    assert reference.members(dsl.parse_segment(text)) == fx.EXPECTED[text]


@pytest.mark.parametrize("text", sorted(fx.EXPECTED))
def test_count_matches_the_ids(loaded: Workspace, text: str) -> None:
    assert loaded.segments.count(text, as_of=fx.AS_OF) == len(fx.EXPECTED[text])


@pytest.mark.parametrize(
    "text",
    [
        'plan in ["pro", "team"] or company is set',
        "did purchase where amount > 100 at least 2 times in last 14 days",
        "did not page_view in last 30 days",
        "did signup then purchase within 7 days",
        'in segment "active_subscribers"',
        "consent whatsapp is unknown",
    ],
)
def test_explain_agrees_with_membership_for_every_profile(loaded: Workspace, text: str) -> None:
    verdicts = {pid: loaded.segments.explain(text, pid, as_of=fx.AS_OF).value for pid in fx.ALL}
    assert {pid for pid, inside in verdicts.items() if inside} == fx.EXPECTED[text]
