"""Schema-driven argument extraction: recognised spans and cue words -> a tool's arguments.

Each parameter is filled by what its schema says it is: an enum takes an enum
span with one of its values; an integer takes a count, range end, duration or
percentage whose unit fits its name or description and whose value fits its
bounds; a path parameter takes a path or URI; a string with a name-like cue
in its own name (``account_name`` -> "account X") takes the word after the cue;
the resource's name takes, in order of trust, a quoted string, the word after
"called"/"named", after "as", a reference, a name the workspace knows, the
word after the kind noun ("cluster X"), a name-shaped token, then an unknown
word. References ("it", "my cluster", "the last job") come last, and every
value is checked against the parameter's constraints before it is used.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from agent.planner import phrasings
from agent.planner.lexicon import STOPWORDS, stem
from agent.planner.naming import default_name, kinded, leftovers, primary, references, sole_resources
from agent.planner.references import PATH_MENTION
from agent.planner.scoring import deletion_said
from agent.planner.slots import Context, Extraction, State
from agent.planner.spans import Reading, Span
from agent.planner.toolinfo import Param, Tool

__all__ = ["Context", "Extraction", "extract", "typed"]

_SKIP_AFTER_CUE = frozenset({"a", "an", "the", "it", "is", "be", "to", "my", "new", "=", ":"})
_QUANTIFIERS = frozenset({"all", "every", "each", "any", "some", "no", "last", "latest", "first", "new"})
_NEGATIONS = frozenset({"without", "no", "not", "exclude", "excluding", "except", "hide", "hiding", "skip"})


def extract(tool: Tool, reading: Reading, ctx: Context, preset: dict[str, Any] | None = None) -> Extraction:
    state = State(tool, reading, ctx, preset or {})
    for step in (_enums, _flags, _numbers, _paths, _refs, _versions, _tags, kinded, _cued, _action,
                 primary, leftovers, references, sole_resources, default_name):
        step(state)
    explicit = {name for name, value in state.args.items() if typed(value, reading, ctx.user)}
    missing = [p.name for p in tool.params if p.required and p.name not in state.args]
    return Extraction(state.args, explicit, missing, state.options)


def _typed(value: Any, reading: Reading) -> bool:
    """Whether the user typed a value: as it is, as a reference to it (x:2, x@latest), as the part of an
    email before the "@" ("bob"), or with spaces for its hyphens ("gpu cluster")."""
    return typed(value, reading)


def typed(value: Any, reading: Reading, user: str = "") -> bool:
    if not isinstance(value, str):
        return True
    low = value.lower()
    if any(t.low == low or t.low.startswith((f"{low}:", f"{low}@")) for t in reading.tokens):
        return True
    if "@" in low and low.split("@")[0] in {t.low for t in reading.tokens}:
        return True
    if low == user.lower() and re.search(r"\b(my own|myself|me)\b", reading.text.lower()):
        return True  # "take away my own Owner role": the user named themselves
    return "-" in low and low.replace("-", " ") in " ".join(reading.words)


# -- enums, flags, numbers ---------------------------------------------------


def _enums(s: State) -> None:
    for param in (p for p in s.tool.params if p.enum and s.unfilled(p)):
        for span in s.r.of("enum"):
            values = [v for v in span.value if v in param.enum]
            if len(values) == 1 and s.span_free(span) and not (span.weak and values[0] == param.default):
                s.put(param, values[0], *range(span.start, span.end))
                break
        if s.unfilled(param) and param.required:
            _partial_enum(s, param)


def _partial_enum(s: State, param: Param) -> None:
    """A required enum said by part of its words ("scientist" -> "AzureML Data Scientist")."""
    free = {stem(w) for i, w in enumerate(s.r.words) if i not in s.used and w not in STOPWORDS}
    best: list[tuple[float, str]] = []
    for value in param.enum:
        words = [stem(w) for w in re.split(r"[_\s]+", value.lower()) if w not in phrasings.ENUM_NOISE]
        hits = sum(w in free for w in words)
        if hits:
            best.append((hits / len(words), value))
    best.sort(reverse=True)
    if best and best[0][0] >= 0.5 and (len(best) == 1 or best[1][0] < best[0][0]):
        s.put(param, best[0][1])


def _flags(s: State) -> None:
    for param in (p for p in s.tool.params if p.type == "boolean" and s.unfilled(p)):
        keys = {stem(part) for part in param.name.split("_") if part not in ("include", "is", "use", "enable", "only")}
        for i, word in enumerate(s.r.words):
            if stem(word) in keys and i not in s.used:
                value = not any(w in _NEGATIONS for w in s.r.words[max(0, i - 4):i])  # "not the azure curated ones"
                if value != param.default:
                    s.put(param, value, i)
                break


def _numbers(s: State) -> None:
    ints = [p for p in s.tool.params if p.type in ("integer", "number") and not p.enum]
    for span in s.r.of("duration"):
        for param in (p for p in ints if p.unit_seconds and s.unfilled(p)):
            if s.put(param, _as_type(param, span.value / param.unit_seconds), *range(span.start, span.end)):
                break
    for span in s.r.of("percent"):
        for param in (p for p in ints if p.is_percent and s.unfilled(p)):
            value = span.value / 100 if (param.maximum or 100) <= 1 else span.value
            if s.put(param, _as_type(param, value), *range(span.start, span.end)):
                break
    counts = [p for p in ints if not p.unit_seconds and not p.is_percent]
    for span in s.r.of("range"):
        _range(s, span, [p for p in counts if _unit_fits(p, span.unit)])
    for span in s.r.of("count"):
        _count(s, span, [p for p in counts if s.unfilled(p) and _unit_fits(p, span.unit)])


def _as_type(param: Param, value: float) -> Any:
    return int(round(value)) if param.type == "integer" else value


def _unit_fits(param: Param, unit: str | None) -> bool:
    if unit is None:
        return True
    words = param.parts | {stem(w) for w in re.findall(r"[a-z]+", param.description.lower())}
    return stem(unit) in words or any(stem(u) in words for u in phrasings.UNIT_SYNONYMS.get(unit, ()))


def _range(s: State, span: Span, params: list[Param]) -> None:
    low, high = span.value
    lows = [p for p in params if "min" in p.parts]
    highs = [p for p in params if "max" in p.parts]
    if lows and highs:
        s.put(lows[0], _as_type(lows[0], low), *range(span.start, span.end))
        s.put(highs[0], _as_type(highs[0], high), *range(span.start, span.end))


def _count(s: State, span: Span, params: list[Param]) -> None:
    value = span.value
    cue = span.cue or _cue_word(s, params)
    ordered = sorted(params, key=lambda p: (0 if cue in p.parts else 1 if "max" in p.parts else 2))
    if cue == "to" or cue is None:
        ordered = sorted(params, key=lambda p: (0 if "max" in p.parts else 1))
    for param in ordered:
        if s.put(param, _as_type(param, value), *range(span.start, span.end)):
            return


def _cue_word(s: State, params: list[Param]) -> str | None:
    """'raise max nodes on x to 2': a parameter's own word elsewhere in the text says which one."""
    words = {stem(w) for w in s.r.words}
    for part in ("max", "min"):
        if part in words or (part == "max" and "maximum" in s.r.words) or (part == "min" and "minimum" in s.r.words):
            return part
    return None


