"""What the planner says when it doesn't call a tool: capabilities, questions, refusals.

Questions end with "?" and name the valid options from the workspace, so the
user can answer with one word; the next turn fills the slot.
"""

from __future__ import annotations

from agent.planner import phrasings
from agent.planner.answer import noun
from agent.planner.knowledge import Knowledge
from agent.planner.toolinfo import Tool

MAX_OPTIONS = 8
_VERBS = {"get": "show", "preview": "preview", "create": "create", "list": "list"}


def capabilities(k: Knowledge, offered: set[str], label: str) -> str:
    areas: dict[str, list[str]] = {}
    for name, tool in k.tools.items():
        if name in offered and tool.plugin not in ("session",):
            areas.setdefault(tool.plugin, []).append(tool.function.replace("_", " "))
    if not areas:
        return "I can't do anything in this session: no tools are available."
    lines = "\n".join(f"- {plugin}: {', '.join(verbs)}" for plugin, verbs in areas.items())
    first = next(name for name in k.tools if name in offered)
    body = (f"I work with this Azure ML workspace. Available tools, by area:\n{lines}\n\n"
            f"Try {_examples(k, offered)}, or name a tool: `/{first}`.")
    if label == phrasings.GREETING:
        return f"Hi! {body}"
    if label == phrasings.THANKS:
        return "You're welcome."
    if label == phrasings.OTHER:
        return f"I can't help with that. {body}"
    return body


def _examples(k: Knowledge, offered: set[str]) -> str:
    picked: list[str] = []
    for wanted in phrasings.SHOWCASE:
        tool = k.tools.get(wanted)
        if tool is not None and wanted in offered and tool.examples:
            picked.append(f"“{tool.examples[0]}”")
    if not picked:
        picked = [f"“{t.examples[0]}”" for name, t in k.tools.items() if name in offered and t.examples][:3]
    return ", ".join(picked) if picked else "a request"


def label(tool: Tool) -> str:
    verb = _VERBS.get(tool.verb, tool.function.replace("_", " "))
    plural = tool.function == "list"
    return f"{verb} {noun(tool.name, 2 if plural else 1)}"


def ask_which_tool(tools: list[Tool]) -> str:
    if len(tools) == 1:
        return f"Do you want me to {label(tools[0])}?"
    return f"Do you want me to {label(tools[0])} or {label(tools[1])}?"


def ask_missing(tool: Tool, missing: list[str], options: dict[str, list[str]], verb: str | None = None) -> str:
    """One question for what is missing; ``verb`` is the user's own ("scale"), else the tool's."""
    if len(missing) > 1:
        wanted = [p.replace("_", " ") for p in missing]
        return f"To {verb or label(tool)}, what {', '.join(wanted[:-1])} and {wanted[-1]} should I use?"
    param = tool.param(missing[0])
    choices = [str(o) for o in options.get(missing[0]) or []]
    if param is tool.primary:
        return _which_resource(tool, choices, verb)
    if param is not None and "tool name" in param.description.lower():
        return f"Which action do you mean? Name it like a tool, e.g. {tool.plugin}-{tool.function} or compute-create?"
    if param is not None and param.enum:
        return f"Which {param.name.replace('_', ' ')}: {_or(choices or list(param.enum))}?"
    if param is not None and param.is_path:
        return f"Which local file or folder (or URI) should I use for the {param.name.replace('_', ' ')}?"
    return f"What {missing[0].replace('_', ' ')} should I use?"


def _which_resource(tool: Tool, choices: list[str], verb: str | None = None) -> str:
    thing = noun(tool.name)
    verb = verb or tool.function.replace("_", " ")
    if tool.principal_kind:
        return "Who do you mean (a user name or email)?"
    if tool.function.startswith("create"):
        return f"What should I call the new {thing}?"
    if not choices:
        return f"There is no {thing} in this workspace yet, so there is nothing to {verb}."
    if tool.destructive:
        return f"Which {thing} should I {verb}? I never guess deletions: type its name ({_or(choices)})?"
    return f"Which {thing} should I {verb}: {_or(choices)}?"


def confirm_destructive(tool: Tool, name: str | None) -> str:
    verb = tool.function.replace("_", " ")
    target = f"{noun(tool.name)} {name}" if name else f"a {noun(tool.name)}"
    return f"Do you want me to {verb} {target}? I only do that when asked plainly: say “{verb} {name or '<name>'}”."


def unclear(clause: str) -> str:
    return f"I didn't understand “{clause}”, so I left it out."


def _or(choices: list[str]) -> str:
    shown = choices[:MAX_OPTIONS]
    more = f" (and {len(choices) - MAX_OPTIONS} more)" if len(choices) > MAX_OPTIONS else ""
    if len(shown) == 1:
        return shown[0] + more
    return f"{', '.join(shown[:-1])} or {shown[-1]}{more}"
