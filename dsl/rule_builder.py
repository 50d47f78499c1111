"""The rule and goal half of the transformer (segment expressions live in `transformer`)."""

from __future__ import annotations

from typing import Any

from lark import Token, v_args
from lark.tree import Meta

from dsl import ast
from dsl.transformer import ExprBuilder, decode_string, pos_of


@v_args(meta=True)
class AstBuilder(ExprBuilder):
    """The full transformer: segments, rules and goals."""

    # ---- rules ---------------------------------------------------------------------------------

    def rule(self, meta: Meta, children: list[Any]) -> ast.Rule:
        trigger, condition, _then, actions = children
        condition = None if condition is None else self._finish(condition)
        return ast.Rule(trigger, condition, tuple(actions), pos=pos_of(meta))

    def event_trigger(self, meta: Meta, children: list[Any]) -> ast.EventTrigger:
        return ast.EventTrigger(children[0], pos=pos_of(meta))

    def entering_trigger(self, meta: Meta, children: list[str]) -> ast.SegmentTrigger:
        return ast.SegmentTrigger("entering", children[0], pos=pos_of(meta))

    def leaving_trigger(self, meta: Meta, children: list[str]) -> ast.SegmentTrigger:
        return ast.SegmentTrigger("leaving", children[0], pos=pos_of(meta))

    def schedule_trigger(self, meta: Meta, children: list[Any]) -> ast.ScheduleTrigger:
        return ast.ScheduleTrigger(children[0], pos=pos_of(meta))

    def minute(self, meta: Meta, children: list[Any]) -> str:
        return "minute"

    def hour(self, meta: Meta, children: list[Any]) -> str:
        return "hour"

    def day(self, meta: Meta, children: list[Any]) -> str:
        return "day"

    def week(self, meta: Meta, children: list[Any]) -> str:
        return "week"

    # ---- actions -------------------------------------------------------------------------------

    def actions(self, meta: Meta, children: list[Any]) -> list[ast.Action]:
        flat: list[ast.Action] = []
        for child in children:
            flat.extend(child if isinstance(child, list) else [child])
        return flat

    def set_property(self, meta: Meta, children: list[Any]) -> ast.SetProperty:
        return ast.SetProperty(children[0], children[2], pos=pos_of(meta))

    def set_op(self, meta: Meta, children: list[Any]) -> None:
        return None

    def set_value(self, meta: Meta, children: list[Any]) -> ast.Value:
        return children[0]

    def event_ref(self, meta: Meta, children: list[Any]) -> ast.EventRef:
        return ast.EventRef(children[0], pos=pos_of(meta))

    def set_consent(self, meta: Meta, children: list[Any]) -> ast.SetConsent:
        return ast.SetConsent(children[0], children[1], pos=pos_of(meta))

    def unset_property(self, meta: Meta, children: list[Any]) -> ast.UnsetProperty:
        return ast.UnsetProperty(children[0], pos=pos_of(meta))

    def increment(self, meta: Meta, children: list[Any]) -> ast.Increment:
        by = 1 if children[1] is None else children[1].value
        return ast.Increment(children[0], by, pos=pos_of(meta))

    def add_label(self, meta: Meta, children: list[str]) -> ast.LabelAction:
        return ast.LabelAction(children[0], pos=pos_of(meta))

    def remove_label(self, meta: Meta, children: list[str]) -> ast.LabelAction:
        return ast.LabelAction(children[0], remove=True, pos=pos_of(meta))

    def add_to_list(self, meta: Meta, children: list[str]) -> ast.ListAction:
        return ast.ListAction(children[0], pos=pos_of(meta))

    def remove_from_list(self, meta: Meta, children: list[str]) -> ast.ListAction:
        return ast.ListAction(children[0], remove=True, pos=pos_of(meta))

    def emit_plain(self, meta: Meta, children: list[str]) -> ast.EmitEvent:
        return ast.EmitEvent(children[0], pos=pos_of(meta))

    def emit_with(self, meta: Meta, children: list[Any]) -> list[ast.Action]:
        name, *rest = children
        pairs = tuple(c for c in rest if isinstance(c, tuple))
        following = [a for c in rest if isinstance(c, list) for a in c]
        return [ast.EmitEvent(name, pairs, pos=pos_of(meta)), *following]

    def emit_pair(self, meta: Meta, children: list[Any]) -> tuple[str, Any]:
        return children[0], children[2]

    def call_webhook(self, meta: Meta, children: list[Token]) -> ast.CallWebhook:
        return ast.CallWebhook(decode_string(children[0], self.source), pos=pos_of(meta))

    def notify(self, meta: Meta, children: list[Token]) -> ast.Notify:
        return ast.Notify(decode_string(children[0], self.source), pos=pos_of(meta))

    # ---- goals ---------------------------------------------------------------------------------

    def goal(self, meta: Meta, children: list[Any]) -> ast.Goal:
        name, start, target, within, audience = children
        title = decode_string(name, self.source)
        return ast.Goal(title, target, start, within, audience, pos=pos_of(meta))

    def goal_point(self, meta: Meta, children: list[Any]) -> ast.EventMatch:
        return children[0]

    def goal_segment(self, meta: Meta, children: list[Any]) -> ast.Expr:
        return children[0]

    def audience(self, meta: Meta, children: list[Any]) -> ast.Expr:
        return children[0]
