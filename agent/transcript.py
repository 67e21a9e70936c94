"""A session's JSONL transcript: ``<workspace>/sessions/<session_id>.jsonl``.

One JSON object per line, each with a ``type``:

- ``session``: the header (id, user, model, channel, created);
- ``user``: what the user typed;
- one line per event (``AssistantText``, ``ToolProposed``, ... as ``agent.events.to_dict``);
- ``history``: the chat messages a turn added, so ``resume`` can rebuild the history.

Everything is redacted before it is written. The history is stored in a small
format of our own (text, calls, results) rather than semantic-kernel's
serialisation, so transcripts outlive library upgrades.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from agent.redact import Redactor
from workspace.errors import UserInputError

SESSION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def sessions_dir(workspace_root: str | Path) -> Path:
    return Path(workspace_root) / "sessions"


def new_session_id() -> str:
    return f"{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def transcript_path(workspace_root: str | Path, session_id: str) -> Path:
    if not SESSION_ID.match(session_id or ""):
        raise UserInputError.invalid("session", session_id, "is not a session id (letters, digits, '.', '_' and '-')")
    return sessions_dir(workspace_root) / f"{session_id}.jsonl"


def existing_transcript(workspace_root: str | Path, session_id: str) -> Path:
    """The transcript of a past session; an unknown id is a one-line error listing recent ones."""
    path = transcript_path(workspace_root, session_id)
    if not path.is_file():
        known = sorted((p.stem for p in sessions_dir(workspace_root).glob("*.jsonl")), reverse=True)
        hint = f" (recent: {', '.join(known[:5])})" if known else " (this workspace has no sessions yet)"
        raise UserInputError(f"session: {session_id!r} was not found{hint}", field="session", value=session_id)
    return path


class Transcript:
    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, record: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(record, default=str, ensure_ascii=False)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    def records(self) -> list[dict[str, Any]]:
        if not self.path.is_file():
            return []
        found = []
        for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                found.append(json.loads(line))
            except json.JSONDecodeError:
                message = f"session: {self.path} line {number} is not JSON; the transcript is damaged"
                raise UserInputError(message, field="session") from None
        return found

    def history_messages(self) -> list[dict[str, Any]]:
        return [m for r in self.records() if r.get("type") == "history" for m in r.get("messages", [])]


# -- chat messages <-> records ---------------------------------------------------


def message_record(message: Any, redactor: Redactor) -> dict[str, Any] | None:
    """A chat message as plain, redacted data; None for one with nothing worth keeping."""
    from semantic_kernel.contents import FunctionCallContent, FunctionResultContent

    items: list[dict[str, Any]] = []
    for item in message.items:
        if isinstance(item, FunctionCallContent):
            items.append({"kind": "call", "id": item.id, "name": item.name, "arguments": redactor(_arguments(item))})
        elif isinstance(item, FunctionResultContent):
            items.append({"kind": "result", "id": item.id, "name": item.name, "result": redactor.text(str(item.result))})
        elif getattr(item, "text", None):
            if items and items[-1]["kind"] == "text":
                items[-1]["text"] += redactor.text(item.text)
            else:
                items.append({"kind": "text", "text": redactor.text(item.text)})
    if not items:
        return None
    return {"role": message.role.value, "items": items}


def _arguments(call: Any) -> Any:
    if not isinstance(call.arguments, str):
        return call.arguments or {}
    try:
        return json.loads(call.arguments or "{}")
    except json.JSONDecodeError:  # the model sent broken JSON; keep it as text
        return {"unparsed": call.arguments}


def record_message(record: dict[str, Any]) -> Any:
    """The semantic-kernel chat message for a stored record."""
    from semantic_kernel.contents import ChatMessageContent, FunctionCallContent, FunctionResultContent, TextContent
    from semantic_kernel.contents.utils.author_role import AuthorRole

    items: list[Any] = []
    for item in record["items"]:
        if item["kind"] == "call":
            items.append(FunctionCallContent(id=item["id"], name=item["name"], arguments=json.dumps(item["arguments"])))
        elif item["kind"] == "result":
            items.append(FunctionResultContent(id=item["id"], name=item["name"], result=item["result"]))
        else:
            items.append(TextContent(text=item["text"]))
    return ChatMessageContent(role=AuthorRole(record["role"]), items=items)
