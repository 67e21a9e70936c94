"""``offline``: the embedded model that needs no network.

For now it understands explicit tool lines such as
``/compute-create name=cpu-cluster max_instances=4`` (split with shlex; each
value JSON-decoded when it can be, else kept as text) and answers anything else
with a short help listing the tools it may call. Once tool results come back it
summarises them. It is a semantic-kernel chat service producing
``FunctionCallContent``, so the same loop, approval filter and events run as
with a real model; the planner that turns plain requests into calls replaces
``plan_reply`` later.

semantic-kernel is imported only when the service is built.
"""

from __future__ import annotations

import functools
import json
import shlex
import uuid
from dataclasses import dataclass, field
from typing import Any

TOOLS_KEY = "amlpilot_offline_tools"  # where the offered tools travel in the execution settings
MAX_RESULT_CHARS = 300


@dataclass(frozen=True)
class Reply:
    """What the planner says: text, or one tool call."""

    text: str = ""
    tool: str | None = None
    arguments: dict[str, Any] = field(default_factory=dict)


def parse_tool_line(line: str) -> tuple[str, dict[str, Any]]:
    """``/tool a=1 b=text`` -> ("tool", {"a": 1, "b": "text"}); raises ValueError with a short reason."""
    try:
        words = shlex.split(line.strip().removeprefix("/"))
    except ValueError as exc:
        raise ValueError(f"could not split the line: {exc}") from None
    if not words:
        raise ValueError("no tool named after '/'")
    name, arguments = words[0], {}
    for word in words[1:]:
        key, sep, raw = word.partition("=")
        if not sep or not key:
            raise ValueError(f"expected key=value, got {word!r}")
        arguments[key] = _decode(raw)
    return name, arguments


def _decode(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def plan_reply(messages: list[dict[str, Any]], tools: dict[str, str]) -> Reply:
    """The reply to a conversation given as plain dicts (role, text, results)."""
    if not messages:
        return Reply(help_text(tools))
    last = messages[-1]
    if last["role"] == "tool":
        results = [m for m in _trailing(messages, "tool")]
        return Reply(summarise(results))
    if last["role"] != "user" or not last["text"].strip().startswith("/"):
        return Reply(help_text(tools))
    try:
        name, arguments = parse_tool_line(last["text"])
    except ValueError as exc:
        return Reply(f"I could not read that tool line: {exc}.\n\n" + help_text(tools))
    if name not in tools:
        return Reply(f"There is no tool {name!r} here.\n\n" + help_text(tools))
    return Reply(tool=name, arguments=arguments)


def _trailing(messages: list[dict[str, Any]], role: str) -> list[dict[str, Any]]:
    found = []
    for message in reversed(messages):
        if message["role"] != role:
            break
        found.append(message)
    return list(reversed(found))


def summarise(results: list[dict[str, Any]]) -> str:
    lines = []
    for message in results:
        text = " ".join(str(message.get("text", "")).split())
        if len(text) > MAX_RESULT_CHARS:
            text = text[: MAX_RESULT_CHARS - 1] + "…"
        lines.append(f"- {message.get('name') or 'tool'}: {text}")
    return "Results:\n" + "\n".join(lines)


def help_text(tools: dict[str, str]) -> str:
    if not tools:
        return "I am the offline model and no tools are available in this session."
    listed = "\n".join(f"- {name}: {_clip(description)}" if description else f"- {name}" for name, description in sorted(tools.items()))
    return (
        "I am the offline model: I run tools you name explicitly, e.g. "
        "`/compute-create name=cpu-cluster max_instances=4`.\n\nAvailable tools:\n" + listed
    )


def _clip(text: str, size: int = 72) -> str:
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


def offline_service(rest: str = "", settings: Any = None) -> Any:
    return _service_class()()


@functools.cache
def _service_class() -> type:
    """Built on first use so that importing this module does not import semantic-kernel."""
    from semantic_kernel.connectors.ai.chat_completion_client_base import ChatCompletionClientBase
    from semantic_kernel.contents import (
        ChatMessageContent,
        FunctionCallContent,
        FunctionResultContent,
        StreamingChatMessageContent,
        StreamingTextContent,
        TextContent,
    )
    from semantic_kernel.contents.utils.author_role import AuthorRole

    def remember_tools(configuration: Any, settings: Any, choice_type: Any) -> None:
        functions = configuration.available_functions or []
        settings.extension_data[TOOLS_KEY] = {f.fully_qualified_name: (f.description or "").split("\n")[0] for f in functions}

    def as_plain(history: Any) -> list[dict[str, Any]]:
        plain = []
        for message in history.messages:
            results = [i for i in message.items if isinstance(i, FunctionResultContent)]
            if results:
                plain.extend({"role": "tool", "name": r.name, "text": str(r.result)} for r in results)
            else:
                plain.append({"role": message.role.value, "text": message.content or ""})
        return plain

    class OfflineChatCompletion(ChatCompletionClientBase):
        SUPPORTS_FUNCTION_CALLING = True

        def __init__(self) -> None:
            super().__init__(ai_model_id="offline", service_id="chat")

        def _update_function_choice_settings_callback(self):
            return remember_tools

        def _reset_function_choice_settings(self, settings: Any) -> None:
            settings.extension_data.pop(TOOLS_KEY, None)

        def _reply(self, history: Any, settings: Any) -> Reply:
            return plan_reply(as_plain(history), settings.extension_data.get(TOOLS_KEY) or {})

        async def _inner_get_chat_message_contents(self, chat_history: Any, settings: Any) -> list[Any]:
            reply = self._reply(chat_history, settings)
            items: list[Any] = [TextContent(text=reply.text)] if reply.tool is None else [_call(reply)]
            return [ChatMessageContent(role=AuthorRole.ASSISTANT, items=items, ai_model_id=self.ai_model_id)]

        async def _inner_get_streaming_chat_message_contents(self, chat_history: Any, settings: Any, function_invoke_attempt: int = 0):
            reply = self._reply(chat_history, settings)
            items: list[Any] = [StreamingTextContent(choice_index=0, text=reply.text)] if reply.tool is None else [_call(reply)]
            yield [
                StreamingChatMessageContent(
                    role=AuthorRole.ASSISTANT, choice_index=0, items=items,
                    ai_model_id=self.ai_model_id, function_invoke_attempt=function_invoke_attempt,
                )
            ]

    def _call(reply: Reply) -> Any:
        return FunctionCallContent(id=f"call_{uuid.uuid4().hex[:12]}", name=reply.tool, arguments=json.dumps(reply.arguments))

    return OfflineChatCompletion
