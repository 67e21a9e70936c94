"""What tools return, made fit for the model, events and the audit log.

Tool results may be entities, pydantic models, dataclasses or plain data;
``plain`` turns them into JSON-able data. Dicts and lists go back to the model
as JSON text (semantic-kernel sends ``str(result)``, which for a plain dict is
Python's repr). Errors become ``Error: <one line>``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from enum import Enum
from typing import Any

MAX_ERROR_CHARS = 500


def one_line(exc: BaseException) -> str:
    """The exception as one line; an unexpected one is prefixed by its type, ours are already worded for people."""
    from workspace.errors import AmlPilotError

    message = str(getattr(exc, "message", None) or exc or type(exc).__name__)
    if not isinstance(exc, AmlPilotError) and type(exc).__name__ not in message:
        message = f"{type(exc).__name__}: {message}"
    text = " ".join(message.split())
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def error_line(exc: BaseException) -> str:
    return f"Error: {one_line(exc)}"


def plain(value: Any) -> Any:
    """JSON-able data from tool results: entities via ``_to_dict``, models via ``model_dump``."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if isinstance(value, Enum):
        return plain(value.value)
    if hasattr(value, "model_dump"):
        return plain(value.model_dump(mode="json"))
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if hasattr(value, "_to_dict"):
        try:
            return plain(value._to_dict())
        except Exception:  # some entities can't serialise without a workspace; their text will do
            return str(value)
    if hasattr(value, "to_dict"):
        return plain(value.to_dict())
    return str(value)


class JsonReply(dict):
    """A dict result the model receives as JSON text (semantic-kernel sends ``str(result)``)."""

    def __str__(self) -> str:
        return json.dumps(self, default=str, ensure_ascii=False)


class JsonList(list):
    def __str__(self) -> str:
        return json.dumps(self, default=str, ensure_ascii=False)


def as_reply(value: Any) -> Any:
    if isinstance(value, dict):
        return JsonReply(value)
    if isinstance(value, list):
        return JsonList(value)
    return value
