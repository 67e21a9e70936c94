"""Build the semantic-kernel ``Kernel``: one chat service, the tool plugins, the approval filter.

In read-only mode only ``read`` tools are added, so the model is never offered
a write; the approval filter refuses writes as well, should one be reached by
another path. Function calling is ``FunctionChoiceBehavior.Auto`` bounded by
``max_iterations`` model round trips per user turn.
"""

from __future__ import annotations

import importlib.util
from typing import Any, Iterable

from tools.base import ToolContext, ToolPlugin

DEFAULT_MAX_ITERATIONS = 8


def catalog_plugins(client: Any, context: ToolContext | None = None) -> list[ToolPlugin]:
    """The tool plugins of ``tools.catalog``, or none while that module does not exist yet."""
    if importlib.util.find_spec("tools.catalog") is None:
        return []
    from tools.catalog import build_plugins

    return list(build_plugins(client, context))


def is_read(plugin: ToolPlugin, function_name: str) -> bool:
    spec = plugin.tool_specs().get(function_name)
    return spec is not None and spec.effect == "read"


def kernel_plugin(plugin: ToolPlugin, *, read_only: bool) -> Any:
    """``plugin`` as a KernelPlugin; read-only keeps its read tools only (a function with no spec is a write)."""
    from semantic_kernel.functions import KernelPlugin

    full = plugin.as_kernel_plugin()
    if not read_only:
        return full
    reads = [f for name, f in full.functions.items() if is_read(plugin, name)]
    return KernelPlugin(name=full.name, description=full.description, functions=reads)


def build_kernel(*, service: Any, plugins: Iterable[ToolPlugin], approval: Any, read_only: bool = False) -> Any:
    from semantic_kernel import Kernel

    kernel = Kernel()
    kernel.add_service(service)
    for plugin in plugins:
        added = kernel_plugin(plugin, read_only=read_only)
        if added.functions:
            kernel.add_plugin(added)
    approval.install(kernel)
    return kernel


def execution_settings(service: Any, max_iterations: int = DEFAULT_MAX_ITERATIONS) -> Any:
    """The service's prompt settings with automatic, bounded tool calling."""
    from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior

    if max_iterations < 1:
        from workspace.errors import UserInputError

        raise UserInputError.invalid("max_iterations", max_iterations, "must be 1 or more")
    settings_class = service.get_prompt_execution_settings_class()
    return settings_class(
        service_id=getattr(service, "service_id", None) or None,
        function_choice_behavior=FunctionChoiceBehavior.Auto(maximum_auto_invoke_attempts=max_iterations),
    )
