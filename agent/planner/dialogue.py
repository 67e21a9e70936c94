"""One user turn -> tool calls, a clarifying question, or an answer.

The flow, for the latest user message:

1. A sentence is split into clauses at "and"/"then"/","/";" when the next
   word starts a new request; each clause is planned in order, and "it" in a
   later clause means what an earlier one named.
2. A clause's intent is the best-scoring tool, with a boost for tools whose
   resource kind the user named by an existing name ("diabetes-training" is a
   data asset). Greetings, help and out-of-scope requests get the capability
   list; a low or close score gets a question instead of an action.
3. Arguments come from ``extract``. Missing required ones make ONE question
   listing the valid options from the workspace. A destructive tool needs its
   verb and the resource's name in the user's own words; it is never guessed.
4. The next turn fills the question's slot. The pending question is not kept
   in memory: the previous turn is planned again from the history (the
   planner is deterministic), so a resumed session continues the same way.

When the turn's tool results are back, the answer is rendered from them, and
a question left over from a later clause is asked after them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.planner import phrasings
from agent.planner.chains import source_for, value_from
from agent.planner.extract import Context, Extraction, extract, typed
from agent.planner.intents import ranked
from agent.planner.knowledge import Knowledge
from agent.planner.lexicon import STOPWORDS, stem, tokenize
from agent.planner.references import PATH_MENTION, Mention, WorkspaceView
from agent.planner.scoring import deletion_said, names_in, rank
from agent.planner.spans import Reading
from agent.planner.toolinfo import Tool, param_kind
from agent.planner.turns import Turn, mentions_in
from agent.planner.words import ask_missing, ask_which_tool, capabilities, confirm_destructive, unclear

# Below LOW nothing is understood; a change needs CONFIDENT (a read only LOW: showing is harmless);
# two tools closer than MARGIN make a question.
LOW, CONFIDENT, MARGIN = 0.3, 0.38, 0.05
MAX_CHAIN = 2  # questions in a row about one request
HINT = "_hint"  # an aside: a deletion hinted at, not asked for


@dataclass
class Frame:
    """A request waiting for the user's answer to a question."""

    clause: str
    tool: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    candidates: tuple[str, ...] = ()
    rest: list[str] = field(default_factory=list)


@dataclass
class Plan:
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    text: str = ""                  # said instead of calling (or after the results, when there are calls)
    ask: Frame | None = None
    chained: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # calls completed by a result
    aside: str = ""                 # small talk or not understood (a pseudo-intent): nothing to do here


