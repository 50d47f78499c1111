"""Stored membership never goes stale: random sequences of changes (ingestion, edits, labels,
consent, merge, unmerge, erase, imports, list edits, rules' own writes, the clock moving, a full
refresh) on a small workspace with saved segments of every kind. After every step each saved
segment's stored members equal a fresh evaluation, its entered/exited history replays to them,
and every entering/leaving rule fired exactly once per transition."""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from dsl.ast import InSegment
from engine import Workspace
from engine.changes import Change, ChangeKind
from engine.clock import utcnow
from engine.compiler import compile_query
from kith_errors import Conflict, NotFound

DYNAMIC = {
    "from_id": 'country = "ID"',
    "vip": 'has label "vip"',
    "emailable": "consent email is granted",
    "buyers": "did purchase in last 3 days",
    "quiet": "not (did page_view in last 2 days)",
    "pro": 'plan = "pro"',
    "chosen_id": 'in segment "vip_or_picked" and country = "ID"',
}
COMPOUND = {
    "vip_or_picked": ("union", ["vip", "picked"]),
    "buyers_not_emailable": ("difference", ["buyers", "emailable"]),
    "id_vips": ("intersection", ["from_id", "vip"]),
}
RULES = {  # (trigger segment, change) -> rule; the writes feed other segments and rules
    "reward": 'when entering segment "buyers" then add label "vip"',
    "unreward": 'when leaving segment "buyers" then remove label "vip"',
    "promote": 'when entering segment "chosen_id" then set plan = "pro"',
    "demote": 'when leaving segment "vip" then set plan = "free"',
    "welcome": 'when entering segment "quiet" then notify "gone quiet"',
    "sign": 'when signup then add to list "picked"',
}
SEGMENT_RULES = {
    "reward": ("buyers", "entered"),
    "unreward": ("buyers", "exited"),
    "promote": ("chosen_id", "entered"),
    "demote": ("vip", "exited"),
    "welcome": ("quiet", "entered"),
}
PEOPLE = 6  # u0..u5 exist from the start; u6, u7 arrive as anonymous visitors
KEYS = st.integers(0, PEOPLE + 1)

steps = st.one_of(
    st.tuples(
        st.just("ingest"),
        KEYS,
        st.sampled_from(["purchase", "page_view", "signup"]),
        st.integers(0, 100),
        st.sampled_from([None, PEOPLE, PEOPLE + 1]),
    ),
    st.tuples(st.just("edit"), KEYS, st.sampled_from(["ID", "US", None])),
    st.tuples(st.just("label"), KEYS, st.booleans()),
    st.tuples(st.just("consent"), KEYS, st.sampled_from(["granted", "revoked"])),
    st.tuples(st.just("merge"), KEYS, KEYS),
    st.tuples(st.just("unmerge")),
    st.tuples(st.just("erase"), KEYS),
    st.tuples(st.just("import"), KEYS, st.sampled_from(["ID", "US"])),
    st.tuples(st.just("list"), KEYS, st.booleans()),
    st.tuples(st.just("time"), st.integers(1, 60)),
    st.tuples(st.just("refresh")),
)


def build(path: Path, start: dt.datetime) -> None:
    """The workspace every example starts from: six people, the saved segments, the rules."""
    with Workspace.open(path) as ws:
        ws.clock = lambda: start
        ws.catalog.define_property("plan", "string")
        for k in range(PEOPLE):
            country = "ID" if k % 2 else "US"
            ws.profiles.create({"user_id": f"u{k}"}, {"country": country})
        ws.labels.add(ws.profiles.find("user_id", "u1"), "vip", actor="test")  # a known label
        ws.segments.save("picked", kind="static")
        for name, text in DYNAMIC.items():
            if name == "chosen_id":
                for compound, (op, of) in COMPOUND.items():
                    ws.segments.save(compound, kind="compound", op=op, of=of)
            ws.segments.save(name, expression=text)
        for name, source in RULES.items():
            ws.rules.add(name, source)
        ws.db.checkpoint()


class Live:
    """The workspace under test, its moving clock and the merges it could undo."""

    def __init__(self, path: Path, start: dt.datetime) -> None:
        self.ws = Workspace.open(path)
        self.now = start
        self.ws.clock = lambda: self.now
        self.merges: list[int] = []
        self.sent = 0

    def profile(self, k: int) -> int | None:
        if k < PEOPLE:
            return self.ws.profiles.find("user_id", f"u{k}")
        return self.ws.profiles.find("anonymous_id", f"a{k}")

    def run(self, step: tuple[Any, ...]) -> None:
        kind, *args = step
        getattr(self, f"_{kind}")(*args)

    def _ingest(self, k: int, event: str, hours_ago: int, also: int | None) -> None:
        self.sent += 1
        message: dict[str, Any] = {"type": "track", "event": event, "messageId": f"m{self.sent}"}
        message["timestamp"] = (self.now - dt.timedelta(hours=hours_ago)).isoformat() + "Z"
        message["userId" if k < PEOPLE else "anonymousId"] = f"u{k}" if k < PEOPLE else f"a{k}"
        if also is not None and k < PEOPLE:  # an anonymous visitor identified: a merge
            message["anonymousId"] = f"a{also}"
        self.ws.ingest.messages([message])

    def _edit(self, k: int, country: str | None) -> None:
        if (pid := self.profile(k)) is not None:
            self.ws.profiles.update(pid, {"country": country}, actor="test")

    def _label(self, k: int, add: bool) -> None:
        if (pid := self.profile(k)) is not None:
            change = self.ws.labels.add if add else self.ws.labels.remove
            change(pid, "vip", actor="test")

    def _consent(self, k: int, status: str) -> None:
        if (pid := self.profile(k)) is not None:
            self.ws.consent.set(pid, "email", status)

    def _merge(self, k: int, j: int) -> None:
        primary, secondary = self.profile(k), self.profile(j)
        if primary is not None and secondary is not None and primary != secondary:
            with contextlib.suppress(Conflict):  # past the merge cap: refused, nothing changes
                self.merges.append(self.ws.merges.merge(primary, secondary, override=True))

    def _unmerge(self) -> None:
        if self.merges:
            with contextlib.suppress(Conflict, NotFound):  # merged on since, or erased
                self.ws.merges.unmerge(self.merges.pop())

    def _erase(self, k: int) -> None:
        if (pid := self.profile(k)) is not None:
            self.ws.privacy.erase(pid, actor="test")

    def _import(self, k: int, country: str) -> None:
        self.ws.transfer.import_profiles(f"identifier,country\nu{k},{country}\n")

    def _list(self, k: int, add: bool) -> None:
        if (pid := self.profile(k)) is not None:
            change = self.ws.segments.add_members if add else self.ws.segments.remove_members
            change("picked", [pid], "test")

    def _time(self, hours: int) -> None:
        self.now += dt.timedelta(hours=hours)
        self.ws.commit(Change(ChangeKind.TIME, as_of=self.now))

    def _refresh(self) -> None:
        assert not self.ws.segments.refresh()  # nothing was stale


