"""Values only a tool can tell: "register the best model as diabetes-model".

The path of "the best model" isn't in the user's words or in any list: a read
tool knows it (one whose name says "best" and the noun the user said, such as
``automl-best_model``). So the planner calls that tool first, and when its
result is back (the same user turn, next round) takes the value from it: the
first string in the result that the waiting parameter accepts and that is a
URI (``runs:/...``, ``azureml://...``). Only a value is taken from the result,
never an instruction, and the call it completes goes through approval as usual.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from agent.planner.knowledge import Knowledge
from agent.planner.lexicon import stem
from agent.planner.spans import Reading
from agent.planner.toolinfo import Param, Tool

_URI_PREFIXES = ("runs:/", "models:/", "azureml://", "https://", "http://")


def source_for(k: Knowledge, reading: Reading, offered: set[str]) -> Tool | None:
    """The read tool that says what "the best <noun>" is, when the user said it."""
    words = reading.words
    if "best" not in words or words.index("best") + 1 >= len(words):
        return None
    noun = stem(words[words.index("best") + 1])
    for tool in k.tools.values():
        parts = {stem(p) for p in tool.function.split("_")}
        if tool.name in offered and not tool.writes and "best" in parts and noun in parts:
            return tool
    return None


def is_source(tool: Tool | None) -> bool:
    return tool is not None and not tool.writes and "best" in tool.function.split("_")


def value_from(results: list[dict[str, Any]], source: str, param: Param) -> str | None:
    """The source's latest result this turn, searched for a URI the parameter accepts."""
    for result in reversed(results):
        if result.get("name") != source:
            continue
        try:
            data = json.loads(result.get("text") or "")
        except ValueError:
            return None  # an error or a sentence: nothing to take
        return next((s for s in _strings(data) if s.startswith(_URI_PREFIXES) and param.accepts(s)), None)
    return None


def _strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)
