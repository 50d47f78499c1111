"""Bound parameters for analytics queries: every value becomes a named placeholder, and a
condition compiled elsewhere (a segment, an event filter) is adopted with its placeholders
renamed so two compilations never clash."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

Compiled = tuple[exp.Expr, dict[str, Any]]


class Params:
    """The values behind one query's placeholders, named `<prefix>_<n>`."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.values: dict[str, object] = {}

    def __call__(self, value: object) -> exp.Placeholder:
        name = f"{self.prefix}_{len(self.values)}"
        self.values[name] = value
        return exp.Placeholder(this=name)

    def adopt(self, compiled: Compiled) -> exp.Expr:
        """Take in a condition compiled elsewhere, renaming its placeholders so they can't clash."""
        expression, params = compiled
        names = {name: self(value).name for name, value in params.items()}

        def rename(node: exp.Expr) -> exp.Expr:
            if isinstance(node, exp.Placeholder) and node.name in names:
                return exp.Placeholder(this=names[node.name])
            return node

        return expression.copy().transform(rename)