# ---- what must hold after every step -----------------------------------------------------------


def fresh(ws: Workspace, as_of: dt.datetime) -> dict[str, set[int]]:
    """Every saved segment evaluated anew from its definition at `as_of`, in one query."""
    ctx = ws.segments.context(as_of)
    parts = []
    for name in names(ws):
        query = compile_query(ctx, InSegment(name)).expression
        parts.append(query.select(exp.alias_(exp.Literal.string(name), "segment"), copy=False))
    found: dict[str, set[int]] = {name: set() for name in names(ws)}
    for pid, name in ws.db.rows(exp.union(*parts, distinct=False), ctx.params):
        found[name].add(int(pid))
    return found


def stored(ws: Workspace) -> dict[str, set[int]]:
    rows = ws.db.rows(
        "SELECT s.name, m.profile_id FROM segments s JOIN segment_members m ON m.segment_id = s.id"
    )
    found: dict[str, set[int]] = {name: set() for name in names(ws)}
    for name, pid in rows:
        found[name].add(int(pid))
    return found


def names(ws: Workspace) -> list[str]:
    return [str(r[0]) for r in ws.db.rows("SELECT name FROM segments ORDER BY name")]


def replayed(ws: Workspace) -> dict[str, set[int]]:
    """Members by the history alone: entries and exits alternate, starting with an entry."""
    rows = ws.db.rows(
        "SELECT s.name, h.profile_id, h.change FROM segment_history h "
        "JOIN segments s ON s.id = h.segment_id ORDER BY h.changed_at, h.rowid"
    )
    last: dict[tuple[str, int], str] = {}
    for name, pid, change in rows:
        expected = "exited" if last.get((name, pid)) == "entered" else "entered"
        assert change == expected, (name, pid, change)
        last[(name, pid)] = change
    found: dict[str, set[int]] = {name: set() for name in names(ws)}
    for (name, pid), change in last.items():
        if change == "entered":
            found[name].add(int(pid))
    return found


def transitions(ws: Workspace) -> Counter[tuple[str, int, str]]:
    rows = ws.db.rows(
        "SELECT s.name, h.profile_id, h.change FROM segment_history h "
        "JOIN segments s ON s.id = h.segment_id"
    )
    return Counter((str(n), int(p), str(c)) for n, p, c in rows)


def firings(ws: Workspace) -> Counter[tuple[str, int]]:
    rows = ws.db.rows(
        "SELECT r.name, x.profile_id FROM rule_runs x JOIN rules r ON r.id = x.rule_id"
    )
    return Counter((str(n), int(p)) for n, p in rows)


def profile_ids(ws: Workspace) -> set[int]:
    return {int(r[0]) for r in ws.db.rows("SELECT id FROM profiles")}


def check_firings(
    before: tuple[Counter, Counter], after: tuple[Counter, Counter], removed: set[int]
) -> None:
    """Per entering/leaving rule and profile: as many new firings as new transitions; none
    for a profile the step removed (nobody is left to act on)."""
    moved, fired = after[0] - before[0], after[1] - before[1]
    for rule, (segment, change) in SEGMENT_RULES.items():
        pids = {p for s, p, c in moved if s == segment} | {p for r, p in fired if r == rule}
        for pid in pids:
            expected = 0 if pid in removed else moved[(segment, pid, change)]
            assert fired[(rule, pid)] == expected, (rule, pid, dict(moved), dict(fired))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dt.datetime]:
    path = tmp_path_factory.mktemp("live") / "template.duckdb"
    start = utcnow().replace(microsecond=0) + dt.timedelta(days=1)  # after any wall-clock write
    build(path, start)
    return path, start


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(script=st.lists(steps, min_size=4, max_size=12))
def test_stored_membership_follows_every_change(
    template: tuple[Path, dt.datetime], script: list[tuple[Any, ...]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(template[0], Path(folder) / "kith.duckdb")
        live = Live(Path(folder) / "kith.duckdb", template[1])
        try:
            for step in script:
                check_step(live, step)
        finally:
            live.ws.close()


def check_step(live: Live, step: tuple[Any, ...]) -> None:
    ws = live.ws
    before, ids_before = (transitions(ws), firings(ws)), profile_ids(ws)
    live.run(step)
    members = stored(ws)
    assert members == fresh(ws, live.now), step
    assert replayed(ws) == members, step
    after = (transitions(ws), firings(ws))
    check_firings(before, after, ids_before - profile_ids(ws))
