"""The typed events one conversation turn emits; the CLI, TUI and bots consume them.

The loop knows no UI: it yields these and each front end decides how to show
them. Everything in an event is already redacted, so a UI may print, log or
persist it as it is.

``AssistantText`` comes in two kinds: deltas (``final=False``) as the model
streams, then one ``final=True`` event holding the whole answer. A UI that
printed the deltas ends the line on the final one; a UI that doesn't stream
shows only the final one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Literal, Union

Status = Literal["ok", "error", "declined", "denied"]
STATUSES: tuple[str, ...] = ("ok", "error", "declined", "denied")


@dataclass(frozen=True)
class AssistantText:
    text: str
    final: bool = False


@dataclass(frozen=True)
class ToolProposed:
    """The model asked for a tool; arguments are redacted."""

    tool: str
    arguments: dict[str, Any]
    effect: str
    permission: str | None


@dataclass(frozen=True)
class ApprovalRequested:
    """A write is about to be put to the user; ``plan`` is ``Plan.model_dump()``."""

    tool: str
    plan: dict[str, Any]
    effect: str
    permission: str | None
    needs_typed_name: str | None = None


@dataclass(frozen=True)
class ToolResult:
    tool: str
    status: Status
    result: Any
    duration_ms: int = 0


@dataclass(frozen=True)
class Error:
    message: str


Event = Union[AssistantText, ToolProposed, ApprovalRequested, ToolResult, Error]
EVENT_TYPES: dict[str, type] = {cls.__name__: cls for cls in (AssistantText, ToolProposed, ApprovalRequested, ToolResult, Error)}


def to_dict(event: Event) -> dict[str, Any]:
    """The event as JSON-able data with its type name under ``"type"``."""
    return {"type": type(event).__name__, **asdict(event)}


def from_dict(data: dict[str, Any]) -> Event:
    """The inverse of ``to_dict``; unknown keys are ignored so old transcripts still load."""
    cls = EVENT_TYPES.get(data.get("type", ""))
    if cls is None:
        raise ValueError(f"not an event: {data.get('type')!r}")
    names = {f.name for f in fields(cls)}
    return cls(**{key: value for key, value in data.items() if key in names})