# -- paths, references, versions, tags, cue words ------------------------------


def _paths(s: State) -> None:
    params = [p for p in s.tool.params if p.is_path and p is not s.tool.primary]
    _folder_phrases(s, params)
    for span in s.r.of("path", "uri"):
        if not s.span_free(span):
            continue
        before = set(s.r.words[max(0, span.start - 3):span.start])
        chosen = next((p for p in params if s.unfilled(p) and before & set(p.cues)), None)
        chosen = chosen or next((p for p in params if s.unfilled(p)), None)
        if chosen is not None:
            s.put(chosen, span.value, span.start)
    said_paths = [m.name for m in s.ctx.mentions if m.kind == PATH_MENTION]
    if params and s.unfilled(params[0]) and said_paths and set(s.r.words) & {"it", "that", "this"}:
        s.put(params[0], said_paths[-1])  # "the MLflow folder is models/x. Register it as y"


def _folder_phrases(s: State, params: list[Param]) -> None:
    """'the diabetes folder here', 'the scans folder under incoming': a folder that exists where we run."""
    words = s.r.words
    for i, word in enumerate(words):
        if word not in ("folder", "directory", "dir", "file") or i == 0 or not params or not s.unfilled(params[0]):
            continue
        name = s.r.tokens[i - 1].text
        parent = s.r.tokens[i + 2].text if i + 2 < len(words) and words[i + 1] in ("under", "in", "inside") else ""
        candidate = f"{parent}/{name}" if parent else name
        if s.r.owner[i - 1] is None and name.lower() not in STOPWORDS and Path(candidate).exists():
            s.put(params[0], candidate, i - 1)


def _refs(s: State) -> None:
    primary, version = s.tool.primary, s.tool.param("version")
    for span in s.r.of("ref"):
        if primary is None or not s.unfilled(primary) or not s.span_free(span):
            continue
        name, ref_version = span.value
        if version is not None and s.put(primary, name, span.start):
            s.put(version, ref_version.lower() if ref_version else None, span.start)
        else:
            s.put(primary, span.text, span.start)


def _versions(s: State) -> None:
    """'version 2' -> version, or the one <thing>_version a tool has ("model credit version 2" -> model_version)."""
    version = s.tool.param("version") or next((p for p in s.tool.params if p.name.endswith("_version")), None)
    for span in s.r.of("version"):
        if version is not None and s.span_free(span) and s.put(version, str(span.value), *range(span.start, span.end)):
            return


