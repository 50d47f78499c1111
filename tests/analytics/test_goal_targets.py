"""Goals for the manager: a stored target with progress against it, the rate over a date
range, and saved segments compared side by side (by name, never read as an expression)."""

from __future__ import annotations

import pytest

from engine import Workspace
from kith_errors import NotFound, ValidationError
from tests.analytics.events import at, put_events

TRIAL = 'goal "Trial": start page_view where url contains "/pricing" target signup within 2 days'
LATER = at(2000)


@pytest.fixture
def trial(ws: Workspace) -> Workspace:
    """Profiles 1-4 see /pricing; 1 and 2 sign up in time, 3 too late, 4 never. Profiles 1
    and 2 are in Indonesia, saved as the segment "indonesia"."""
    put_events(
        ws,
        [
            (1, "page_view", 0, {"url": "/pricing"}),
            (1, "signup", 2),
            (2, "page_view", 20, {"url": "/pricing"}),
            (2, "signup", 30),
            (3, "page_view", 0, {"url": "/pricing"}),
            (3, "signup", 100),
            (4, "page_view", 200, {"url": "/pricing"}),
        ],
    )
    ws.db.execute("UPDATE profiles SET country = 'ID' WHERE id IN (1, 2)")
    ws.segments.save("indonesia", expression='country = "ID"')
    ws.goals.define(TRIAL)
    return ws


def test_a_target_is_stored_and_reports_show_progress(trial: Workspace) -> None:
    assert trial.goals.report("Trial", as_of=LATER).target is None
    trial.goals.set_target("Trial", 0.8)
    report = trial.goals.report("Trial", as_of=LATER)
    assert (report.rate, report.target) == (0.5, 0.8)
    assert report.progress == pytest.approx(0.625)
    assert report.as_dict()["target"] == 0.8
    assert trial.goals.list(as_of=LATER).set_index("name").loc["Trial", "target"] == 0.8
    trial.goals.define(TRIAL.replace("2 days", "3 days"), replace=True)  # keeps the target
    assert trial.goals.report("Trial", as_of=LATER).target == 0.8
    trial.goals.set_target("Trial", None)
    assert trial.goals.report("Trial", as_of=LATER).progress is None


@pytest.mark.parametrize("bad", [0, 1.5, -0.2, True, float("nan")])
def test_a_target_outside_0_to_1_is_refused(trial: Workspace, bad: float) -> None:
    with pytest.raises(ValidationError, match="at most 1"):
        trial.goals.set_target("Trial", bad)
    with pytest.raises(NotFound, match="did you mean 'Trial'"):
        trial.goals.set_target("Trail", 0.5)


def test_the_rate_over_a_date_range(trial: Workspace) -> None:
    listed = trial.goals.list(start=at(10), end=at(150), as_of=LATER)
    assert listed.set_index("name").loc["Trial", "completion_rate"] == 1.0  # only profile 2


def test_saved_segments_side_by_side_with_everyone(trial: Workspace) -> None:
    table = trial.goals.compare("Trial", ["indonesia"], saved=True, everyone=True, as_of=LATER)
    assert table["segment"].isna().tolist() == [True, False]  # everyone first
    assert table["segment"].iloc[1] == "indonesia"
    assert table[["starts", "completions"]].values.tolist() == [[4, 2], [2, 2]]
    with pytest.raises(NotFound, match='did you mean "indonesia"'):
        trial.goals.compare("Trial", ["indonesa"], saved=True)


def test_a_saved_segments_name_filters_a_report(trial: Workspace) -> None:
    """The page's "Only people in" passes a saved segment's name; before, the name was read
    as an expression and failed."""
    report = trial.goals.report("Trial", segment="indonesia", as_of=LATER)
    assert (report.starts, report.completions) == (2, 2)
