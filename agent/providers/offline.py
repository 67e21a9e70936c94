"""``offline``: the embedded model that needs no network, a semantic-kernel chat service.

It turns plain requests into tool calls with ``agent.planner`` (a deterministic
planner built from the tools' declarations and example phrasings), asks when
something is missing, and answers from the tool results. Because it is a
``ChatCompletionClientBase`` producing ``FunctionCallContent``, the same loop,
approval filter, audit and events run as with a real model.

Explicit tool lines still work and bypass the planner:
``/compute-create name=cpu-cluster max_instances=4`` (split with shlex; each
value JSON-decoded when it can be, else kept as text); their results come back
raw ("Results: ...").

The service learns the tools and the workspace from the kernel it is called
with (semantic-kernel passes ``kernel=`` on every request): the kernel's
functions are bound methods of ``ToolPlugin`` objects, which carry the tool
declarations and the workspace client. So it needs nothing from the session.

semantic-kernel is imported only when the service is built.
"""

from __future__ import annotations

import functools
import json
import shlex
import uuid
from typing import Any

from agent.planner import Reply

TOOLS_KEY = "amlpilot_offline_tools"  # where the offered tools travel in the execution settings
MAX_RESULT_CHARS = 300


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


def plan_reply(
    messages: list[dict[str, Any]], tools: dict[str, str], specs: list[Any] | None = None,
    client: Any = None, user: str = "",
) -> Reply:
    """The reply to a conversation given as plain dicts (role, text, calls, results).

    ``tools`` are the offered tools (name -> description). Without their
    declarations (``specs``) only tool lines are understood.
    """
    if not messages:
        return Reply(help_text(tools))
    user_text = next((m["text"] for m in reversed(messages) if m["role"] == "user"), "")
    if user_text.strip().startswith("/"):
        return _tool_line_reply(messages, tools, user_text)
    if specs is None or messages[-1]["role"] not in ("user", "tool"):
        return Reply(help_text(tools))
    from agent.planner import respond

    return respond(messages, specs, set(tools), client, user)


def _tool_line_reply(messages: list[dict[str, Any]], tools: dict[str, str], line: str) -> Reply:
    if messages[-1]["role"] == "tool":
        return Reply(summarise(_trailing(messages, "tool")))
    try:
        name, arguments = parse_tool_line(line)
    except ValueError as exc:
        return Reply(f"I could not read that tool line: {exc}.\n\n" + help_text(tools))
    if name not in tools:
        return Reply(f"There is no tool {name!r} here.\n\n" + help_text(tools))
    return Reply(calls=((name, arguments),))


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
    return _service_class()(user=str(getattr(settings, "user", "") or ""))


def tools_in(kernel: Any) -> tuple[list[Any], Any]:
    """The declarations of the kernel's tools and their workspace client, from the plugin objects behind them."""
    from tools.base import ToolPlugin

    owners: dict[int, Any] = {}
    for plugin in (getattr(kernel, "plugins", None) or {}).values():
        for function in plugin.functions.values():
            owner = getattr(getattr(function, "method", None), "__self__", None)
            if isinstance(owner, ToolPlugin):
                owners.setdefault(id(owner), owner)
    specs = [spec for owner in owners.values() for spec in owner.tool_specs().values()]
    client = next((owner.client for owner in owners.values() if owner.client is not None), None)
    return specs, client


def remember_tools(configuration: Any, settings: Any, choice_type: Any) -> None:
    """semantic-kernel's callback with the offered functions: keep their names for the planner."""
    functions = configuration.available_functions or []
    settings.extension_data[TOOLS_KEY] = {f.fully_qualified_name: (f.description or "").split("\n")[0] for f in functions}


def as_plain(history: Any) -> list[dict[str, Any]]:
    """The chat history as plain dicts: user/assistant text, the assistant's calls, and the tool results."""
    from semantic_kernel.contents import FunctionCallContent, FunctionResultContent

    plain: list[dict[str, Any]] = []
    for message in history.messages:
        results = [i for i in message.items if isinstance(i, FunctionResultContent)]
        calls = [i for i in message.items if isinstance(i, FunctionCallContent)]
        if results:
            plain.extend({"role": "tool", "name": r.name, "text": str(r.result)} for r in results)
        elif calls:
            plain.append({"role": "assistant", "text": message.content or "",
                          "calls": [{"name": c.name, "arguments": c.arguments} for c in calls]})
        else:
            plain.append({"role": message.role.value, "text": message.content or ""})
    return plain


def _items(reply: Reply, streaming: bool) -> list[Any]:
    """Text, or the calls: several travel in one message and the approval filter takes them in order."""
    from semantic_kernel.contents import FunctionCallContent, StreamingTextContent, TextContent

    if not reply.calls:
        return [StreamingTextContent(choice_index=0, text=reply.text) if streaming else TextContent(text=reply.text)]
    return [FunctionCallContent(id=f"call_{uuid.uuid4().hex[:12]}", name=name, arguments=json.dumps(arguments))
            for name, arguments in reply.calls]


@functools.cache
def _service_class() -> type:
    """Built on first use so that importing this module does not import semantic-kernel."""
    from pydantic import PrivateAttr
    from semantic_kernel.connectors.ai.chat_completion_client_base import ChatCompletionClientBase
    from semantic_kernel.contents import ChatMessageContent, StreamingChatMessageContent
    from semantic_kernel.contents.utils.author_role import AuthorRole

    class OfflineChatCompletion(ChatCompletionClientBase):
        SUPPORTS_FUNCTION_CALLING = True
        _kernel: Any = PrivateAttr(default=None)  # the kernel of the request being answered: tools + workspace
        _user: str = PrivateAttr(default="")

        def __init__(self, user: str = "") -> None:
            super().__init__(ai_model_id="offline", service_id="chat")
            self._user = user

        def _update_function_choice_settings_callback(self):
            return remember_tools

        def _reset_function_choice_settings(self, settings: Any) -> None:
            settings.extension_data.pop(TOOLS_KEY, None)

        async def get_chat_message_contents(self, chat_history: Any, settings: Any, **kwargs: Any) -> list[Any]:
            self._kernel = kwargs.get("kernel", self._kernel)
            return await super().get_chat_message_contents(chat_history, settings, **kwargs)

        async def get_streaming_chat_message_contents(self, chat_history: Any, settings: Any, **kwargs: Any):
            self._kernel = kwargs.get("kernel", self._kernel)
            async for messages in super().get_streaming_chat_message_contents(chat_history, settings, **kwargs):
                yield messages

        def _reply(self, history: Any, settings: Any) -> Reply:
            offered = settings.extension_data.get(TOOLS_KEY) or {}
            specs, client = tools_in(self._kernel) if self._kernel is not None else (None, None)
            return plan_reply(as_plain(history), offered, specs or None, client, self._user)

        async def _inner_get_chat_message_contents(self, chat_history: Any, settings: Any) -> list[Any]:
            items = _items(self._reply(chat_history, settings), streaming=False)
            return [ChatMessageContent(role=AuthorRole.ASSISTANT, items=items, ai_model_id=self.ai_model_id)]

        async def _inner_get_streaming_chat_message_contents(self, chat_history: Any, settings: Any, function_invoke_attempt: int = 0):
            items = _items(self._reply(chat_history, settings), streaming=True)
            yield [StreamingChatMessageContent(role=AuthorRole.ASSISTANT, choice_index=0, items=items,
                                               ai_model_id=self.ai_model_id, function_invoke_attempt=function_invoke_attempt)]

    return OfflineChatCompletion
