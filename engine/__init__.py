"""The domain: the Workspace facade and every capability behind it."""

from engine.workspace import Workspace

__all__ = ["Workspace"]
