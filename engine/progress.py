"""Long work says how far it got. A service that can take a while (an import, an export, an
erase) takes an optional `Progress`: a callback given, at each step, a sentence about the step
that begins and the share of the work already done (0 to 1). The dashboard draws it as a
progress bar; None means nobody is watching."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, float], None]


def report(progress: Progress | None, step: str, done: float) -> None:
    """Tell `progress`, if there is one, that `step` begins with `done` of the work behind."""
    if progress is not None:
        progress(step, min(max(done, 0.0), 1.0))
