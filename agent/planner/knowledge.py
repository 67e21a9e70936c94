"""Everything the planner derives from a set of tools, built once per process and tool set.

From the tools' declarations it builds: the planner's ``Tool`` views, a table
of every enum value, a speller over the words the tools and the planner use,
the vocabulary of plain words (anything else may be a name), and the intent
index. Building takes a few tens of milliseconds; ``knowledge_for`` caches it
by the tools' names, examples, descriptions and parameters, so a session (or a
test) with the same tools reuses it.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

from agent.planner import phrasings
from agent.planner.intents import IntentIndex, features
from agent.planner.lexicon import STOPWORDS, Speller, edit_distance, stem
from agent.planner.spans import EnumTable, Reading, read
from agent.planner.toolinfo import Tool, from_spec

_WORDS = re.compile(r"[a-z]+")
_CACHE: dict[Any, "Knowledge"] = {}
_LOCK = threading.Lock()
_CACHE_SIZE = 16


@dataclass
class Knowledge:
    tools: dict[str, Tool]
    enums: EnumTable
    speller: Speller
    vocabulary: frozenset[str]   # plain words: never taken for a name unless the user says "called X"
    index: IntentIndex
    stems: frozenset[str] = frozenset()
    kind_nouns: frozenset[str] = frozenset()
    verbs: dict[str, frozenset[str]] = field(default_factory=dict)  # per tool: the verbs its phrasings use
    described: dict[str, frozenset[str]] = field(default_factory=dict)  # per tool: its description's words

    def is_plain(self, word: str) -> bool:
        return word in self.vocabulary or stem(word) in self.stems

    def features(self, reading: Reading, names: frozenset[str] = frozenset()) -> Counter:
        return features(reading, self.is_plain, names=names, nouns=self.kind_nouns)

    def read(self, text: str) -> Reading:
        return read(text, self.enums, self._correct)

    def _correct(self, word: str) -> str:
        if word in phrasings.WORD_SYNONYMS:
            return phrasings.WORD_SYNONYMS[word]
        if "-" in word and word.replace("-", "") in self.speller.known:  # "un-archive", "re-start"
            return word.replace("-", "")
        return self.speller.correct(word)

    def nouns(self) -> dict[str, str]:
        """Kind noun -> plugin, e.g. cluster -> compute, dataset -> data."""
        found: dict[str, str] = {}
        for tool in self.tools.values():
            for noun in (*tool.kind_nouns, tool.plugin):
                found.setdefault(noun, tool.plugin)
        return found


def knowledge_for(specs: Iterable[Any]) -> Knowledge:
    specs = list(specs)
    key = tuple(sorted((s.full_name, tuple(s.examples), s.description, tuple(p.name for p in s.parameters)) for s in specs))
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    built = build(specs)
    with _LOCK:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = built
    return built


def build(specs: list[Any]) -> Knowledge:
    tools = {t.name: t for t in (from_spec(s) for s in specs)}
    enum_values = {v for t in tools.values() for p in t.params for v in p.enum}
    nouns = frozenset(n for tool in tools.values() for n in (*tool.kind_nouns, tool.plugin))
    enums = EnumTable(enum_values, phrasings.ENUM_SYNONYMS, phrasings.ENUM_NOISE, nouns)
    vocabulary = _vocabulary(tools, enum_values)
    stems = frozenset(stem(w) for w in vocabulary)
    counts = _speller_counts(tools, vocabulary)
    speller = Speller({w: n for w, n in counts.items() if w in vocabulary}, frozenset(counts))
    plain = lambda word: word in vocabulary or stem(word) in stems  # noqa: E731
    documents, profiles = _documents(tools, enums, plain, nouns)
    verbs = {name: _verbs(tool, plain, nouns) for name, tool in tools.items()}
    described = {name: _described(tool, nouns) for name, tool in tools.items()}
    return Knowledge(tools, enums, speller, frozenset(vocabulary), IntentIndex(documents, profiles), stems, nouns, verbs,
                     described)


def _described(tool: Tool, nouns: frozenset[str]) -> frozenset[str]:
    """Stems of what a tool's first description paragraph says it shows or does ("tags", "columns")."""
    first = tool.description.split("\n\n")[0].lower()
    return frozenset(stem(w) for w in _WORDS.findall(first) if w not in STOPWORDS and len(w) > 3 and w not in nouns
                     and stem(w) not in {stem(n) for n in nouns})


