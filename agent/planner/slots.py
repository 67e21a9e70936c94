"""What extraction works on: the context of a request, the state while filling a tool's
parameters, and the result. Shared by ``extract`` (values) and ``naming`` (the resource's name)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.planner.knowledge import Knowledge
from agent.planner.references import Mention, WorkspaceView
from agent.planner.spans import Reading, Span
from agent.planner.toolinfo import Param, Tool


@dataclass
class Context:
    knowledge: Knowledge
    workspace: WorkspaceView
    user: str = ""
    mentions: list[Mention] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)  # this turn's tool results, for chained values
    implicit: bool = False  # an earlier clause of this sentence named something a bare clause may mean
    said: str = ""          # the user's whole message (a deletion's name must be in it)


@dataclass
class Extraction:
    args: dict[str, Any]
    explicit: set[str]                 # parameters whose value the user typed
    missing: list[str]                 # required parameters still unknown
    options: dict[str, list[str]] = field(default_factory=dict)


class State:
    """Arguments so far, and which tokens they used (a token gives one value)."""

    def __init__(self, tool: Tool, reading: Reading, ctx: Context, preset: dict[str, Any]) -> None:
        self.tool, self.r, self.ctx = tool, reading, ctx
        self.args: dict[str, Any] = dict(preset)
        self.used: set[int] = set()          # token indexes whose value went to a parameter
        self.options: dict[str, list[str]] = {}
        self.nouns = set(tool.kind_nouns)

    def unfilled(self, param: Param) -> bool:
        return param.name not in self.args

    def put(self, param: Param, value: Any, *indexes: int) -> bool:
        if not self.unfilled(param) or not param.accepts(value):
            return False
        self.args[param.name] = value
        self.used.update(indexes)
        return True

    def span_free(self, span: Span) -> bool:
        return not any(i in self.used for i in range(span.start, span.end))
