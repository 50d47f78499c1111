"""Identity resolution over a whole batch, set-based.

Every message carries identity keys (user_id, email, phone, channel ids, anonymous_id). Keys
that co-occur in a message belong to one person; keys already stored point at their profile.
Connected components over that graph (vectorised label propagation in numpy, one node per
unique key or profile, never per event) give one profile per component: none stored -> a new
profile, one -> that profile, several -> merge into the oldest. A component that would give a
profile more values of a type than its limit allows is resolved message by message instead,
dropping the lowest-priority conflicting key from the match and logging the decision.

An alias whose previousId is not a known anonymous id but a known userId is the customer's own
system saying the two ids are one person: its message joins that userId's profile (merging the
profile the new userId had, if any, into it), whatever the limits, and the decision is logged
(`join_aliases`). Limits guard against accidental merges through shared values, not against an
explicit alias.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

if TYPE_CHECKING:
    from store.ingest import StoredKeys

# ---- resolution --------------------------------------------------------------------------------


@dataclass
class Graph:
    """The batch's identity graph, as arrays pulled from the staging tables.

    rows/keys: one entry per (message line, key) pair; `row_ts` the event time per line
    (int64, indexed by line); `key_type`, `key_value`, `key_profile`
    (-1 = not stored yet) and `key_prio` (0 = highest) per unique key; `profiles`: the stored
    profiles those keys point at, with `created` for choosing the merge primary;
    `stored`: identities already held by those profiles (profile_id, type, value)."""

    rows: np.ndarray
    keys: np.ndarray
    key_type: np.ndarray
    key_value: np.ndarray
    key_profile: np.ndarray
    key_prio: np.ndarray
    row_ts: np.ndarray
    profiles: pd.DataFrame
    stored: pd.DataFrame
    limits: dict[str, int]


@dataclass
class Resolution:
    """Which profile each message belongs to, and what to change to get there."""

    row_group: np.ndarray  # per line: its group (-1 where the line carries no key)
    group_profile: dict[int, int] = field(default_factory=dict)
    new_groups: list[int] = field(default_factory=list)
    key_group: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    merges: list[tuple[int, int]] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected components of an undirected graph on nodes 0..n-1: the smallest node of
    each node's component. Min-label propagation with pointer jumping."""
    labels = np.arange(n, dtype=np.int64)
    while True:
        low = np.minimum(labels[a], labels[b])
        new = labels.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[new[new]]
        if np.array_equal(new, labels):
            return labels
        labels = new


def resolve(graph: Graph) -> Resolution:
    """Group messages and keys into profiles (see the module docstring)."""
    nkeys, pids = len(graph.key_type), graph.profiles["id"].to_numpy()
    node_of_pid = {int(p): nkeys + i for i, p in enumerate(pids)}
    anchor = _anchors(graph)
    stored_mask = graph.key_profile >= 0
    key_nodes = np.flatnonzero(stored_mask)
    prof_nodes = np.array([node_of_pid[int(p)] for p in graph.key_profile[stored_mask]], dtype=int)
    a = np.concatenate([anchor[graph.rows], key_nodes])
    b = np.concatenate([graph.keys, prof_nodes])
    labels = components(nkeys + len(pids), a, b)
    over = _over_limit(graph, labels, node_of_pid)
    log: list[dict[str, Any]] = []
    if over.size:
        labels, log = _greedy(graph, labels, over, node_of_pid, anchor)
    res = _assign(graph, labels, node_of_pid, anchor)
    res.log = log
    return res


def _anchors(graph: Graph) -> np.ndarray:
    """Per message (indexed by line), its highest-priority key: the key the message follows
    (the lowest (priority, key) pair, packed into one integer so no sort is needed)."""
    nkeys = max(len(graph.key_type), 1)
    packed = graph.key_prio[graph.keys] * nkeys + graph.keys
    best = np.full(int(graph.rows.max()) + 1 if len(graph.rows) else 0, -1, dtype=np.int64)
    if not len(graph.rows):
        return best
    best[:] = np.iinfo(np.int64).max
    np.minimum.at(best, graph.rows, packed)
    return np.where(best == np.iinfo(np.int64).max, -1, best % nkeys)


def _over_limit(graph: Graph, labels: np.ndarray, node_of_pid: dict[int, int]) -> np.ndarray:
    """Components whose keys plus their profiles' stored identities break a per-type limit."""
    nkeys = len(graph.key_type)
    fresh = pd.DataFrame({"comp": labels[:nkeys], "type": graph.key_type, "value": graph.key_value})
    held = graph.stored.assign(
        comp=labels[graph.stored["profile_id"].map(node_of_pid).to_numpy(dtype=np.int64)]
    )[["comp", "type", "value"]]
    both = pd.concat([fresh, held], ignore_index=True).drop_duplicates()
    counts = both.groupby(["comp", "type"], sort=False).size().reset_index(name="n")
    limit = counts["type"].map(graph.limits).fillna(np.inf)
    return counts.loc[counts["n"] > limit, "comp"].unique()


