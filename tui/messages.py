"""What the agent thread tells the UI, as Textual messages.

The agent loop runs in its own thread (see ``tui.bridge``) and posts these to
the app; ``post_message`` is thread-safe, so the UI handles them in order on its
own loop with ``@on(Agent.ToolProposed)`` and so on. Each ``agent.events`` event
has a message of the same name, so a handler reads the event's own fields.
"""

from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass, field
from typing import Any

from textual.message import Message

from agent.events import (
    ApprovalRequested,
    AssistantText,
    Error,
    Event,
    ToolProposed,
    ToolResult,
)


class Agent:
    """Namespace for the agent's messages (handler names are ``on_agent_<name>``)."""

    @dataclass
    class ClientReady(Message):
        """The workspace client is open; ``first_launch`` when it is empty and has no past sessions."""

        client: Any
        workspace: str
        backend: str
        first_launch: bool

    @dataclass
    class SessionReady(Message):
        session_id: str
        model: str
        user: str
        roles: tuple[str, ...]
        read_only: bool
        tools: tuple[str, ...]
        resumed: bool
        past: list[dict[str, Any]] = field(default_factory=list)  # transcript records to replay on resume

    @dataclass
    class SessionFailed(Message):
        """No session could be opened (bad settings, unknown resume id, ...): the app stays up without one."""

        message: str

    @dataclass
    class Text(Message):
        event: AssistantText

    @dataclass
    class ToolProposed(Message):
        event: ToolProposed

    @dataclass
    class ApprovalRequested(Message):
        event: ApprovalRequested

    @dataclass
    class ToolResult(Message):
        event: ToolResult

    @dataclass
    class Error(Message):
        event: Error

    @dataclass
    class ApprovalNeeded(Message):
        """The approver waits on ``answer``; the app resolves it from the modal's result."""

        request: Any  # agent.approval.ApprovalRequest
        answer: concurrent.futures.Future

    @dataclass
    class TurnFailed(Message):
        """The turn itself broke (not a tool: those come back as ToolResult errors)."""

        message: str


_BY_EVENT = {
    AssistantText: Agent.Text,
    ToolProposed: Agent.ToolProposed,
    ApprovalRequested: Agent.ApprovalRequested,
    ToolResult: Agent.ToolResult,
    Error: Agent.Error,
}


def event_message(event: Event) -> Message:
    """The message carrying one ``agent.events`` event."""
    return _BY_EVENT[type(event)](event)
