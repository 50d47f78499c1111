"""Long work shows progress (issue 16, item 16): imports, exports and erasures report each step
as it begins, in order, ending done, and the screens draw those steps as a progress bar (an
import and an erasure then redraw the screen with a toast: see test_screens_b_profile.py)."""

from __future__ import annotations

import pytest

from engine import Workspace
from engine.profiles.service import ProfileFilter
from tests.dashboard.conftest import Screen, no_errors

pytestmark = pytest.mark.xdist_group("dashboard")

CSV = b"email,name\nfirst.new@example.com,First New\nsecond.new@example.com,Second New\n"


class Steps:
    """A progress callback that keeps what it was told."""

    def __init__(self) -> None:
        self.told: list[tuple[str, float]] = []

    def __call__(self, step: str, done: float) -> None:
        self.told.append((step, done))

    @property
    def shares(self) -> list[float]:
        return [done for _, done in self.told]


def _in_order(steps: Steps) -> None:
    assert steps.shares == sorted(steps.shares)
    assert steps.shares[0] == 0.0 and steps.told[-1][1] == 1.0


def test_an_import_reports_its_steps(seeded: Workspace) -> None:
    steps = Steps()
    seeded.transfer.import_profiles(CSV, actor="test", progress=steps)
    _in_order(steps)
    assert "Storing 2 profiles" in [step for step, _ in steps.told]


def test_an_export_reports_its_steps(seeded: Workspace) -> None:
    steps = Steps()
    seeded.transfer.export_profiles(ProfileFilter(lifecycle="customer"), progress=steps)
    _in_order(steps)
    total = seeded.profiles.list(ProfileFilter(lifecycle="customer"), limit=1).total
    assert f"Writing {total:,} profiles as CSV" in [step for step, _ in steps.told]


def test_an_erasure_reports_every_table_it_clears(seeded: Workspace) -> None:
    pid = int(seeded.profiles.list(limit=1).rows["id"].iloc[0])
    steps = Steps()
    removed = seeded.privacy.erase(pid, actor="test", progress=steps)
    _in_order(steps)
    cleared = {step.rsplit(" ", 1)[-1] for step, _ in steps.told if step.startswith("Deleting")}
    assert cleared == set(removed) - {"profiles"}


def test_the_export_screen_draws_the_steps_as_a_bar(seeded: Workspace, screen: Screen) -> None:
    at = screen("transfer")
    next(b for b in at.button if b.label == "Prepare export").click().run()
    no_errors(at)
    (box,) = at.status
    assert box.label == "Exporting: done" and box.state == "complete"
    (bar,) = at.progress
    assert bar.value == 100 and bar.text == "Exported"
