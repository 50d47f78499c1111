"""Checking rules and goals: their triggers, conditions, actions and points."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from dsl import ast
from dsl.checker import HOLDS, Checker
from dsl.schema import PropType, Schema
from kith_errors import DslNameError, DslTypeError


class RuleChecker(Checker):
    """Checks a rule or a goal. `event_scope` of an event trigger is what `event.x` reads."""

    def __init__(self, schema: Schema, source: str) -> None:
        super().__init__(schema, source)
        self._trigger_scope: str | None = None
        self._actions: Mapping[type, Callable[[Any], None]] = {
            ast.SetProperty: self._set_property,
            ast.UnsetProperty: self._unset,
            ast.Increment: self._increment,
            ast.LabelAction: self._label,
            ast.ListAction: self._list,
            ast.SetConsent: self._set_consent,
            ast.EmitEvent: self._emit,
            ast.CallWebhook: self._webhook,
            ast.Notify: self._notify,
        }

    # ---- rules ---------------------------------------------------------------------------------

    def rule(self, rule: ast.Rule) -> None:
        self._trigger(rule.trigger)
        if rule.condition is not None:
            self.expr(rule.condition)
        for action in rule.actions:
            check = self._actions.get(type(action))
            if check is None:
                raise TypeError(f"the checker does not know {type(action).__name__} actions")
            check(action)

    def _trigger(self, trigger: ast.Trigger) -> None:
        if isinstance(trigger, ast.EventTrigger):
            self._trigger_scope = self.event_scope(trigger.match)
        elif isinstance(trigger, ast.SegmentTrigger):
            self.known("segment", trigger.segment, self.schema.segments, trigger)

    def _profile_prop(self, path: ast.Path) -> PropType | None:
        return self.prop_type(path, None)

    def _source_value(self, target: ast.Path, value: ast.Value | ast.EventRef) -> None:
        """A value written into profile property `target`: a literal, or `event.x`."""
        ptype = self._profile_prop(target)
        if isinstance(value, ast.Value):
            self.value(target, ptype, value)
            return
        if self._trigger_scope is None:
            self.fail(
                DslTypeError,
                f"'event.{value.path.dotted}' needs a rule that starts with 'when <event>'",
                value,
                expected='a value, like "lead" or 5',
            )
        source_type = self.prop_type(value.path, self._trigger_scope)
        if None not in (ptype, source_type) and ptype != source_type:
            self.fail(
                DslTypeError,
                f"'{target.dotted}' holds {HOLDS[ptype][0]}, "  # type: ignore[index]
                f"but 'event.{value.path.dotted}' holds {HOLDS[source_type][0]}",  # type: ignore[index]
                value,
                expected=f"an event property that holds {HOLDS[ptype][0]}",  # type: ignore[index]
            )

    def _set_property(self, action: ast.SetProperty) -> None:
        self._source_value(action.prop, action.value)

    def _unset(self, action: ast.UnsetProperty) -> None:
        self._profile_prop(action.prop)

    def _increment(self, action: ast.Increment) -> None:
        ptype = self._profile_prop(action.prop)
        self._needs(action.prop, ptype, {"number"}, "increment")

    def _label(self, action: ast.LabelAction) -> None:
        # Adding may create a label; removing one that no profile has is surely a typo.
        if action.remove:
            self.known("label", action.label, self.schema.labels, action)

    def _list(self, action: ast.ListAction) -> None:
        self.known("list", action.list_name, self.schema.lists, action)

    def _set_consent(self, action: ast.SetConsent) -> None:
        self.known("consent channel", action.channel, self.schema.consent_channels, action)

    def _emit(self, action: ast.EmitEvent) -> None:
        self.known("event type", action.event, self.schema.event_types, action)
        for key, value in action.properties:
            path = ast.Path((key,), pos=getattr(value, "pos", None) or action.pos)
            ptype = self.prop_type(path, action.event)
            if isinstance(value, ast.EventRef):
                self._emit_ref(value, ptype)
            else:
                self.value(path, ptype, value)

    def _emit_ref(self, value: ast.EventRef, ptype: PropType | None) -> None:
        if self._trigger_scope is None:
            self.fail(
                DslTypeError,
                f"'event.{value.path.dotted}' needs a rule that starts with 'when <event>'",
                value,
                expected='a value, like "gold" or 5',
            )
        self.prop_type(value.path, self._trigger_scope)

    def _webhook(self, action: ast.CallWebhook) -> None:
        parts = urlsplit(action.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            self.fail(
                DslTypeError,
                f'"{action.url}" is not a web address',
                action,
                expected='an address starting with https://, like "https://example.com/hook"',
            )

    def _notify(self, action: ast.Notify) -> None:
        if not action.message.strip():
            self.fail(DslTypeError, "the notification is empty", action, expected="some text")

    # ---- goals ---------------------------------------------------------------------------------

    def goal(self, goal: ast.Goal) -> None:
        if not goal.name.strip():
            self.fail(DslNameError, "the goal has no name", goal, expected="a name in quotes")
        for point in (goal.start, goal.target):
            if isinstance(point, ast.EventMatch):
                self.event_scope(point)
            elif point is not None:
                self.expr(point)
        if goal.within is not None:
            self.duration(goal.within)
        if goal.audience is not None:
            self.expr(goal.audience)
