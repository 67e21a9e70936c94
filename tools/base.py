"""What every tool declares, and the plugin base class the agent builds on.

A tool is a method of a ``ToolPlugin`` marked with ``@tool``: typed parameters
(``Annotated`` + pydantic constraints), a docstring written for the model, an
``effect`` and an Azure RBAC ``permission``. Writes also have a
``preview_<name>`` method that validates against the live workspace and
returns a ``Plan`` (current -> desired), which the approval filter shows
before anything changes. Tools never print and never ask the user anything:
approval lives in one place, ``agent.approval``.

semantic-kernel is imported only when a plugin is turned into a kernel plugin,
so importing tools/ stays cheap.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Literal

from pydantic import BaseModel, ValidationError, validate_call

from workspace.errors import UserInputError

Effect = Literal["read", "write", "destructive"]
EFFECTS: tuple[str, ...] = ("read", "write", "destructive")
ML = "Microsoft.MachineLearningServices/workspaces"


@dataclass(frozen=True)
class ToolSpec:
    """A tool's declaration. A function without one counts as ``write`` with no known permission."""

    function: str
    effect: Effect = "write"
    permission: str | None = None
    examples: tuple[str, ...] = ()
    resource_arg: str | None = None  # the argument a destructive confirmation must retype
    description: str = ""
    plugin: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.plugin}-{self.function}" if self.plugin else self.function


class ToolCall(BaseModel):
    tool: str
    arguments: dict[str, Any] = {}


class Plan(BaseModel):
    """What a write will do, shown to the user before approval."""

    action: str                      # e.g. "create compute"
    target: str                      # e.g. "compute/cpu-cluster"
    current: Any = None              # None means absent
    desired: Any = None
    summary: str                     # one line: "cpu-cluster: absent -> STANDARD_DS3_v2 x 0..4, low priority"
    resource_name: str | None = None # what a destructive confirmation must type
    inverse: ToolCall | None = None  # how undo reverts it, where possible
    warnings: list[str] = []


@dataclass
class ToolContext:
    """What tools may know about the caller, beyond the workspace client."""

    user: str = "unknown"
    channel: str = "cli"
    extras: dict[str, Any] = field(default_factory=dict)


def tool(
    *,
    effect: Effect,
    permission: str,
    examples: tuple[str, ...] | list[str] = (),
    resource_arg: str | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a plugin method as a tool; its arguments are validated by pydantic on every call."""
    if effect not in EFFECTS:
        raise ValueError(f"effect must be one of {EFFECTS}, not {effect!r}")

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        validated = validate_call(func)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return validated(*args, **kwargs)
            except ValidationError as exc:
                raise validation_error(exc) from None

        wrapper.__amlpilot_tool__ = ToolSpec(  # type: ignore[attr-defined]
            function=func.__name__,
            effect=effect,
            permission=permission,
            examples=tuple(examples),
            resource_arg=resource_arg,
            description=inspect.cleandoc(func.__doc__ or ""),
        )
        return wrapper

    return decorate


def validation_error(exc: ValidationError) -> UserInputError:
    """pydantic's report as one line naming the argument and the value."""
    error = exc.errors()[0]
    field_name = ".".join(str(part) for part in error["loc"]) or "arguments"
    message = error["msg"].removeprefix("Value error, ")
    return UserInputError(f"{field_name}: {error.get('input')!r} is invalid: {message}", field=field_name, value=error.get("input"))


class ToolPlugin:
    """One plugin per workspace area; ``plugin_name`` follows MLClient's group names."""

    plugin_name: ClassVar[str]
    description: ClassVar[str] = ""

    def __init__(self, client: Any, context: ToolContext | None = None) -> None:
        self.client = client
        self.context = context or ToolContext()

    @classmethod
    def tool_specs(cls) -> dict[str, ToolSpec]:
        specs = {}
        for name, member in inspect.getmembers(cls, predicate=inspect.isfunction):
            spec = getattr(member, "__amlpilot_tool__", None)
            if spec is not None:
                specs[name] = ToolSpec(**{**spec.__dict__, "plugin": cls.plugin_name})
        return specs

    def preview(self, function: str, arguments: dict[str, Any]) -> Plan:
        """Validate a write against the live workspace and say what it will change."""
        previewer = getattr(self, f"preview_{function}", None)
        if previewer is None:
            raise UserInputError(f"{self.plugin_name}-{function}: this write has no preview", field="tool", value=function)
        try:
            return validate_call(previewer)(**arguments)
        except ValidationError as exc:
            raise validation_error(exc) from None

    def as_kernel_plugin(self):
        """This plugin as a semantic-kernel ``KernelPlugin`` (imports semantic-kernel)."""
        from semantic_kernel.functions import KernelPlugin, kernel_function

        for name, spec in self.tool_specs().items():
            function = type(self).__dict__.get(name) or getattr(type(self), name)
            if not getattr(function, "__kernel_function__", False):
                kernel_function(function, name=name, description=spec.description.split("\n\n")[0] or name)
        return KernelPlugin.from_object(self.plugin_name, self, description=self.description)