class Dialogue:
    def __init__(self, knowledge: Knowledge, offered: set[str], workspace: WorkspaceView, user: str = "") -> None:
        self.k = knowledge
        self.offered = {name for name in offered if name in knowledge.tools}
        self.labels = self.offered | set(phrasings.PSEUDO_INTENTS)
        self.workspace = workspace
        self.user = user

    # -- turns -------------------------------------------------------------------

    def plan_turn(self, turns: list[Turn], index: int, depth: int = MAX_CHAIN) -> Plan:
        frame = self._pending(turns, index, depth)
        ctx = Context(self.k, self.workspace, self.user, mentions_in(turns[:index], self.k.tools), turns[index].results,
                      said=turns[index].text)
        text = turns[index].text
        if frame is not None:
            continued = self._continue(frame, text, ctx)
            if continued is not None:
                return continued
        return self.plan_text(text, ctx)

    def _pending(self, turns: list[Turn], index: int, depth: int) -> Frame | None:
        if index == 0 or depth == 0 or not turns[index - 1].reply.rstrip().endswith("?"):
            return None  # every question the planner asks ends its reply with "?"
        return self.plan_turn(turns, index - 1, depth - 1).ask

    def plan_text(self, text: str, ctx: Context) -> Plan:
        """Each clause in order; a question stops there (the rest waits for the answer), an aside is skipped."""
        plan, asides = Plan(), []
        clauses = [part for clause in split_clauses(text) for part in self._gapped(clause)]
        mentioned = len(ctx.mentions)
        for number, clause in enumerate(clauses):
            # "register ./v3 as diabetes and archive version 1": a later clause that names nothing means
            # what an earlier clause of this sentence named.
            ctx.implicit = len(ctx.mentions) > mentioned
            outcome = self.plan_clause(clause, ctx)
            plan.calls.extend(outcome.calls)
            plan.chained.extend(outcome.chained)
            self._remember(outcome.calls, ctx)
            if outcome.ask is not None or (outcome.text and not outcome.aside):
                plan.text, plan.ask = outcome.text, outcome.ask
                if plan.ask is not None:
                    plan.ask.rest = clauses[number + 1:]
                return plan
            if outcome.aside:
                asides.append((clause, outcome))
                self._remember_names(clause, ctx)  # "ci-alice isn't needed anymore, get rid of it"
        if asides and not plan.calls:
            plan.text = next((a.text for _, a in asides if a.aside == HINT), asides[0][1].text)
        else:  # "hi, list my clusters": the greeting needs no remark; what wasn't understood does
            plan.text = " ".join(unclear(clause) for clause, aside in asides if aside.aside == phrasings.OTHER)
        return plan

    def _gapped(self, clause: str) -> list[str]:
        """'grant Reader to gina@x.com and Contributor to hank@x.com': the verb is said once for both."""
        reading = self.k.read(clause)
        valued = [i for i, span in enumerate(reading.owner) if span is not None and span.kind in _OBJECT_SPANS]
        if not valued or self._takes_pairs(reading):
            return [clause]
        verb = next((i for i, w in enumerate(reading.words[:min(valued)]) if w in phrasings.ACTION_VERBS
                     and w not in phrasings.QUESTION_WORDS), None)
        if verb is None:
            return [clause]
        for i, token in enumerate(reading.tokens):
            right = [j for j in valued if j > i]
            if token.low != "and" or reading.owner[i] is not None or not right or not any(j < i for j in valued):
                continue
            rest = clause[reading.tokens[i + 1].start:].strip() if i + 1 < len(reading.tokens) else ""
            if not rest or _starts_request(tokenize(rest), 0):
                return [clause]  # a verb of its own: split_clauses did that already
            first_value = min(j for j, span in enumerate(reading.owner) if span is not None and not span.weak)
            head = clause[reading.tokens[verb].start:reading.tokens[first_value].start].strip()
            head = " ".join(w for w in head.split() if w.lower() not in ("both", "either"))
            return [clause[:token.start].strip(" ,"), f"{head} {rest}"]
        return [clause]

    def _takes_pairs(self, reading: Reading) -> bool:
        """'on diabetes-train and diabetes-test': the likeliest tool takes two names of one kind (train and
        test data), so "and" joins its arguments rather than two requests."""
        scores = self.k.index.score(self.k.features(reading), self.offered)
        if not scores:
            return False
        tool = self.k.tools[ranked(scores)[0][0]]
        kinds = [param_kind(p) for p in tool.params if p.required and p.type == "string"]
        return any(kinds.count(kind) >= 2 for kind in set(kinds) - {None})

    def _remember_names(self, clause: str, ctx: Context) -> None:
        """Existing resources and people a clause named without asking anything of them, for a later
        "it" or "her"; and its paths ("the folder is models/x. Register it as y")."""
        reading = self.k.read(clause)
        kinds = {t.kind for t in self.k.tools.values() if t.primary is not None and not t.principal_kind}
        for token in names_in(reading, self.k, joined=False):
            for kind in sorted(self.workspace.kinds_of(token, kinds)):
                ctx.mentions.append(Mention(kind, token))
        for kind in {t.kind for t in self.k.tools.values() if t.principal_kind}:
            for principal in self.workspace.names(kind):
                if {principal.lower(), principal.lower().split("@")[0]} & {t.low for t in reading.tokens}:
                    ctx.mentions.append(Mention(kind, principal))
        ctx.mentions.extend(Mention(PATH_MENTION, str(span.value)) for span in reading.of("path"))

    def _remember(self, calls: list[tuple[str, dict]], ctx: Context) -> None:
        for name, arguments in calls:
            tool = self.k.tools[name]
            if tool.primary is not None and isinstance(arguments.get(tool.primary.name), str) and not tool.principal_kind:
                ctx.mentions.append(Mention(tool.kind, arguments[tool.primary.name]))

    # -- one clause --------------------------------------------------------------

    def plan_clause(self, clause: str, ctx: Context, forced: str | None = None, preset: dict | None = None) -> Plan:
        reading = self.k.read(clause)
        if forced is None:
            chosen = self.intent(reading, ctx)
            if isinstance(chosen, Plan):
                return chosen
            forced = chosen
        tool = self.k.tools[forced]
        if tool.destructive and not _destructive_verb(tool, reading):
            return Plan(text=confirm_destructive(tool, _any_name(reading)))
        found = extract(tool, reading, ctx if not tool.destructive else self._typed_only(ctx), preset)
        if tool.destructive and ctx.said:
            whole = self.k.read(ctx.said)  # a name typed anywhere in the message is the user's own word
            found.explicit |= {k for k, v in found.args.items() if typed(v, whole, self.user)}
        first = self._chain(tool, found, reading, ctx)
        if first is not None:
            return first
        return self._decide(tool, found, clause)

    def _typed_only(self, ctx: Context) -> Context:
        """For a deletion, "it" may only mean a resource named in the user's own message."""
        said = {t.low for t in self.k.read(ctx.said).tokens} if ctx.said else set()
        mentions = [m for m in ctx.mentions if {m.name.lower(), m.name.lower().split("@")[0]} & said]
        return Context(self.k, self.workspace, self.user, mentions, ctx.results, ctx.implicit, ctx.said)

    def _chain(self, tool: Tool, found: Extraction, reading: Reading, ctx: Context) -> Plan | None:
        """'register the best model as x': the path comes from the tool that knows the best model."""
        paths = [m for m in found.missing if (p := tool.param(m)) is not None and p.takes_uri]
        source = source_for(self.k, reading, self.offered) if paths else None
        if source is None:
            return None
        value = value_from(ctx.results, source.name, tool.param(paths[0]))
        if value is not None:
            found.args[paths[0]] = value
            found.missing.remove(paths[0])
            plan = self._decide(tool, found, reading.text)
            plan.chained = list(plan.calls)
            return plan
        if any(r.get("name") == source.name for r in ctx.results):
            return None  # it answered without a value: ask the user instead
        first = extract(source, self.k.read(""), ctx)  # its own subject only from the conversation
        if first.missing and source.primary is not None and (latest := self.workspace.latest(source.kind)):
            first.args[source.primary.name] = latest
            first.missing.remove(source.primary.name)
        return None if first.missing else Plan(calls=[(source.name, first.args)])

    def _decide(self, tool: Tool, found: Extraction, clause: str) -> Plan:
        primary = tool.primary
        if tool.destructive and primary is not None and primary.name in found.args and primary.name not in found.explicit:
            found.missing.insert(0, primary.name)
            del found.args[primary.name]
        if found.missing:
            options = {m: found.options.get(m) or self._options(tool, m) for m in found.missing}
            text = ask_missing(tool, found.missing, options, _users_verb(tool, clause, self.k))
            if text.endswith("?"):
                return Plan(text=text, ask=Frame(clause, tool.name, found.args, found.missing))
            return Plan(text=text)
        return Plan(calls=[(tool.name, found.args)])

    def _options(self, tool: Tool, param: str) -> list[str]:
        if tool.primary is not None and tool.primary.name == param and not tool.function.startswith("create"):
            return self.workspace.names(tool.kind)
        spec = tool.param(param)
        return list(spec.enum) if spec is not None else []

    def intent(self, reading: Reading, ctx: Context) -> str | Plan:
        """The tool meant, or a Plan that answers instead (capabilities, or a question between two tools)."""
        ranking, evidence = rank(self.k, reading, self.labels, self.workspace, ctx.mentions, ctx.implicit)
        (top, score), runner = ranking[0], (ranking[1] if len(ranking) > 1 else ("", 0.0))
        unsaid = evidence.unsaid_deletion(ranking, max(score, CONFIDENT))
        if unsaid is not None:  # "I don't need cpu-cluster anymore": say how to ask for it, don't act
            return Plan(text=confirm_destructive(self.k.tools[unsaid], _any_name(reading)), aside=HINT)
        if top in phrasings.PSEUDO_INTENTS or score < LOW:
            label = top if score >= LOW else phrasings.OTHER
            return Plan(text=capabilities(self.k, self.offered, label), aside=label)
        close = score - runner[1] < MARGIN and runner[0] in self.offered and (
            evidence.viable(runner[0]) or not evidence.viable(top))
        unsure = score < CONFIDENT and self.k.tools[top].writes
        if unsure or close:
            pair = (top, runner[0]) if close else (top,)
            return Plan(text=ask_which_tool([self.k.tools[p] for p in pair]),
                        ask=Frame(reading.text, candidates=pair))
        return top

    # -- the answer to a question ------------------------------------------------

    def _continue(self, frame: Frame, text: str, ctx: Context) -> Plan | None:
        reading = self.k.read(text)
        words = [w for w in reading.words if w not in STOPWORDS]
        if words and len(words) <= 4 and all(w in phrasings.CANCEL_WORDS or w == "mind" for w in words):
            return Plan(text="OK, I won't do that.")
        if frame.candidates:
            if self._new_request(reading, frame, ctx):
                return None
            choice = self._choose(frame, reading)
            return self._with_rest(self.plan_clause(frame.clause, ctx, forced=choice), frame, ctx) if choice else None
        if self._new_request(reading, frame, ctx):
            return None
        tool = self.k.tools[frame.tool]
        found = extract(tool, reading, ctx if not tool.destructive else Context(self.k, self.workspace, self.user, []))
        said = set(found.args)  # what the answer says wins over what the question's turn guessed
        found.args = {**frame.args, **found.args}
        found.missing = [m for m in found.missing if m not in found.args]
        _bare_answer(found, tool, reading, frame)
        found.explicit |= said
        found.explicit |= {k for k in frame.args if k != (tool.primary.name if tool.primary else None)}
        found.explicit |= self._explicit_in(tool, frame.clause, found.args)
        return self._with_rest(self._decide(tool, found, frame.clause), frame, ctx)

    def _explicit_in(self, tool: Tool, clause: str, args: dict) -> set[str]:
        reading = self.k.read(clause)
        return {k for k, v in args.items() if isinstance(v, str) and any(t.low == v.lower() for t in reading.tokens)}

    def _with_rest(self, plan: Plan, frame: Frame, ctx: Context) -> Plan:
        if plan.ask is not None or not frame.rest:
            if plan.ask is not None:
                plan.ask.rest = frame.rest
            return plan
        self._remember(plan.calls, ctx)
        later = self.plan_text(" and ".join(frame.rest), ctx)
        return Plan(plan.calls + later.calls, later.text, later.ask, plan.chained + later.chained)

    def _choose(self, frame: Frame, reading: Reading) -> str | None:
        said = set(reading.words) - {"it", "that", "go", "ahead", "then"}
        if len(frame.candidates) == 1 and said and said <= phrasings.YES_WORDS:
            return frame.candidates[0]  # "Do you want me to create compute?" - "yes"
        ordinals = {"first": 0, "1": 0, "one": 0, "former": 0, "second": 1, "2": 1, "two": 1, "latter": 1, "last": 1}
        for word in reading.words:
            if word in ordinals and ordinals[word] < len(frame.candidates):
                return frame.candidates[ordinals[word]]
        named = [c for c in frame.candidates if set(self.k.tools[c].function.split("_")) & said]
        if len(named) == 1:
            return named[0]  # "polish it"
        scores = self.k.index.score(self.k.features(reading), frame.candidates)
        best = ranked(scores)[0] if scores else ("", 0.0)
        return best[0] if best[1] >= 0.2 else None

    def _new_request(self, reading: Reading, frame: Frame, ctx: Context) -> bool:
        """'sorry - I meant register x as y': a request of its own rather than an answer."""
        content = [w for w in reading.words if w not in STOPWORDS]
        verbs = [w for w in content[:4] if w in phrasings.ACTION_VERBS and w not in phrasings.QUESTION_WORDS]
        if len(content) < 2 or not (content[0] in phrasings.ACTION_VERBS or (verbs and len(content) >= 4)):
            return False
        chosen = self.intent(reading, ctx)
        return isinstance(chosen, str) and chosen != frame.tool


