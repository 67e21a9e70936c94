"""The resource's name, and other names: what "called X", "as X", a known name, "it",
"my cluster" or "the last job" fill, in order of trust. Every value is checked
against the parameter's constraints, except a name the user plainly introduced
("called a"), which is passed on for the tool to refuse with its own reason.
"""

from __future__ import annotations

import re

from agent.planner import phrasings
from agent.planner.knowledge import close_to
from agent.planner.lexicon import PRONOUNS, STOPWORDS, stem
from agent.planner.references import SCOPED_KINDS, last_mention
from agent.planner.scoring import joined_words, names_in
from agent.planner.slots import State
from agent.planner.toolinfo import Param, param_kind

NAME_CUES = ("called", "named", "name", "call")
SAID_NAME = 90  # trust of a name the user introduced ("called X", or quoted)
_TARGET_WORDS = frozenset({"to", "for", "on", "onto", "into", "from"})
PERSON_PRONOUNS = frozenset({"him", "her", "his", "them", "their"})
PRINCIPAL_CUES = frozenset({"make", "give", "grant", "to", "from", "let", "allow", "for", "does", "can", "user", "add",
                            "assign", "is", "has", "did", "should"})


def kinded(s: State) -> None:
    """Parameters named after a kind take that kind's names: compute <- cpu-cluster, training_data <- diabetes."""
    for param in s.tool.params:
        kind = param_kind(param) or scoped_kind(s, param)
        if kind is None or param is s.tool.primary or param.type != "string" or param.enum or not s.unfilled(param):
            continue
        known = {n.lower(): n for n in s.ctx.workspace.names(kind)}
        for span in s.r.of("ref"):
            if span.value[0].lower() in known and s.span_free(span) and s.put(param, span.text, span.start):
                break
        for t in s.r.tokens:
            if s.unfilled(param) and t.index not in s.used and t.low in known:
                s.put(param, known[t.low], t.index)
        if s.unfilled(param) and set(s.r.words) & phrasings.LATEST_WORDS and set(s.r.words) & _nouns_of(s, kind):
            latest = s.ctx.workspace.latest(kind)  # "schedule the last job daily"
            if latest is not None:
                s.put(param, latest)


def _nouns_of(s: State, kind: str) -> set[str]:
    return {noun for noun, plugin in s.ctx.knowledge.nouns().items() if plugin == kind}


def primary(s: State) -> None:
    param = s.tool.primary
    if param is None or not s.unfilled(param):
        return
    candidates = _principal_candidates(s) if s.tool.principal_kind else _name_candidates(s, param)
    # An optional name of something new ("name for the new job") only comes from "called X"/"as X"/"job X";
    # so does a new resource's name (an unknown word isn't one); and "it" beats an unknown word.
    creates = s.tool.function.startswith("create")
    referred = bool(set(s.r.words) & PRONOUNS) and last_mention(s.ctx.mentions, {s.tool.kind}) is not None
    floor = 50 if creates else 40 if (referred or not param.required) else 20
    if not creates and s.tool.kind in phrasings.SOLE_RESOURCE_KINDS and len(s.ctx.workspace.names(s.tool.kind)) == 1:
        floor = max(floor, 40)  # "errors went up, roll back": the one endpoint, not the unknown word "went"
    for trust, index, value in sorted(candidates, key=lambda c: (-c[0], c[1])):
        if trust >= floor and s.put(param, value, index):
            return
        if trust >= SAID_NAME:
            # The user said "called a": pass it on even if invalid, so the tool says why,
            # rather than quietly naming the thing something else.
            s.args[param.name] = value
            s.used.add(index)
            return


def leftovers(s: State) -> None:
    """Other required strings ("to green" for a deployment) take the name-like words nobody used:
    a name-shaped or known one, or a plain unknown word right after "to"/"for"/"on"."""
    for param in s.tool.params:
        if param.type != "string" or param.enum or not param.required or not s.unfilled(param) or param.is_path:
            continue
        if param is s.tool.primary or "tool name" in param.description.lower():
            continue
        cues = _TARGET_WORDS | _described_cues(param)  # "predicting Diabetic" for "The column to predict"
        candidates = [c for c in _name_candidates(s, param) if c[1] not in s.used and (
            c[0] >= 40 or (c[0] >= 20 and c[1] > 0 and (s.r.words[c[1] - 1] in cues or stem(s.r.words[c[1] - 1]) in cues)))]
        for _, index, value in sorted(candidates, key=lambda c: (-c[0], c[1])):
            if s.put(param, value, index):
                break


