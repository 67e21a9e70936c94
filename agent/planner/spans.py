"""Typed values in a request, found before the intent is known.

A ``Reading`` of the text holds its tokens (spelling-corrected for matching,
as typed for values) and the spans it recognised, in this order, each span
claiming its tokens so that later kinds don't reuse them: quoted strings,
URIs, paths and emails, references (``name:2``, ``name@latest``), enum values
of any tool (``DS3 v2``, ``low priority``), durations, percentages, versions,
counts and ranges (``0 to 4 nodes``, ``up to 4``), ``key=value`` tags, and
name-shaped tokens (``train-cluster``) and whatever follows "called"/"as".
The intent matcher sees spans as placeholders (``#path``, ``#name``, ``#num``);
the extractor assigns them to parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from agent.planner.lexicon import STOPWORDS, Token, number_of, tokenize
from agent.planner.phrasings import DURATION_UNITS, MAX_CUES, MIN_CUES, NOT_NAMES_AFTER_AS, UNIT_SYNONYMS

_URI = re.compile(r"^(azureml|https?|wasbs?|abfss?|adl|s3|gs|file)://\S+$|^(runs|models):/\S+$", re.I)
_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")
_REF = re.compile(r"^(?:azureml:)?([A-Za-z0-9][\w.\-]*?)(?::(\w[\w.\-]*)|@(latest))$", re.I)
_EXTENSIONS = (".csv", ".tsv", ".yml", ".yaml", ".json", ".jsonl", ".parquet", ".pkl", ".txt", ".py", ".onnx",
               ".pt", ".joblib", ".zip", ".png", ".jpg", ".md", ".mltable")
_DURATION_TOKEN = re.compile(r"^(\d+(?:\.\d+)?)(s|secs?|m|mins?|h|hrs?|d)$", re.I)
_PERCENT_TOKEN = re.compile(r"^(\d+(?:\.\d+)?)%$")
_FOLD_TOKEN = re.compile(r"^(\d+)-?(fold|folds)$", re.I)
_RANGE_TOKEN = re.compile(r"^(\d+)(?:-|\.\.|–)(\d+)$")
_VERSION_TOKEN = re.compile(r"^v(\d+(?:\.\d+)*)$", re.I)
_NAME_SHAPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*[A-Za-z0-9]$")
_KV = re.compile(r"^([A-Za-z_][\w.\-]*)=(.+)$")
UNIT_OF = {word: unit for unit, words in UNIT_SYNONYMS.items() for word in words}


@dataclass
class Span:
    kind: str          # quoted uri path email ref enum duration percent version count range kv name
    start: int         # token indexes, end exclusive
    end: int
    value: Any
    unit: str | None = None
    cue: str | None = None   # for counts: "max", "min" or "to"
    text: str = ""
    weak: bool = False       # an enum value that is also a plain noun here ("cluster", "instances")


@dataclass
class Reading:
    text: str
    tokens: list[Token]
    words: list[str]                       # lowercase, spelling-corrected
    spans: list[Span] = field(default_factory=list)
    owner: list[Span | None] = field(default_factory=list)

    def claim(self, span: Span) -> Span:
        """Record a span; a number may take its unit back from an enum ("10 minutes", "2 instances")."""
        taken = {id(self.owner[i]) for i in range(span.start, span.end) if self.owner[i] is not None}
        if taken:
            self.spans = [s for s in self.spans if id(s) not in taken]
        self.spans.append(span)
        for i in range(span.start, span.end):
            self.owner[i] = span
        return span

    def free(self, i: int) -> bool:
        return 0 <= i < len(self.tokens) and self.owner[i] is None

    def of(self, *kinds: str) -> list[Span]:
        return sorted((s for s in self.spans if s.kind in kinds), key=lambda s: s.start)

    def phrase_before(self, i: int, size: int = 3) -> str:
        return " ".join(self.words[max(0, i - size):i])


NAME_CUES = frozenset({"as", "called", "named", "name"})


def read(text: str, enums: "EnumTable | None" = None, correct: Any = None) -> Reading:
    tokens = tokenize(text)
    words = [correct(t.low) if correct and _correctable(tokens, i) else t.low for i, t in enumerate(tokens)]
    reading = Reading(text, tokens, words, [], [None] * len(tokens))
    for step in (_literals, _refs):
        step(reading)
    if enums is not None:
        enums.find(reading)
    for step in (_versions, _numbers, _names):
        step(reading)
    return reading


def _correctable(tokens: list[Token], i: int) -> bool:
    """Spelling is fixed for words, never for what follows "called"/"as" (that is a name)."""
    token = tokens[i]
    if token.quoted or (i and tokens[i - 1].low in NAME_CUES):
        return False
    return token.is_word or (token.low.count("-") == 1 and token.low.replace("-", "").isalpha())


def _literals(r: Reading) -> None:
    for t in r.tokens:
        if t.quoted:
            kind = "uri" if _URI.match(t.text) else "quoted"
        elif _URI.match(t.text):
            kind = "uri"
        elif _EMAIL.match(t.text):
            kind = "email"
        elif _is_path(t.text):
            kind = "path"
        elif _KV.match(t.text):
            key, value = _KV.match(t.text).groups()
            r.claim(Span("kv", t.index, t.index + 1, (key, value), text=t.text))
            continue
        else:
            continue
        r.claim(Span(kind, t.index, t.index + 1, t.text, text=t.text))


def _is_path(text: str) -> bool:
    if text.startswith(("./", "../", "~/", "/", ".\\")) or text in (".", ".."):
        return True
    if "/" in text and not text.startswith("http") and re.match(r"^[\w.~\-]+(/[\w.\-@]*)+$", text):
        return True
    return text.lower().endswith(_EXTENSIONS) and len(text) > 4


def _refs(r: Reading) -> None:
    for t in r.tokens:
        if not r.free(t.index) or t.quoted:
            continue
        match = _REF.match(t.text)
        if match and (":" in t.text or "@" in t.text):
            name, version, label = match.groups()
            r.claim(Span("ref", t.index, t.index + 1, (name, version or label), text=t.text))


# -- numbers -------------------------------------------------------------------


def _numbers(r: Reading) -> None:
    i = 0
    while i < len(r.tokens):
        span = r.free(i) and (_token_number(r, i) or _range(r, i) or _single(r, i))
        i = span.end if span else i + 1


def _token_number(r: Reading, i: int) -> Span | None:
    """Numbers written as one token: 2h, 10%, 5-fold, 0-4."""
    text = r.tokens[i].low
    if m := _DURATION_TOKEN.match(text):
        return r.claim(Span("duration", i, i + 1, _seconds(float(m.group(1)), m.group(2)), text=text))
    if m := _PERCENT_TOKEN.match(text):
        return r.claim(Span("percent", i, i + 1, float(m.group(1)), text=text))
    if m := _FOLD_TOKEN.match(text):
        return r.claim(Span("count", i, i + 1, int(m.group(1)), unit="fold", text=text))
    if m := _RANGE_TOKEN.match(text):
        end, unit = _unit_after(r, i + 1)
        return _claim_range(r, i, end, int(m.group(1)), int(m.group(2)), unit)
    return None


def _range(r: Reading, i: int) -> Span | None:
    """'0 to 4 nodes', 'between 0 and 4 nodes', 'from 1 to 3'."""
    low = _num(r, i)
    if low is None or i + 2 >= len(r.tokens) or r.words[i + 1] not in ("to", "-", "and", "through"):
        return None
    high = _num(r, i + 2)
    if high is None or high < low or (r.words[i + 1] == "and" and r.phrase_before(i, 1) != "between"):
        return None
    end, unit = _unit_after(r, i + 3)
    if unit is None and r.phrase_before(i, 1) not in ("from", "between"):
        return None  # "scale 2 to 8"? too vague without a unit
    start = i - 1 if r.phrase_before(i, 1) in ("from", "between") and r.free(i - 1) else i
    return _claim_range(r, start, end, low, high, unit)


def _claim_range(r: Reading, start: int, end: int, low: float, high: float, unit: str | None) -> Span:
    text = " ".join(t.text for t in r.tokens[start:end])
    span = r.claim(Span("range", start, end, (low, high), unit=unit, text=text))
    return span


def _single(r: Reading, i: int) -> Span | None:
    value = _num(r, i)
    if value is None or (r.words[i] in ("one",) and not _unit_after(r, i + 1)[1]):
        return None
    nxt = r.words[i + 1] if i + 1 < len(r.tokens) else ""
    if nxt in DURATION_UNITS and not (len(nxt) == 1 and nxt not in ("h", "s")):
        return r.claim(Span("duration", i, i + 2, _seconds(value, nxt), text=f"{r.tokens[i].text} {nxt}"))
    if nxt in ("%", "percent", "pct"):
        return r.claim(Span("percent", i, i + 2, float(value), text=f"{r.tokens[i].text} {nxt}"))
    end, unit = _unit_after(r, i + 1)
    if not r.tokens[i].low[0].isdigit() and unit is None and r.words[i] not in ("zero",):
        return None  # "one" / "two" without a unit is rarely a number here
    return r.claim(Span("count", i, end, value, unit=unit, cue=_cue(r, i), text=r.tokens[i].text))


def _num(r: Reading, i: int) -> float | None:
    if not r.free(i):
        return None
    value = number_of(r.tokens[i].low)
    return None if value is None or r.words[i] in ("a", "an", "no") else value


def _unit_after(r: Reading, i: int) -> tuple[int, str | None]:
    """The unit word after a number (skipping 'more'/'extra'), as (end index, canonical unit)."""
    j = i
    while j < len(r.tokens) and r.words[j] in ("more", "extra", "total", "of", "max", "min"):
        j += 1
    if j < len(r.tokens) and (r.free(j) or r.owner[j].kind == "enum"):
        word = r.words[j]
        if word in UNIT_OF:
            end = j + 2 if word == "cross" and j + 1 < len(r.tokens) and r.words[j + 1].startswith("valid") else j + 1
            return end, UNIT_OF[word]
    return i, None


def _cue(r: Reading, i: int) -> str | None:
    before = r.phrase_before(i, 4)
    if any(before.endswith(c) or f"{c} " in f"{before} " for c in MAX_CUES):
        return "max"
    if any(before.endswith(c) or f"{c} " in f"{before} " for c in MIN_CUES):
        return "min"
    return "to" if before.endswith("to") else None


def _seconds(value: float, unit: str) -> int:
    unit = unit.lower()
    factor = DURATION_UNITS.get(unit) or DURATION_UNITS.get(unit.rstrip("s"), 1)
    return int(round(value * factor))


# -- versions and names ------------------------------------------------------


def _versions(r: Reading) -> None:
    for t in r.tokens:
        i = t.index
        if not r.free(i):
            continue
        if m := _VERSION_TOKEN.match(t.text):
            r.claim(Span("version", i, i + 1, m.group(1), text=t.text))
        elif r.words[i] in ("version", "ver", "v") and i + 1 < len(r.tokens) and r.free(i + 1):
            following = r.tokens[i + 1].text.rstrip(".")
            if re.match(r"^\d+(\.\d+)*$", following) or following.lower() == "latest":
                r.claim(Span("version", i, i + 2, following.lower(), text=f"{t.text} {following}"))
        elif r.words[i] == "latest" and i + 1 < len(r.tokens) and r.words[i + 1] in ("version", "one"):
            r.claim(Span("version", i, i + 2, "latest", text="latest version"))


def _names(r: Reading) -> None:
    for t in r.tokens:
        after_cue = t.index > 0 and r.words[t.index - 1] in NAME_CUES and t.low not in STOPWORDS and t.is_word and not (
            r.words[t.index - 1] == "as" and t.low in NOT_NAMES_AFTER_AS)
        if r.free(t.index) and after_cue:  # "register ./x as fraud": whatever follows "as"/"called" is a name
            r.claim(Span("name", t.index, t.index + 1, t.text, text=t.text))
        elif r.free(t.index) and is_name_shaped(t.text) and r.words[t.index] == t.low:  # "un-archive" was a word
            r.claim(Span("name", t.index, t.index + 1, t.text, text=t.text))


def is_name_shaped(text: str) -> bool:
    """'train-cluster', 'train_model', 'cpu1': a token no dictionary word looks like."""
    if not _NAME_SHAPE.match(text) or text.replace(".", "").isdigit():
        return False
    has_sep = any(c in text for c in "-_.")
    mixed = any(c.isdigit() for c in text) and any(c.isalpha() for c in text)
    return has_sep or mixed


# -- enum values ---------------------------------------------------------------


class EnumTable:
    """Every enum value of every tool, findable by its words, its compact form or a synonym."""

    def __init__(self, values: set[str], synonyms: dict[str, tuple[str, ...]], noise: frozenset[str],
                 nouns: frozenset[str] = frozenset()) -> None:
        self.nouns = nouns
        self.phrases: dict[str, set[str]] = {}
        self.compact: dict[str, set[str]] = {}
        for value in values:
            words = [w for w in re.split(r"[_\s]+", value.lower()) if w]
            meaningful = [w for w in words if w not in noise] or words
            forms = {value.lower(), " ".join(words)}
            if len(meaningful) > 1 or any(c.isdigit() for c in value):  # "file" alone must not mean uri_file
                forms.add(" ".join(meaningful))
            for form in forms:
                self.phrases.setdefault(form, set()).add(value)
            key = _compact(" ".join(meaningful))
            if any(c.isdigit() for c in key):
                self.compact.setdefault(key, set()).add(value)
            for phrase in synonyms.get(value, ()):
                self.phrases.setdefault(phrase.lower(), set()).add(value)
        self.longest = max((len(p.split()) for p in self.phrases), default=1)

    def find(self, r: Reading) -> None:
        i = 0
        while i < len(r.tokens):
            span = self._at(r, i)
            i = span.end if span else i + 1

    def _at(self, r: Reading, i: int) -> Span | None:
        for size in range(min(self.longest, 3), 0, -1):
            if not all(r.free(j) for j in range(i, min(i + size, len(r.tokens)))) or i + size > len(r.tokens):
                continue
            words = [w for w in r.words[i:i + size]]
            singular = " ".join(words[:-1] + [words[-1].removesuffix("s")])
            values = self.phrases.get(" ".join(words)) or self.phrases.get(singular) or self._by_compact(words)
            if values and not (size == 1 and words[0] in STOPWORDS):
                text = " ".join(t.text for t in r.tokens[i:i + size])
                weak = size == 1 and (words[0] in self.nouns or words[0].removesuffix("s") in self.nouns)
                return r.claim(Span("enum", i, i + size, tuple(sorted(values)), text=text, weak=weak))
        return None

    def _by_compact(self, words: list[str]) -> set[str]:
        key = _compact(" ".join(words)).removeprefix("standard")
        if not key or not any(c.isdigit() for c in key) or not any(c.isalpha() for c in key):
            return set()
        if key in self.compact:
            return self.compact[key]
        starting = {v for k, values in self.compact.items() if k.startswith(key) for v in values}
        return starting if len(starting) == 1 and len(key) >= 3 else set()


def _compact(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())