def _tags(s: State) -> None:
    param = next((p for p in s.tool.params if p.type == "object"), None)
    pairs = {span.value[0]: span.value[1] for span in s.r.of("kv")}
    if param is not None and pairs:
        s.put(param, pairs, *(span.start for span in s.r.of("kv")))


def _cued(s: State) -> None:
    """Strings whose own name gives the cue: 'account mystorage', 'container raw', 'image python:3.11'."""
    verbs = set(s.tool.function.split("_"))  # "download X": the verb is no cue for download_path
    for param in s.tool.params:
        cues = set(param.cues) - verbs
        if param.type != "string" or param.enum or not s.unfilled(param) or param is s.tool.primary or not cues:
            continue
        for i, word in enumerate(s.r.words):
            if word in cues:
                # "image python:3.11", or "the python:3.11-slim image"; a secret may look like a=b&c=d
                j = _next_value(s, i + 1, param.secret)
                j = j if j is not None else _value_before(s, i)
                span = s.r.owner[j] if j is not None else None
                if param.is_path and not (span is not None and span.kind in ("path", "uri", "quoted")):
                    continue  # a path parameter takes a path
                if param.secret and j is not None and not _secret_shaped(s.r.tokens[j].text):
                    continue  # "no key needed": "needed" is no key
                if j is not None and s.put(param, s.r.tokens[j].text, j):
                    break


def _next_value(s: State, j: int, secret: bool = False) -> int | None:
    """The value after a cue word ("account acme"): a name-like token, not a filler ("version of")."""
    while j < len(s.r.tokens) and s.r.words[j] in _SKIP_AFTER_CUE | {"account", "container", "key", "token", "called", "named"}:
        j += 1
    if j >= len(s.r.tokens) or j in s.used:
        return None
    token, span = s.r.tokens[j], s.r.owner[j]
    if token.quoted or (span is not None and span.kind in ("name", "ref", "path", "uri") + (("kv",) if secret else ())):
        return j
    word = s.r.words[j]
    ordinary = word in STOPWORDS or word in _QUANTIFIERS or word in phrasings.ACTION_VERBS or stem(word) in s.nouns
    technical = any(c in token.text for c in "/:.@_-")  # "nvidia/cuda:12.0-base"
    return j if span is None and (token.low.isalnum() or technical) and not ordinary else None


def _secret_shaped(text: str) -> bool:
    return len(text) >= 12 and not text.isalpha()


def _value_before(s: State, i: int) -> int | None:
    """'the python:3.11-slim image': a technical token right before the cue word."""
    j = i - 1
    if j < 0 or j in s.used:
        return None
    span = s.r.owner[j]
    technical = any(c in s.r.tokens[j].text for c in "/:.@_-")
    return j if technical and (span is None or span.kind in ("name", "ref", "path", "uri")) else None


def _action(s: State) -> None:
    """A parameter that names a tool or an Azure action ("who can deploy here?")."""
    param = next((p for p in s.tool.params if "tool name" in p.description.lower() and s.unfilled(p)), None)
    if param is None:
        return
    for i, word in enumerate(s.r.words):
        if word in phrasings.ACTION_WORDS:
            s.put(param, phrasings.ACTION_WORDS[word], i)
            return
    tool = _tool_named_by_words(s) or _azure_action(s)
    if tool is not None:
        s.put(param, tool)


def _tool_named_by_words(s: State) -> str | None:
    """'create compute' -> compute-create: a kind noun of the text, and a verb of the text that tool uses."""
    nouns = s.ctx.knowledge.nouns()
    kinds = {nouns.get(w) or nouns.get(stem(w)) for w in s.r.words} - {None, s.tool.plugin}
    said = {stem(w) for w in s.r.words} | set(s.r.words)
    best: tuple[float, str] | None = None
    for tool in s.ctx.knowledge.tools.values():
        if tool.plugin not in kinds:
            continue
        score = 2.0 if stem(tool.verb) in said else 1.0 if said & s.ctx.knowledge.verbs.get(tool.name, frozenset()) else 0.0
        if tool.destructive and deletion_said(s.r.words):
            score = max(score, 2.0)
        score += 0.5 if score and tool.writes else 0.0  # a permission question is about changing things
        if score and (best is None or score > best[0]):
            best = (score, tool.name)
    return best[1] if best else None


def _azure_action(s: State) -> str | None:
    """'delete data' with no deleting tool: the kind's own Azure action (…/data/delete)."""
    nouns = s.ctx.knowledge.nouns()
    kinds = [nouns.get(w) or nouns.get(stem(w)) for w in s.r.words]
    kind = next((k for k in kinds if k and k != s.tool.plugin), None)
    permission = next((t.permission for t in s.ctx.knowledge.tools.values() if t.plugin == kind and t.permission), None)
    if permission is None or permission.count("/") < 3:
        return None
    said = set(s.r.words)
    verb = "delete" if deletion_said(s.r.words) else "write" if said & phrasings.ACTION_VERBS - {"who", "what", "which"} else "read"
    return f"{permission.rsplit('/', 1)[0]}/{verb}"