def _described_cues(param: Param) -> frozenset[str]:
    return frozenset(stem(w) for w in re.findall(r"[a-z]+", param.description.lower()) if len(w) > 4 and w not in STOPWORDS)


def _name_candidates(s: State, param: Param) -> list[tuple[int, int, str]]:
    r, found = s.r, []
    # Listing the workspace costs milliseconds: only when some word could be a name at all.
    # Deployments are named with plain words ("blue", "green"), so their names are always looked up.
    maybe = bool(names_in(r, s.ctx.knowledge)) or s.tool.kind in SCOPED_KINDS
    known = {n.lower(): n for n in s.ctx.workspace.names(s.tool.kind)} if maybe else {}
    for t in r.tokens:
        i, span = t.index, r.owner[t.index]
        if i in s.used or (span is not None and span.kind not in ("name", "quoted")):
            continue
        before = r.words[i - 1] if i else ""
        if t.quoted:
            found.append((100, i, t.text))
        elif t.low in STOPWORDS and not _article_as_name(r, i):
            continue  # "call it X": "it" is no name
        elif before in NAME_CUES or (i >= 2 and r.words[i - 2] in NAME_CUES and before == "it"):
            found.append((90, i, t.text))
        elif before == "as" and s.tool.writes and t.low not in s.nouns and (span is not None or _unknown(s, t.low)):
            found.append((80, i, t.text))  # "as sales", not "as before"
        elif t.low in known:
            found.append((60, i, known[t.low]))
        elif before in s.nouns and (span is not None or _unknown(s, t.low)):
            found.append((50, i, t.text))
        elif span is not None:
            matches = close_to(t.text, known.values()) if not s.tool.writes else []
            found.append((55, i, matches[0]) if len(matches) == 1 else (40, i, t.text))
        elif _unknown(s, t.low) and t.low not in s.nouns:
            found.append((20, i, t.text))
    for joined in joined_words(r):  # "my gpu cluster" -> gpu-cluster
        if joined in known:
            found.append((60, r.words.index(joined.split("-")[0]), known[joined]))
    return found


def _article_as_name(r, i: int) -> bool:
    """'a cluster called a': "a" ends the clause (or "and"/"with" follow), so it is the name."""
    following = r.words[i + 1] if i + 1 < len(r.words) else ""
    return r.words[i] in ("a", "an") and r.words[i - 1] in NAME_CUES and following in ("", "and", "with", "then")


def _unknown(s: State, word: str) -> bool:
    return word.isalnum() and word not in STOPWORDS and not s.ctx.knowledge.is_plain(word) and stem(word) not in s.nouns


def _principal_candidates(s: State) -> list[tuple[int, int, str]]:
    r, found = s.r, []
    known = {n.lower(): n for n in s.ctx.workspace.names(s.tool.kind)}
    # "bob" is bob@contoso.com when exactly one known principal is called that before the "@".
    local: dict[str, list[str]] = {}
    for low, name in known.items():
        local.setdefault(low.split("@")[0], []).append(name)
    known.update({part: names[0] for part, names in local.items() if len(names) == 1 and part not in known})
    for t in r.tokens:
        i, span = t.index, r.owner[t.index]
        if i in s.used or (span is not None and span.kind not in ("email", "name", "quoted")):
            continue
        if span is not None and span.kind == "email" or t.quoted:
            found.append((100, i, t.text))
        elif t.low in known:
            found.append((75, i, known[t.low]))
        elif _unknown(s, t.low) or span is not None:
            before = r.words[i - 1] if i else ""
            possessive = r.text[t.end:t.end + 2] in ("'s", "’s")
            found.append((70 if before in PRINCIPAL_CUES or possessive else 20, i, t.text))
    if _self_reference(s):
        found.append((65, -1, s.ctx.user))
    mention = last_mention(s.ctx.mentions, {s.tool.kind})
    if set(r.words) & PERSON_PRONOUNS and mention is not None:
        found.append((65, -1, mention.name))  # "revoke her access" after "alice left"
    return found


