"""Every tool plugin, in the order the model and the docs see them, and lookups by full name.

A full name is ``<plugin>-<function>`` (semantic-kernel's convention), e.g.
``compute-create``. The approval filter finds a call's declaration with ``find``.
"""

from __future__ import annotations

from typing import Any

from tools.access import AccessPlugin
from tools.automl import AutoMLPlugin
from tools.base import ToolContext, ToolPlugin, ToolSpec
from tools.batch_deployments import BatchDeploymentsPlugin
from tools.batch_endpoints import BatchEndpointsPlugin
from tools.components import ComponentsPlugin
from tools.compute import ComputePlugin
from tools.data import DataPlugin
from tools.datastores import DatastoresPlugin
from tools.environments import EnvironmentsPlugin
from tools.jobs import JobsPlugin
from tools.models import ModelsPlugin
from tools.online_deployments import OnlineDeploymentsPlugin
from tools.online_endpoints import OnlineEndpointsPlugin
from tools.rai import RaiPlugin
from tools.schedules import SchedulesPlugin
from tools.workspace import WorkspacePlugin
from workspace.errors import UserInputError

PLUGIN_CLASSES: list[type[ToolPlugin]] = [
    WorkspacePlugin,
    ComputePlugin,
    DatastoresPlugin,
    DataPlugin,
    EnvironmentsPlugin,
    ComponentsPlugin,
    ModelsPlugin,
    JobsPlugin,
    AutoMLPlugin,
    RaiPlugin,
    SchedulesPlugin,
    OnlineEndpointsPlugin,
    OnlineDeploymentsPlugin,
    BatchEndpointsPlugin,
    BatchDeploymentsPlugin,
    AccessPlugin,
]


class UnknownToolError(UserInputError, LookupError):
    """A tool name no plugin declares."""


def build_plugins(client: Any, context: ToolContext | None = None) -> list[ToolPlugin]:
    """One instance of every plugin, sharing the client and the caller's context."""
    context = context or ToolContext()
    return [cls(client, context) for cls in PLUGIN_CLASSES]


def all_specs() -> dict[str, ToolSpec]:
    """Every tool's declaration by full name, in catalog order."""
    return {spec.full_name: spec for cls in PLUGIN_CLASSES for spec in cls.tool_specs().values()}


def find(plugins: list[ToolPlugin], full_name: str) -> tuple[ToolPlugin, str, ToolSpec]:
    """The plugin, function name and declaration behind ``compute-create``; a one-line error otherwise."""
    plugin_name, _, function = full_name.partition("-")
    for plugin in plugins:
        if plugin.plugin_name == plugin_name:
            spec = plugin.tool_specs().get(function)
            if spec is not None:
                return plugin, function, spec
            known = ", ".join(plugin.tool_specs())
            raise UnknownToolError(f"tool: {full_name!r} is unknown; {plugin_name} has {known}", field="tool", value=full_name)
    plugin_names = ", ".join(p.plugin_name for p in plugins)
    raise UnknownToolError(f"tool: {full_name!r} is unknown; plugins: {plugin_names}", field="tool", value=full_name)