def _verbs(tool: Tool, plain: Any, nouns: frozenset[str]) -> frozenset[str]:
    """Stems of the verbs a tool's phrasings use: its name's words, action verbs, each phrasing's first word."""
    found = {stem(part) for part in tool.function.split("_")} | {tool.function.split("_")[0]}
    action = (phrasings.ACTION_VERBS | phrasings.DESTRUCTIVE_VERBS) - phrasings.QUESTION_WORDS
    for text in (*tool.examples, *phrasings.EXTRA_EXAMPLES.get(tool.name, ())):
        words = [w for w in _WORDS.findall(text.lower()) if w not in STOPWORDS and w not in phrasings.QUESTION_WORDS]
        main = next((w for w in words if w in action), None)  # the phrasing's main verb, not "... that scales"
        first = [w for w in words[:1] if len(w) > 2 and w not in nouns and plain(w)]  # "peek at ...", not "models", "carol"
        found |= {stem(w) for w in (main, *first) if w}
    return frozenset(found)


def _documents(tools: dict[str, Tool], enums: EnumTable, plain: Any,
               nouns: frozenset[str]) -> tuple[dict[str, list[Counter]], dict[str, Counter]]:
    documents: dict[str, list[Counter]] = {}
    profiles: dict[str, Counter] = {}
    for tool in tools.values():
        texts = [*tool.examples, *phrasings.EXTRA_EXAMPLES.get(tool.name, ())]
        documents[tool.name] = [features(read(text, enums), plain, example=True, nouns=nouns) for text in texts]
        profile = f"{tool.function.replace('_', ' ')} {tool.plugin} {tool.description.split('.')[0]}"
        profiles[tool.name] = features(read(profile, enums))
        if not documents[tool.name]:
            documents[tool.name] = [profiles[tool.name]]
    for label, texts in phrasings.PSEUDO_INTENTS.items():
        documents[label] = [features(read(text, enums)) for text in texts]
    return documents, profiles


def _vocabulary(tools: dict[str, Tool], enum_values: set[str]) -> set[str]:
    words = set(phrasings.COMMON_WORDS) | set(phrasings.ACTION_VERBS) | set(phrasings.DESTRUCTIVE_VERBS)
    for tool in tools.values():
        text = " ".join([tool.description, tool.function.replace("_", " "), tool.plugin.replace("_", " "),
                         *tool.kind_nouns, *(p.description for p in tool.params)])
        words.update(_plain_words(text))
    for value in enum_values:
        words.update(_WORDS.findall(value.lower()))
    return words


def _plain_words(text: str) -> set[str]:
    """Words of a description, minus its examples ("e.g. alice@contoso.com") and any name-like token."""
    text = re.sub(r"\be\.g\.,?\s*[^,;)]*", " ", text)
    return {w for token in text.split() if (w := token.strip(".,;:()'\"").lower()).isalpha()}


def _speller_counts(tools: dict[str, Tool], vocabulary: set[str]) -> dict[str, int]:
    """Every word the planner has seen: those are never corrected; plain words are what typos become."""
    counts = Counter({w: 3 for w in vocabulary})
    texts = [e for t in tools.values() for e in (*t.examples, *phrasings.EXTRA_EXAMPLES.get(t.name, ()))]
    texts += [p for phrases in phrasings.PSEUDO_INTENTS.values() for p in phrases]
    for text in texts:
        for word in _WORDS.findall(text.lower()):
            counts[word] += 1
    return dict(counts)


def close_to(word: str, candidates: Iterable[str]) -> list[str]:
    """Known names within one edit of a typed one ("trian-cluster" -> "train-cluster")."""
    low = word.lower()
    return sorted(c for c in candidates if abs(len(c) - len(low)) <= 1 and edit_distance(low, c.lower()) <= 1)
