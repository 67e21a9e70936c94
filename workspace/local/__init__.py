"""The embedded local workspace: a folder that behaves like an Azure ML workspace."""

from workspace.local.client import LocalMLClient

__all__ = ["LocalMLClient"]