def _self_reference(s: State) -> bool:
    text = " ".join(s.r.words)
    return bool(re.search(r"\b(my (own )?(roles?|access|permissions?|owner|reader|contributor)|my own|can i|do i|am i|"
                          r"make me|grant me|give me)\b", text))


def references(s: State) -> None:
    """'it', 'that data', 'my cluster', 'the last job' for a resource the user didn't name.

    Only a required name is resolved this way: an optional one (a list's filter) stays unset.
    """
    param = s.tool.primary
    if param is None or not param.required or not s.unfilled(param) or s.tool.principal_kind:
        return
    words, kind = set(s.r.words), s.tool.kind
    said_noun = bool(words & s.nouns)
    mention = last_mention(s.ctx.mentions, {kind})
    if (words & PRONOUNS or s.ctx.implicit) and mention is not None and s.put(param, mention.name):
        return
    if said_noun and words & phrasings.LATEST_WORDS:
        latest = s.ctx.workspace.latest(kind)
        if latest and s.put(param, latest):
            return
    creates = s.tool.function.startswith("create")
    names = [] if creates else s.ctx.workspace.names(kind)
    if said_noun and len(names) == 1 and s.put(param, names[0]):
        return  # "my cluster" when there is one
    described = _described_one(s, names)
    if described is not None and s.put(param, described):
        return  # "the gpu pool": the one cluster whose name says gpu
    if not s.tool.writes and mention is not None and s.put(param, mention.name):
        return  # "show me the leaderboard" right after the AutoML run: of that run
    s.options[param.name] = names


def sole_resources(s: State) -> None:
    """'send 10% of traffic to green': with one endpoint in the workspace, that endpoint is meant.

    Only for the kinds ``phrasings.SOLE_RESOURCE_KINDS`` names (a workspace's endpoints are few and
    each request is about one), only for a change that is previewed and approved, never a deletion.
    """
    if s.tool.destructive:
        return
    for param in s.tool.params:
        kind = _container_kind(s, param)
        if kind is None or not param.required or not s.unfilled(param):
            continue
        names = s.ctx.workspace.names(kind)
        if len(names) == 1 and s.put(param, names[0]):
            s.options.pop(param.name, None)


def _container_kind(s: State, param: Param) -> str | None:
    if param is s.tool.primary:  # a create's primary is the new thing's name, never the existing one
        return s.tool.kind if s.tool.kind in phrasings.SOLE_RESOURCE_KINDS and not s.tool.function.startswith("create") else None
    kind = scoped_kind(s, param)
    return kind if kind in phrasings.SOLE_RESOURCE_KINDS else None


def scoped_kind(s: State, param: Param) -> str | None:
    """endpoint_name of an online_* tool names online_endpoints; of a batch_* tool, batch_endpoints."""
    template = phrasings.SCOPED_PARAMS.get(param.name)
    return template.format(family=s.tool.plugin.split("_")[0]) if template else None


def _described_one(s: State, names: list[str]) -> str | None:
    """The only resource whose name holds the word said just before the kind noun ("the gpu cluster")."""
    for i, word in enumerate(s.r.words[1:], 1):
        modifier = s.r.words[i - 1]
        if word in s.nouns and modifier not in STOPWORDS and len(modifier) > 1:
            holders = [n for n in names if modifier in re.split(r"[^a-z0-9]+", n.lower())]
            if len(holders) == 1:
                return holders[0]
    return None


def default_name(s: State) -> None:
    """A create tool that has a sensible default name takes it (the plan shows it before anything runs)."""
    param, rules = s.tool.primary, phrasings.DEFAULT_NAMES.get(s.tool.name)
    if param is None or not rules or not s.unfilled(param):
        return
    text = " ".join(s.r.words) + " " + str(s.args.get("size", "")).lower() + " " + str(s.args.get("type", ""))
    if any(word in text for word in phrasings.NO_DEFAULT_NAME_WHEN.get(s.tool.name, ())):
        return
    base = next((name for word, name in rules if not word or re.search(rf"\b{word}", text)), None)
    if base is None:
        return
    name, number = base, 2
    while s.ctx.workspace.has(s.tool.kind, name):
        name, number = f"{base}-{number}", number + 1
    if s.put(param, name):  # the answer says so once it's made (see agent.planner._picked_names)
        s.options.pop(param.name, None)
