"""The offline planner: plain requests -> tool calls, questions and answers, with no model.

``respond(messages, specs, offered, client, user)`` is the whole interface:
the chat history as plain dicts, the tools' declarations (``ToolSpec``), the
names of the tools offered this turn, the workspace client (for references)
and the acting user. It returns a ``Reply``: text, or tool calls to make in
order. It is deterministic and keeps no state between calls: everything it
needs is in the history and the workspace.

Modules:

- ``lexicon`` tokens, stems, spelling; ``spans`` typed values in a text;
- ``toolinfo`` a tool as the planner sees it; ``knowledge`` what is built once per tool set;
- ``intents`` the TF-IDF matcher; ``scoring`` the evidence that adjusts its scores;
- ``extract`` schema-driven arguments, ``naming`` the resource's name, ``slots`` their shared state;
- ``references`` the live workspace; ``turns`` the history; ``chains`` values only a tool knows;
- ``dialogue`` the flow of a turn; ``words`` and ``answer`` what it says; ``phrasings`` its English.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from agent.planner import phrasings
from agent.planner.answer import render
from agent.planner.chains import is_source
from agent.planner.dialogue import Dialogue, split_clauses
from agent.planner.knowledge import Knowledge, knowledge_for
from agent.planner.references import WorkspaceView
from agent.planner.turns import Turn, parse_turns
from agent.planner.words import capabilities

__all__ = ["Reply", "respond", "knowledge_for"]


@dataclass(frozen=True)
class Reply:
    text: str = ""
    calls: tuple[tuple[str, dict[str, Any]], ...] = ()

    @property
    def tool(self) -> str | None:
        return self.calls[0][0] if self.calls else None

    @property
    def arguments(self) -> dict[str, Any]:
        return self.calls[0][1] if self.calls else {}


def respond(messages: list[dict[str, Any]], specs: Iterable[Any], offered: Iterable[str], client: Any = None,
            user: str = "") -> Reply:
    knowledge = knowledge_for(specs)
    offered = set(offered)
    turns = parse_turns(messages)
    if not turns:
        return Reply(capabilities(knowledge, offered, phrasings.HELP))
    dialogue = Dialogue(knowledge, offered, WorkspaceView(client, user), user)
    current = turns[-1]
    if current.calls or current.results:
        return _answer(dialogue, knowledge, turns)
    plan = dialogue.plan_turn(turns, len(turns) - 1)
    if plan.calls:
        return Reply(calls=tuple((name, dict(args)) for name, args in plan.calls))
    return Reply(plan.text or capabilities(knowledge, offered, phrasings.HELP))


def _answer(dialogue: Dialogue, knowledge: Knowledge, turns: list[Turn]) -> Reply:
    """The turn's results, then what is still to do: a call a result completed ("the best model"),
    or a question left over (the turn is planned again: the planner keeps no state)."""
    current = turns[-1]
    results = [{**r, "arguments": _arguments_of(current, i, r["name"])} for i, r in enumerate(current.results)]
    text = render(results, _picked_names(knowledge, current))
    sources = any(is_source(knowledge.tools.get(name)) for name, _ in current.calls)
    if len(split_clauses(current.text)) <= len(current.calls) and not sources:
        return Reply(text)  # every request made its call: nothing was left to ask
    replayed = dialogue.plan_turn(turns, len(turns) - 1)
    follow_up = [call for call in replayed.chained if call not in current.calls]
    if follow_up:
        return Reply(calls=tuple(follow_up))
    if replayed.text and (replayed.ask is not None or len(replayed.calls) == len(current.calls)):
        text = f"{text}\n\n{replayed.text}"
    return Reply(text)


def _arguments_of(turn: Turn, index: int, name: str) -> dict[str, Any]:
    """The arguments of the call a result answers (results come back in the calls' order)."""
    if index < len(turn.calls) and turn.calls[index][0] == name:
        return turn.calls[index][1]
    return next((args for call, args in turn.calls if call == name), {})


def _picked_names(knowledge: Knowledge, turn: Turn) -> list[str]:
    """Names the planner chose itself (the user gave none), said once the change is made."""
    typed = turn.text.lower()
    notes = []
    for name, arguments in turn.calls:
        tool = knowledge.tools.get(name)
        if tool is None or tool.primary is None or name not in phrasings.DEFAULT_NAMES:
            continue
        value = arguments.get(tool.primary.name)
        if isinstance(value, str) and value.lower() not in typed:
            notes.append(f"you gave no name, so I named it {value}")
    return notes