def _greedy(
    graph: Graph,
    labels: np.ndarray,
    over: np.ndarray,
    node_of_pid: dict[int, int],
    anchor: np.ndarray,
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Re-resolve over-limit components message by message, in time order."""
    nkeys = len(graph.key_type)
    bad = np.isin(labels, over)
    uf = _LimitedUnion(graph, node_of_pid, np.flatnonzero(bad))
    by_row: dict[int, list[int]] = defaultdict(list)
    mask = bad[graph.keys]
    for row, key in zip(graph.rows[mask].tolist(), graph.keys[mask].tolist(), strict=True):
        by_row[row].append(key)
    for row in sorted(by_row, key=lambda r: (graph.row_ts[r], r)):
        keys = sorted(by_row[row], key=lambda k: (graph.key_prio[k], k))
        for key in keys[1:]:
            uf.join(int(anchor[row]), key, row)
    labels = labels.copy()
    offset = nkeys + len(node_of_pid)
    for node in np.flatnonzero(bad).tolist():
        labels[node] = offset + uf.find(node)
    return labels, uf.log


class _LimitedUnion:
    """Union-find whose sets remember their identity values per type, refusing a union
    that would break a limit (only used for the rare over-limit components)."""

    def __init__(self, graph: Graph, node_of_pid: dict[int, int], nodes: np.ndarray) -> None:
        self.graph, self.parent = graph, {int(n): int(n) for n in nodes}
        self.log: list[dict[str, Any]] = []
        self.values: dict[int, dict[str, set[str]]] = {}
        nkeys = len(graph.key_type)
        for node in self.parent:
            self.values[node] = defaultdict(set)
            if node < nkeys:
                self.values[node][str(graph.key_type[node])].add(str(graph.key_value[node]))
        for pid, type_, value in graph.stored.itertuples(index=False):
            node = node_of_pid[int(pid)]
            if node in self.parent:
                self.values[node][type_].add(value)
        for key in self.parent:
            if key < nkeys and graph.key_profile[key] >= 0:
                self._union(key, node_of_pid[int(graph.key_profile[key])])

    def find(self, node: int) -> int:
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def join(self, anchor: int, key: int, row: int) -> None:
        ra, rk = self.find(anchor), self.find(key)
        if ra == rk:
            return
        broken = _broken_limit(self.values[ra], self.values[rk], self.graph.limits)
        if broken is None:
            self._union(ra, rk)
            return
        self.log.append(_drop_entry(self.graph, anchor, key, row, broken))

    def _union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        low, high = min(ra, rb), max(ra, rb)
        self.parent[high] = low
        for type_, values in self.values.pop(high).items():
            self.values[low][type_] |= values


def _broken_limit(
    a: dict[str, set[str]], b: dict[str, set[str]], limits: dict[str, int]
) -> tuple[str, int] | None:
    for type_ in a.keys() & b.keys():
        if len(a[type_] | b[type_]) > limits.get(type_, 1 << 30):
            return type_, limits[type_]
    return None


def _drop_entry(
    graph: Graph, anchor: int, key: int, row: int, broken: tuple[str, int]
) -> dict[str, Any]:
    return {
        "decision": "key_dropped_from_match",
        "line": row,
        "kept": {"type": str(graph.key_type[anchor]), "value": str(graph.key_value[anchor])},
        "dropped": {"type": str(graph.key_type[key]), "value": str(graph.key_value[key])},
        "reason": f"joining would give one profile more than {broken[1]} {broken[0]} value(s)",
    }


def _assign(
    graph: Graph, labels: np.ndarray, node_of_pid: dict[int, int], anchor: np.ndarray
) -> Resolution:
    """Turn component labels into profiles: stored primary, merges, or a new profile."""
    res = Resolution(row_group=np.where(anchor >= 0, labels[np.maximum(anchor, 0)], -1))
    res.key_group = labels[: len(graph.key_type)]
    created = graph.profiles.set_index("id")["created_at"].to_dict()
    stored = graph.key_profile >= 0
    best = pd.Series(graph.key_prio[stored]).groupby(graph.key_profile[stored]).min().to_dict()
    members: dict[int, list[int]] = defaultdict(list)
    for pid, node in node_of_pid.items():
        members[int(labels[node])].append(pid)
    for group, pids in members.items():
        # the older profile; on a tie, the one matched by the higher-priority key
        pids.sort(key=lambda p: (created.get(p) or dt.datetime.max, best.get(p, 1 << 30), p))
        res.group_profile[group] = pids[0]
        res.merges.extend((pids[0], other) for other in pids[1:])
    used = np.unique(res.row_group[res.row_group >= 0])
    res.new_groups = [int(g) for g in used if int(g) not in res.group_profile]
    return res


# ---- aliases naming a known user id -----------------------------------------------------------


@dataclass(frozen=True)
class AliasTarget:
    """An alias message (`line`) whose previousId (`key`, staged as an anonymous id no profile
    holds) is the userId of stored profile `profile_id`."""

    line: int
    key: int
    profile_id: int


def alias_keys(graph: Graph, alias_lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(line, key) of every alias message's previousId that is not a stored anonymous id."""
    marked = np.zeros(int(graph.rows.max()) + 1 if len(graph.rows) else 0, dtype=bool)
    marked[alias_lines[alias_lines < len(marked)]] = True
    mask = marked[graph.rows] if len(marked) else np.zeros(0, dtype=bool)
    mask &= (graph.key_type[graph.keys] == "anonymous_id") & (graph.key_profile[graph.keys] < 0)
    return graph.rows[mask], graph.keys[mask]


def join_aliases(graph: Graph, res: Resolution, targets: list[AliasTarget]) -> None:
    """Send each alias message's group to the profile its previousId names (see the module
    docstring): the group's own profile, if stored, is merged into it; a new one is not made.
    The previousId is not stored as an anonymous id: it is that profile's user id."""
    primary_of = {secondary: primary for primary, secondary in res.merges}
    for target in sorted(targets, key=lambda t: (graph.row_ts[t.line], t.line)):
        group = int(res.row_group[target.line])
        profile = _root(primary_of, target.profile_id)
        current = res.group_profile.get(group)
        if current is None:
            res.new_groups.remove(group)
        elif current != profile:
            res.merges.append((profile, current))
            primary_of[current] = profile
        res.group_profile[group] = profile
        res.key_group[target.key] = -1
        res.log.append(_alias_entry(graph, target, profile, current))


def _root(primary_of: dict[int, int], profile: int) -> int:
    while profile in primary_of:
        profile = primary_of[profile]
    return profile


def _alias_entry(
    graph: Graph, target: AliasTarget, profile: int, current: int | None
) -> dict[str, Any]:
    previous = str(graph.key_value[target.key])
    return {
        "decision": "alias_joined",
        "profile_id": profile,
        "line": target.line,
        "previous_id": previous,
        "joined_profile": current,
        "reason": f"an alias message named previousId {previous!r}, the userId of profile "
        f"{target.profile_id}: its ids join that profile, whatever the limits",
    }


# ---- glue between the staging arrays and the write steps ---------------------------------------


def graph_from(
    pairs: dict[str, np.ndarray], stored: StoredKeys, row_ts: np.ndarray, limits: dict[str, int]
) -> Graph:
    """The graph of the batch's (line, key) `pairs` over its keys as the store knows them."""
    keys = stored.keys
    return Graph(
        rows=np.asarray(pairs["_line"], dtype=np.int64),
        keys=np.asarray(pairs["key"], dtype=np.int64),
        key_type=np.asarray(keys["type"], dtype=object),
        key_value=np.asarray(keys["value"], dtype=object),
        key_profile=np.asarray(keys["profile_id"], dtype=np.int64),
        key_prio=np.asarray(keys["prio"], dtype=np.int64),
        row_ts=row_ts,
        profiles=stored.profiles,
        stored=stored.stored,
        limits=limits,
    )


def new_ids(groups: list[int], first: int) -> dict[int, int]:
    return {group: first + i for i, group in enumerate(groups)}


def line_profiles(res: Resolution, group_profile: dict[int, int], size: int) -> np.ndarray:
    """The profile of every message, indexed by line (-1 where a line has none)."""
    groups = np.full(size, -1, dtype=np.int64)
    groups[: len(res.row_group)] = res.row_group[:size]
    ids = np.fromiter(group_profile.keys(), dtype=np.int64, count=len(group_profile))
    pids = np.fromiter(group_profile.values(), dtype=np.int64, count=len(group_profile))
    lookup = np.full(int(ids.max()) + 1 if len(ids) else 1, -1, dtype=np.int64)
    lookup[ids] = pids
    return np.where(groups >= 0, lookup[np.maximum(groups, 0)], -1)


def new_identities(
    graph: Graph, res: Resolution, group_profile: dict[int, int], first_us: np.ndarray
) -> pa.Table:
    """(type, value, profile_id, first_us) for keys not stored yet that ended up in a profile;
    `first_us` is each key's earliest event time in the batch."""
    lookup = pd.Series(group_profile, dtype=np.int64)
    profile = lookup.reindex(res.key_group).to_numpy(dtype=np.float64)
    keep = (graph.key_profile < 0) & ~np.isnan(profile)
    return pa.table(
        {
            "type": pa.array(graph.key_type[keep], pa.string()),
            "value": pa.array(graph.key_value[keep], pa.string()),
            "profile_id": pa.array(profile[keep].astype(np.int64), pa.int64()),
            "first_us": pa.array(first_us[keep], pa.int64()),
        }
    )
