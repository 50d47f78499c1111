"""The permission matrix: roles, the permissions each grants, and the permission every service
action needs. It is the single source of truth: `acting.py` enforces it, the REST routes name
their permission from it, and docs/security.md is generated from it (`python -m app.security_doc`).

An action missing from `ACTIONS` is refused for everyone: a new service method is unreachable
through the dashboard, the REST API and the CLI until it is given a permission here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["admin", "marketer", "analyst", "agent", "viewer"]
ROLES: tuple[Role, ...] = ("admin", "marketer", "analyst", "agent", "viewer")
EVERYONE: frozenset[Role] = frozenset(ROLES)

# the workspace setting that lets agents import and export customer data
AGENT_TRANSFER_SETTING = "access.agent_transfer"


@dataclass(frozen=True)
class Permission:
    name: str
    description: str
    roles: frozenset[Role]
    # agents get it too when the admin turned AGENT_TRANSFER_SETTING on
    agents_when_transfer_allowed: bool = False


def _p(name: str, description: str, *roles: Role, transfer: bool = False) -> Permission:
    return Permission(name, description, frozenset(roles) or EVERYONE, transfer)


_ALL = (
    _p("people.view", "see profiles, identities, timelines, labels, consent and history"),
    _p("people.edit", "create profiles and edit their fields", "admin", "marketer", "agent"),
    _p("people.label", "add and remove labels", "admin", "marketer", "agent"),
    _p("people.consent", "record consent changes", "admin", "agent"),
    _p("people.merge", "merge and unmerge profiles", "admin", "agent"),
    _p(
        "people.groups",
        "make, rename and delete groups, add and remove members",
        "admin",
        "marketer",
        "agent",
    ),
    _p("people.erase", "erase a person (GDPR)", "admin"),
    _p("people.export", "export everything held about one person", "admin", "agent"),
    _p("data.import", "import customer data (CSV profiles, event files)", "admin", transfer=True),
    _p("data.export", "export customer data (CSV/Parquet of profiles)", "admin", transfer=True),
    _p("segments.view", "evaluate segments and see saved ones"),
    _p("segments.manage", "save, delete and edit saved segments", "admin", "marketer", "analyst"),
    _p("analytics.view", "events, funnels, goal reports and the overview"),
    _p("goals.manage", "define and delete goals", "admin", "marketer", "analyst"),
    _p("rules.view", "see rules, their runs and notifications"),
    _p("rules.manage", "add, enable, disable, delete and dry-run rules", "admin", "marketer"),
    _p("activation.view", "see destinations, syncs, broadcasts and their delivery logs"),
    _p("activation.send", "sync segments to destinations and send broadcasts", "admin", "marketer"),
    _p("activation.manage", "create, test and delete destinations; retry dead deliveries", "admin"),
    _p("catalog.view", "see properties and event types"),
    _p("catalog.manage", "define and change properties and event types", "admin", "analyst"),
    _p("settings.view", "see the workspace settings"),
    _p("settings.manage", "change the workspace settings", "admin"),
    _p("keys.manage", "create, list and revoke API keys", "admin"),
    _p("users.manage", "create users, change roles, disable, reset passwords", "admin"),
    Permission("system", "the server's own work (loading, refresh, deliveries)", frozenset()),
)
PERMISSIONS: dict[str, Permission] = {p.name: p for p in _ALL}

# service attribute on the Workspace -> action -> permission. A name ending in "=" is the
# setter of a property (`settings.session_timeout_minutes = 30`).
ACTIONS: dict[str, dict[str, str]] = {
    "profiles": {
        "get": "people.view",
        "find": "people.view",
        "resolve": "people.view",
        "matching_ids": "people.view",
        "duplicates": "people.view",
        "engagement": "people.view",
        "identities": "people.view",
        "field_history": "people.view",
        "names": "people.view",
        "search": "people.view",
        "list": "people.view",
        "condition": "people.view",
        "timeline": "people.view",
        "sessions": "people.view",
        "session_events": "people.view",
        "create": "people.edit",
        "update": "people.edit",
    },
    "labels": {
        "of": "people.view",
        "all": "people.view",
        "add": "people.label",
        "remove": "people.label",
    },
    "consent": {
        "of": "people.view",
        "history": "people.view",
        "coverage": "people.view",
        "changes_over_time": "people.view",
        "violations": "people.view",
        "set": "people.consent",
        "set_many": "data.import",
    },
    "merges": {
        "preview": "people.view",
        "linked": "people.view",
        "merged_count": "people.view",
        "merged_counts": "people.view",
        "merge": "people.merge",
        "unmerge": "people.merge",
        "merge_many": "system",
    },
    "channels": {
        "of": "people.view",
        "of_many": "people.view",
        "set_main": "people.edit",
        "clear_main": "people.edit",
    },
    "notes": {
        "of": "people.view",
        "get": "people.view",
        "add": "people.edit",
        "edit": "people.edit",
        "delete": "people.edit",
    },
    "groups": {
        "list": "people.view",
        "get": "people.view",
        "members": "people.view",
        "create": "people.groups",
        "add": "people.groups",
        "remove": "people.groups",
        "rename": "people.groups",
        "describe": "people.groups",
        "delete": "people.groups",
    },
    "privacy": {"erase": "people.erase", "compact": "people.erase", "export": "people.export"},
    "transfer": {
        "template_csv": "data.import",
        "preview_import": "data.import",
        "import_profiles": "data.import",
        "mappings": "data.import",
        "mapping": "data.import",
        "columns": "data.import",
        "save_mapping": "data.import",
        "delete_mapping": "data.import",
        "export_profiles": "data.export",
    },
    "ingest": {
        "messages": "data.import",
        "jsonl": "data.import",
        "table": "data.import",
        "file": "data.import",
    },
    "intake": {
        "admit": "system",
        "canonical": "system",
        "load": "system",
        "fail": "system",
        "loaded_seq": "system",
        "workspace_key": "system",
        "failures": "analytics.view",
        "failure_count": "analytics.view",
    },
    "segments": {
        "schema": "segments.view",
        "parse": "segments.view",
        "check": "segments.view",
        "context": "segments.view",
        "compile": "segments.view",
        "condition": "segments.view",
        "target": "segments.view",
        "query": "segments.view",
        "count": "segments.view",
        "ids": "segments.view",
        "members": "segments.view",
        "sql": "segments.view",
        "explain": "segments.view",
        "saved": "segments.view",
        "get": "segments.view",
        "list": "segments.view",
        "history": "segments.view",
        "member_changes": "segments.view",
        "memberships": "segments.view",
        "save": "segments.manage",
        "versions": "segments.view",
        "population": "segments.view",
        "restore": "segments.manage",
        "delete": "segments.manage",
        "add_members": "segments.manage",
        "remove_members": "segments.manage",
        "add_results": "segments.manage",
        "refresh": "segments.manage",
        "stored": "segments.view",
    },
    "events": {
        "list": "analytics.view",
        "get": "analytics.view",
        "type_counts": "analytics.view",
        "types_seen": "analytics.view",
    },
    "funnels": {
        "run": "analytics.view",
        "profiles": "analytics.view",
        "attempts": "analytics.view",
        "over_time": "analytics.view",
    },
    "trends": {"run": "analytics.view"},
    "retention": {"run": "analytics.view"},
    "goals": {
        "parse": "analytics.view",
        "get": "analytics.view",
        "list": "analytics.view",
        "compare": "analytics.view",
        "report": "analytics.view",
        "evaluate": "analytics.view",
        "rates": "analytics.view",
        "measure_rates": "system",
        "define": "goals.manage",
        "set_target": "goals.manage",
        "delete": "goals.manage",
    },
    "overview": {
        "report": "analytics.view",
        "violations": "analytics.view",
        "measure_violations": "system",
    },
    "rules": {
        "parse": "rules.view",
        "get": "rules.view",
        "list": "rules.view",
        "log": "rules.view",
        "notifications": "rules.view",
        "webhooks": "rules.view",
        "webhook_counts": "rules.view",
        "overview": "rules.view",
        "next_run": "rules.view",
        "unread": "rules.view",
        "mark_read": "rules.view",
        "retry_webhook": "rules.manage",
        "add": "rules.manage",
        "enable": "rules.manage",
        "disable": "rules.manage",
        "delete": "rules.manage",
        "dry_run": "rules.manage",
        "deliver_webhooks": "rules.manage",
        "after_commit": "system",
        "run_schedules": "rules.manage",
    },
    "activation": {
        "destinations": "activation.view",
        "destination": "activation.view",
        "deliveries": "activation.view",
        "health": "activation.view",
        "syncs": "activation.view",
        "preview": "activation.view",
        "get_broadcast": "activation.view",
        "broadcasts": "activation.view",
        "send_log": "activation.view",
        "create_destination": "activation.manage",
        "delete_destination": "activation.manage",
        "test_destination": "activation.manage",
        "retry_dead": "activation.manage",
        "attach": "activation.send",
        "detach": "activation.send",
        "broadcast": "activation.send",
        "cancel_broadcast": "activation.send",
        "run": "activation.send",
        "queue_due": "activation.send",
        "deliver_due": "activation.send",
    },
    "catalog": {
        "generation": "catalog.view",
        "custom": "catalog.view",
        "properties": "catalog.view",
        "event_types": "catalog.view",
        "dsl_schema": "catalog.view",
        "validate_properties": "catalog.view",
        "choices": "catalog.view",
        "define_property": "catalog.manage",
        "update_property": "catalog.manage",
        "register_event_type": "catalog.manage",
        "extend_event_type": "catalog.manage",
        "set_enforcement": "catalog.manage",
        "register_from_data": "catalog.manage",
        "enforced": "catalog.view",
        "screening": "catalog.view",
        "undeclared": "catalog.view",
        "set_undeclared": "catalog.manage",
        "flagged_events": "catalog.view",
        "discovered": "catalog.view",
        "invalidate": "system",
    },
    "settings": {
        "identity_priority": "settings.view",
        "identity_limits": "settings.view",
        "blocked_values": "settings.view",
        "session_timeout_minutes": "settings.view",
        "time_refresh_seconds": "settings.view",
        "webhook_backoff_seconds": "settings.view",
        "webhook_max_attempts": "settings.view",
        "merge_cap": "settings.view",
        "lifecycle_stages": "settings.view",
        "as_dict": "settings.view",
        "set_identity_priority": "settings.manage",
        "set_identity_limits": "settings.manage",
        "set_blocked_values": "settings.manage",
        "session_timeout_minutes=": "settings.manage",
        "set_time_refresh_seconds": "settings.manage",
        "set_webhook_backoff_seconds": "settings.manage",
        "set_webhook_max_attempts": "settings.manage",
        "set_merge_cap": "settings.manage",
        "set_lifecycle_stages": "settings.manage",
        "reset": "settings.manage",
    },
    "access": {
        "agent_transfer": "settings.view",
        "set_agent_transfer": "settings.manage",
        "allows": "system",
        "check": "system",
    },
    "keys": {
        "create": "keys.manage",
        "list": "keys.manage",
        "get": "keys.manage",
        "revoke": "keys.manage",
        "authenticate": "system",
    },
    "users": {
        "create": "users.manage",
        "list": "users.manage",
        "get": "users.manage",
        "named": "users.manage",
        "active": "users.manage",
        "set_role": "users.manage",
        "disable": "users.manage",
        "enable": "users.manage",
        "reset_password": "users.manage",
        "authenticate": "system",
        "count": "system",
    },
}


def permission_of(service: str, action: str) -> Permission | None:
    """The permission `service.action` needs; None when the action is not in the matrix."""
    name = ACTIONS.get(service, {}).get(action)
    return PERMISSIONS[name] if name else None


def grants(role: str, permission: Permission, *, agent_transfer: bool) -> bool:
    """Whether `role` holds `permission` given the agent-transfer setting."""
    if role in permission.roles:
        return True
    return role == "agent" and agent_transfer and permission.agents_when_transfer_allowed
