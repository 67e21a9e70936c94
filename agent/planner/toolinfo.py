"""The planner's view of a tool, read once from its ``ToolSpec`` (name, effect, schema, examples).

Nothing here knows a particular tool: the kind of each parameter (a name, a
path, a count, an enum, a flag, a duration) is read from its JSON schema, its
name and its description, so a tool added tomorrow is understood the same way.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from typing import Any

from agent.planner.lexicon import stem
from agent.planner.phrasings import KIND_NOUNS, PRINCIPAL_PARAMS, SCOPED_PARAMS

NAME_PARAMS = ("name", "principal", "job_name", "endpoint_name", "deployment_name")
_GENERIC_PARTS = frozenset({"name", "of", "the", "to", "before", "file", "path", "id", "include"})


@dataclass(frozen=True)
class Param:
    name: str
    type: str                        # JSON schema type: string, integer, number, boolean, object, array
    required: bool
    default: Any = None
    enum: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    max_length: int | None = None
    description: str = ""
    secret: bool = False

    @functools.cached_property
    def parts(self) -> frozenset[str]:
        """Stems of the words in the parameter's name: max_instances -> {max, instanc}."""
        return frozenset(stem(p) for p in self.name.split("_") if p)

    @functools.cached_property
    def cues(self) -> tuple[str, ...]:
        """Words after which a user gives this value: account_name -> 'account', conda_file -> 'conda'."""
        return tuple(p for p in self.name.split("_") if p not in _GENERIC_PARTS)

    @functools.cached_property
    def unit_seconds(self) -> int | None:
        """The time unit an integer parameter counts in, if it counts time (by its description or name)."""
        if self.type not in ("integer", "number"):
            return None
        words = set(re.findall(r"[a-z]+", self.description.lower()))
        for unit, seconds in (("second", 1), ("minute", 60), ("hour", 3600)):
            if unit in words or f"{unit}s" in words or unit in self.name:
                return seconds
        return 1 if set(self.name.split("_")) & {"time", "timeout", "idle", "duration"} else None

    @property
    def is_path(self) -> bool:
        text = f"{self.name} {self.description}".lower()
        return self.type == "string" and not self.enum and (
            "path" in self.name or self.name.endswith("_file") or "local file or folder" in text or "yaml file" in text)

    @property
    def takes_uri(self) -> bool:
        """A path, or a reference that may also be a tracked run's URI ("runs:/..."): what "the best model" fills."""
        return self.is_path or (self.type == "string" and not self.enum and "runs:/" in self.description)

    @property
    def is_percent(self) -> bool:
        text = f"{self.name} {self.description}".lower()
        return self.type in ("integer", "number") and ("percent" in text or "%" in text or "traffic" in text)

    def accepts(self, value: Any) -> bool:
        """Whether a value passes this parameter's schema constraints (type, range, pattern, length)."""
        if self.enum:
            return value in self.enum
        if self.type in ("integer", "number"):
            if not isinstance(value, (int, float)) or (self.type == "integer" and value != int(value)):
                return False
            return (self.minimum is None or value >= self.minimum) and (self.maximum is None or value <= self.maximum)
        if self.type == "string":
            if not isinstance(value, str) or (self.max_length and len(value) > self.max_length):
                return False
            return self.pattern is None or re.search(self.pattern, value) is not None
        return True


@dataclass(frozen=True)
class Tool:
    name: str                        # full name, e.g. compute-create
    plugin: str
    function: str
    effect: str
    description: str
    examples: tuple[str, ...]
    params: tuple[Param, ...]
    resource_arg: str | None = None
    kind_nouns: tuple[str, ...] = field(default=())
    kind: str = ""                   # the kind of resource it acts on (automl tools act on jobs)
    permission: str = ""             # its Azure RBAC action

    @property
    def destructive(self) -> bool:
        return self.effect == "destructive"

    @property
    def writes(self) -> bool:
        return self.effect != "read"

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    @functools.cached_property
    def primary(self) -> Param | None:
        """The parameter that names the resource acted on (what "it" and "my cluster" fill)."""
        if self.resource_arg and self.param(self.resource_arg):
            return self.param(self.resource_arg)
        for name in NAME_PARAMS:
            if self.param(name) is not None:
                return self.param(name)
        return None

    @functools.cached_property
    def kinds(self) -> frozenset[str]:
        """The kinds its names may be: its own, and the endpoint an online_deployments tool's endpoint_name names."""
        family = self.plugin.split("_")[0]
        scoped = {SCOPED_PARAMS[p.name].format(family=family) for p in self.params if p.name in SCOPED_PARAMS and p.required}
        return frozenset({self.kind} | scoped)

    @property
    def principal_kind(self) -> bool:
        return self.primary is not None and self.primary.name in PRINCIPAL_PARAMS

    @property
    def verb(self) -> str:
        return self.function.split("_")[0]

    @property
    def label(self) -> str:
        """'create compute', 'list data': how questions and answers name the tool."""
        words = self.function.replace("_", " ")
        return f"{words} {self.plugin}" if self.plugin else words


def from_spec(spec: Any) -> Tool:
    params = tuple(_param(p) for p in spec.parameters)
    plugin = spec.plugin or spec.full_name.partition("-")[0]
    nouns = KIND_NOUNS.get(plugin) or _nouns_of(plugin)
    tool = Tool(
        name=spec.full_name, plugin=plugin, function=spec.function, effect=spec.effect or "write",
        description=spec.description or "", examples=tuple(spec.examples or ()), params=params,
        resource_arg=spec.resource_arg, kind_nouns=nouns, kind=plugin, permission=spec.permission or "",
    )
    return replace(tool, kind=_kind_of(tool))


def _kind_of(tool: Tool) -> str:
    """A known area is its own kind; a new one's resources are what its name parameter says
    ("Name of the job" -> jobs), else its own."""
    if tool.plugin in KIND_NOUNS or tool.primary is None:
        return tool.plugin
    for word in re.findall(r"[a-z]+", tool.primary.description.lower()):
        for kind, nouns in KIND_NOUNS.items():
            if word in nouns and kind != "access":
                return kind
    return tool.plugin


def param_kind(param: Param) -> str | None:
    """The kind a parameter names by its own name: compute -> compute, training_data -> data, job_name -> jobs.

    Only the head noun counts (the last word, "name" aside): target_column is a column, not a compute target.
    """
    parts = [p for p in param.name.split("_") if p not in ("name", "id")]
    for kind, nouns in KIND_NOUNS.items():
        if parts and parts[-1] in nouns and kind not in ("access", "workspace"):
            return kind
    return None


def _nouns_of(plugin: str) -> tuple[str, ...]:
    """A new plugin's own nouns: online_endpoints -> endpoint, endpoints, online."""
    words = set()
    for part in plugin.split("_"):
        words.update({part, part.rstrip("s")})
    return tuple(sorted(w for w in words if len(w) > 2))


def _param(spec: Any) -> Param:
    schema = spec.schema or {}
    enum = tuple(schema.get("enum") or ())
    default = None if spec.required else spec.default
    return Param(
        name=spec.name, type=schema.get("type", "string" if enum else "object"), required=spec.required,
        default=getattr(default, "value", default), enum=enum,
        minimum=schema.get("minimum"), maximum=schema.get("maximum"), pattern=schema.get("pattern"),
        max_length=schema.get("maxLength"), description=schema.get("description", spec.description or ""),
        secret=spec.secret,
    )
