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
import typing
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Literal

from pydantic import (
    BaseModel, BeforeValidator, ConfigDict, SecretStr, TypeAdapter, ValidationError, create_model, validate_call,
)

from workspace.errors import UserInputError

Effect = Literal["read", "write", "destructive"]
EFFECTS: tuple[str, ...] = ("read", "write", "destructive")
ML = "Microsoft.MachineLearningServices/workspaces"
REDACTED = "***"  # what a secret argument looks like in plans, results and errors


@dataclass(frozen=True)
class ParamSpec:
    """One tool parameter as the model, the docs and the approval filter see it."""

    name: str
    annotation: Any = field(compare=False, repr=False)
    description: str = ""
    default: Any = inspect.Parameter.empty
    schema: dict = field(default_factory=dict, compare=False)  # JSON schema with pydantic's constraints
    secret: bool = False

    @property
    def required(self) -> bool:
        return self.default is inspect.Parameter.empty


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
    parameters: tuple[ParamSpec, ...] = field(default=(), compare=False)
    secret_args: tuple[str, ...] = ()  # arguments to redact in transcripts, audit logs and errors
    has_preview: bool = False

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


def one_of(*values: str) -> BeforeValidator:
    """Accept a closed set's values in any letter case ("reader" means "Reader")."""
    lookup = {v.lower(): v for v in values}
    return BeforeValidator(lambda v: lookup.get(v.lower(), v) if isinstance(v, str) else v)


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
                raise validation_error(exc, secret_args(func)) from None

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


def validation_error(exc: ValidationError, secret_args: tuple[str, ...] = ()) -> UserInputError:
    """pydantic's report as one line naming the argument and the value (a secret's value shows as ***)."""
    error = exc.errors()[0]
    loc = [str(part) for part in error["loc"]]
    field_name = ".".join(loc) or "arguments"
    if error["type"] in ("missing_argument", "missing"):
        return UserInputError.missing(field_name)
    if error["type"] in ("unexpected_keyword_argument", "extra_forbidden"):
        # The value is not echoed: a misspelt secret argument must not leak.
        return UserInputError(f"{field_name}: is not a parameter of this tool", field=field_name)
    value = REDACTED if loc and loc[0] in secret_args else error.get("input")
    message = error["msg"].removeprefix("Value error, ")
    return UserInputError(f"{field_name}: {value!r} is invalid: {message}", field=field_name, value=value)


@functools.cache
def tool_parameters(func: Callable[..., Any]) -> tuple[ParamSpec, ...]:
    """The parameters of a tool (or its preview), read from its ``Annotated`` signature."""
    original = inspect.unwrap(func)
    hints = typing.get_type_hints(original, include_extras=True)
    params = []
    for name, param in inspect.signature(original).parameters.items():
        if name == "self":
            continue
        annotation = hints.get(name, Any)
        metadata = getattr(annotation, "__metadata__", ())
        # Nested Annotated aliases flatten; the outermost (last) string is the most specific.
        description = next((m for m in reversed(metadata) if isinstance(m, str)), "")
        params.append(ParamSpec(
            name=name, annotation=annotation, description=description, default=param.default,
            schema=parameter_schema(annotation, description, param.default), secret=_is_secret(annotation),
        ))
    return tuple(params)


@functools.cache
def arguments_model(func: Callable[..., Any]) -> type[BaseModel]:
    """A pydantic model of a tool's parameters, to validate arguments without calling the tool."""
    fields = {
        p.name: (p.annotation, ... if p.required else p.default) for p in tool_parameters(func)
    }
    config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    return create_model(f"{inspect.unwrap(func).__qualname__}.arguments", __config__=config, **fields)


def secret_args(func: Callable[..., Any]) -> tuple[str, ...]:
    return tuple(p.name for p in tool_parameters(func) if p.secret)


def _is_secret(annotation: Any) -> bool:
    base = typing.get_args(annotation)[0] if typing.get_origin(annotation) is typing.Annotated else annotation
    return base is SecretStr or SecretStr in typing.get_args(base)