# -- helpers -------------------------------------------------------------------


def split_clauses(text: str) -> list[str]:
    """'create a cluster called a and register ./data as d' -> two clauses; 'a, low priority' stays one."""
    tokens = tokenize(text)
    cuts: list[tuple[int, int]] = []  # (end of the clause before, start of the next)
    for j in range(1, len(tokens)):
        gap = text[tokens[j - 1].end:tokens[j].start]
        joiner = tokens[j].low in ("and", "then", "also") and not tokens[j].quoted
        starts = _starts_request(tokens, j + 1 if joiner else j)
        if starts and (joiner or any(mark in gap for mark in ",;")) or (starts and ". " in gap):
            cuts.append((tokens[j - 1].end, tokens[j + 1].start if joiner and j + 1 < len(tokens) else tokens[j].start))
    clauses, start = [], 0
    for end, nxt in cuts:
        clauses.append(text[start:end])
        start = nxt
    clauses.append(text[start:])
    return [c.strip(" ,;.") for c in clauses if c.strip(" ,;.")]


_OBJECT_SPANS = ("name", "email", "path", "uri", "quoted", "ref")


def _starts_request(tokens: list, j: int) -> bool:
    while j < len(tokens) and tokens[j].low in ("then", "also", "please", "and"):
        j += 1
    return j < len(tokens) and tokens[j].low in phrasings.ACTION_VERBS and not tokens[j].quoted


def _destructive_verb(tool: Tool, reading: Reading) -> bool:
    return tool.verb in reading.words or deletion_said(reading.words)


def _users_verb(tool: Tool, clause: str, k: Knowledge) -> str | None:
    """The verb the user said for this tool ("scale"), to ask in their words."""
    verbs = k.verbs.get(tool.name, frozenset())
    for token in tokenize(clause):
        if token.is_word and token.low in phrasings.ACTION_VERBS and stem(token.low) in verbs and token.low not in ("make", "let"):
            return token.low
    return None


def _any_name(reading: Reading) -> str | None:
    names = [s.text for s in reading.of("name", "quoted")]
    return names[0] if names else None


def _bare_answer(found: Extraction, tool: Tool, reading: Reading, frame: Frame) -> None:
    """A one-word reply to "Which compute …?" is the value of the one thing asked for."""
    missing = [m for m in found.missing if m in frame.missing]
    if len(missing) != 1:
        return
    param = tool.param(missing[0])
    words = [t for t in reading.tokens if t.low not in STOPWORDS or t.quoted]
    if param is None or len(words) != 1 or not param.accepts(words[0].text):
        return
    found.args[param.name] = words[0].text
    found.missing.remove(param.name)
    found.explicit.add(param.name)
