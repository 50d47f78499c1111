"""REST: event types for the data steward: list, register, extend a type (built-in ones
too) with properties, set its enforcement policy, choose what happens to events of an
unregistered type and to properties a schema does not list, see what the data holds that is
not registered and register it, and the events stored with a schema warning."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from app.api.context import allowed
from app.api.convert import jsonable, records
from engine.access.acting import ActingWorkspace

router = APIRouter(prefix="/api/event-types", tags=["event types"])
CatalogViewer = Annotated[ActingWorkspace, Depends(allowed("catalog.view"))]
CatalogManager = Annotated[ActingWorkspace, Depends(allowed("catalog.manage"))]


class Register(BaseModel):
    name: str
    display_name: str | None = None
    description: str | None = None
    properties: dict[str, str] = Field(
        default_factory=dict, description='property name -> type, e.g. {"amount": "number"}'
    )


class Extend(BaseModel):
    properties: dict[str, str] = Field(description='e.g. {"platform": "text"}')


class Enforcement(BaseModel):
    policy: str = Field(description="off | warn (store and flag) | block (refuse)")


class Undeclared(BaseModel):
    unregistered_types: Literal["accept", "warn", "block"] | None = Field(
        None, description="events of a type nobody registered: accept | warn | block"
    )
    extra_properties: Literal["accept", "warn", "block"] | None = Field(
        None, description="properties an enforced type's schema does not list"
    )


class FromData(BaseModel):
    names: list[str] | None = Field(None, description="event types; null: all discovered")


@router.get("")
def event_types(ws: CatalogViewer) -> list[dict[str, Any]]:
    """Built-in and registered event types with their properties and enforcement."""
    return records(ws.catalog.event_types())


@router.post("")
def register(body: Register, ws: CatalogManager) -> dict[str, Any]:
    """Register a custom event type (on a built-in one: add the properties to it)."""
    made = ws.catalog.register_event_type(
        body.name,
        display_name=body.display_name,
        description=body.description,
        properties=body.properties,
    )
    return jsonable(made)


@router.get("/undeclared")
def undeclared(ws: CatalogViewer) -> dict[str, str]:
    """What happens to events of an unregistered type and to properties an enforced type's
    schema does not list: accept, warn (stored and flagged) or block (refused)."""
    return ws.catalog.undeclared()


@router.put("/undeclared")
def set_undeclared(body: Undeclared, ws: CatalogManager) -> dict[str, str]:
    """Change either choice (a field left out keeps its value)."""
    for which, policy in body.model_dump(exclude_none=True).items():
        ws.catalog.set_undeclared(which, policy)
    return ws.catalog.undeclared()


@router.get("/discovered")
def discovered(
    ws: CatalogViewer, event_type: Annotated[str | None, Query()] = None
) -> list[dict[str, Any]]:
    """Unregistered event types and properties in the data, with an inferred type."""
    return records(ws.catalog.discovered(event_type))


@router.post("/from-data")
def from_data(body: FromData, ws: CatalogManager) -> list[dict[str, Any]]:
    """Register (or extend) the named types, or every discovered one, from the data."""
    return records(ws.catalog.register_from_data(body.names))


@router.get("/flagged")
def flagged(
    ws: CatalogViewer, limit: Annotated[int, Query(ge=1, le=10000)] = 100
) -> list[dict[str, Any]]:
    """The newest events stored under `warn` although they break their schema."""
    return records(ws.catalog.flagged_events(limit))


@router.post("/{name}/properties")
def extend(name: str, body: Extend, ws: CatalogManager) -> dict[str, Any]:
    """Add properties to an event type, built-in or registered."""
    return jsonable(ws.catalog.extend_event_type(name, body.properties))


@router.put("/{name}/enforcement")
def enforcement(name: str, body: Enforcement, ws: CatalogManager) -> dict[str, Any]:
    """How ingestion treats an event of the type that breaks its schema."""
    return {"name": name, "enforcement": ws.catalog.set_enforcement(name, body.policy)}