def parameter_schema(annotation: Any, description: str, default: Any) -> dict:
    """pydantic's JSON schema of one parameter, made compact for the model.

    semantic-kernel's own schema drops Field constraints (ge, le, pattern) and
    turns Literal into "object"; pydantic keeps them. Optional collapses to its
    non-null branch (the parameter is simply not required) and $refs are inlined.
    """
    schema = TypeAdapter(annotation).json_schema()
    schema = _inline_refs(schema, schema.pop("$defs", {}))
    branches = [b for b in schema.get("anyOf", []) if b != {"type": "null"}]
    if "anyOf" in schema and len(branches) == 1:
        schema = {**{k: v for k, v in schema.items() if k != "anyOf"}, **branches[0]}
    schema = _without_titles(schema)
    if description:
        schema["description"] = description
    if default is not inspect.Parameter.empty and default is not None:
        schema["default"] = getattr(default, "value", default)
    return schema


def _inline_refs(node: Any, defs: dict) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline_refs(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        return {k: _inline_refs(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline_refs(v, defs) for v in node]
    return node


def _without_titles(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_titles(v) for k, v in node.items() if k != "title"}
    if isinstance(node, list):
        return [_without_titles(v) for v in node]
    return node


class ToolPlugin:
    """One plugin per workspace area; ``plugin_name`` follows MLClient's group names."""

    plugin_name: ClassVar[str]
    description: ClassVar[str] = ""

    def __init__(self, client: Any, context: ToolContext | None = None) -> None:
        self.client = client
        self.context = context or ToolContext()

    @classmethod
    def tool_specs(cls) -> dict[str, ToolSpec]:
        """The declarations of this class's tools by function name (computed once per class)."""
        if "_tool_specs" not in cls.__dict__:
            cls._tool_specs = cls._collect_specs()
        return dict(cls.__dict__["_tool_specs"])

    @classmethod
    def _collect_specs(cls) -> dict[str, ToolSpec]:
        specs = {}
        # Definition order (list, get, create, ...) reads better than alphabetical, for the model and the docs.
        members = {name: member for klass in reversed(cls.__mro__) for name, member in vars(klass).items()}
        for name, member in members.items():
            spec = getattr(member, "__amlpilot_tool__", None) if inspect.isfunction(member) else None
            if spec is not None:
                parameters = tool_parameters(member)
                specs[name] = ToolSpec(**{
                    **spec.__dict__, "plugin": cls.plugin_name, "parameters": parameters,
                    "secret_args": tuple(p.name for p in parameters if p.secret),
                    "has_preview": callable(getattr(cls, f"preview_{name}", None)),
                })
        return specs

    def validate(self, function: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """The arguments as the tool will receive them (coerced, defaults filled); one-line error otherwise."""
        spec = self.tool_specs().get(function)
        if spec is None:
            raise UserInputError(f"{self.plugin_name}-{function}: no such tool", field="tool", value=function)
        try:
            validated = arguments_model(getattr(type(self), function)).model_validate(arguments)
        except ValidationError as exc:
            raise validation_error(exc, spec.secret_args) from None
        return {p.name: getattr(validated, p.name) for p in spec.parameters}

    def preview(self, function: str, arguments: dict[str, Any]) -> Plan:
        """Validate a write against the live workspace and say what it will change.

        Arguments are checked against the tool's own declaration first, so a
        preview never accepts what the tool would refuse.
        """
        previewer = getattr(self, f"preview_{function}", None)
        if previewer is None:
            raise UserInputError(f"{self.plugin_name}-{function}: this write has no preview", field="tool", value=function)
        return previewer(**self.validate(function, arguments))

    def as_kernel_plugin(self):
        """This plugin as a semantic-kernel ``KernelPlugin`` (imports semantic-kernel)."""
        from semantic_kernel.functions import KernelPlugin, kernel_function

        specs = self.tool_specs()
        for name, spec in specs.items():
            function = type(self).__dict__.get(name) or getattr(type(self), name)
            if not getattr(function, "__kernel_function__", False):
                kernel_function(function, name=name, description=spec.description.split("\n\n")[0] or name)
        plugin = KernelPlugin.from_object(self.plugin_name, self, description=self.description)
        for name, kernel_func in plugin.functions.items():
            declared = {p.name: p for p in specs[name].parameters}
            for meta in kernel_func.metadata.parameters:
                if meta.name in declared:
                    meta.schema_data = declared[meta.name].schema
                    # Raw values reach the tool, whose pydantic validation coerces them and
                    # reports errors as one line naming the argument (semantic-kernel's own
                    # coercion would raise a generic "is expected to be parsed" instead).
                    meta.type_object = None
        return plugin
