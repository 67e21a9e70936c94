"""The scored intent matcher: TF-IDF over word stems, word bigrams and character n-grams.

Documents are the tools' example phrasings (plus the planner's extra ones and
the pseudo-intents: greeting, help, thanks, out of scope). Values in a text
become placeholders first (``#path``, ``#name``, ``#num node``), so "register
./a as x" and "register ./data/diabetes.csv as diabetes" read alike.

A tool's score mixes its nearest example (kNN) with its centroid, which also
holds its description and its name's words, so a tool with no examples can
still be found. Everything is sparse dicts and inverted indexes: a query costs
a few hundred dict operations.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from typing import Callable, Iterable

from agent.planner.lexicon import STOPWORDS, stem
from agent.planner.phrasings import LATEST_WORDS
from agent.planner.spans import Reading

UNIGRAM, BIGRAM, CHARGRAM, SUBWORD = 1.0, 0.7, 0.2, 0.35
KNN_SHARE = 0.55  # the rest is the centroid's
PLACEHOLDERS = {
    "quoted": "#name", "uri": "#path", "path": "#path", "email": "#user", "ref": "#ref", "enum": "#enum",
    "duration": "#time", "percent": "#pct", "count": "#num", "range": "#range", "version": "#ver", "kv": "#tag",
    "name": "#name",
}
Vector = dict[str, float]


def features(reading: Reading, plain: Callable[[str], bool] | None = None, example: bool = False,
             names: frozenset[str] = frozenset(), nouns: frozenset[str] = frozenset()) -> Counter:
    """Weighted features of a text whose values were recognised as spans.

    In an example, a word that is not ``plain`` (an ordinary word) is a name:
    "make bob a Reader" reads "make #name #enum reader", so "bob" doesn't tie
    the tool to Bob. In a request only the ``names`` the workspace knows are
    read that way; another unknown word stays itself ("joke", "weather"), so
    out-of-scope requests still look like the out-of-scope phrasings.

    A noun of a resource kind also says how many: "#many" for "clusters",
    "#one" for "the cluster" (stems alone lose the difference between
    "list my datasets" and "show my dataset").
    """
    counts: Counter = Counter()
    sequence: list[str] = []
    for i, token in enumerate(reading.tokens):
        span = reading.owner[i]
        if span is not None and not span.weak:  # a weak enum ("cluster") is read as the noun it is
            if span.start == i:
                sequence.extend(_span_words(span, reading))
                for part in _subwords(span):
                    counts[part] += SUBWORD
            continue
        word = reading.words[i]
        if word in STOPWORDS or not any(c.isalpha() for c in word):
            continue
        named = word in LATEST_WORDS or token.low in names or (example and plain is not None and not plain(word))
        sequence.append("#name" if named else stem(word))  # "the latest dataset" names one thing, like a name
        number = None if named else _number(reading, i, nouns)
        if number:  # "job#many" is what listings say and lookups don't
            counts[number] += UNIGRAM
            counts[f"{stem(word)}{number}"] += UNIGRAM
    _add_grams(counts, sequence)
    return counts


def _add_grams(counts: Counter, sequence: list[str]) -> None:
    for word in sequence:
        counts[word] += UNIGRAM
        if not word.startswith("#"):
            for gram in _chargrams(word):
                counts[gram] += CHARGRAM
    for left, right in zip(sequence, sequence[1:]):
        counts[f"{left}_{right}"] += BIGRAM


_DETERMINERS = frozenset({"the", "my", "this", "that", "our", "your", "a", "an"})


def _number(reading: Reading, i: int, nouns: frozenset[str]) -> str | None:
    word = reading.words[i]
    if word not in nouns:
        return None
    if word.endswith("s") and word.removesuffix("s") in nouns:
        return "#many"
    return "#one" if i and reading.words[i - 1] in _DETERMINERS and f"{word}s" in nouns else None


def _span_words(span, reading: Reading) -> list[str]:
    words = [PLACEHOLDERS[span.kind]]
    if span.kind == "enum":
        words += [stem(w) for w in reading.words[span.start:span.end] if w.isalpha() and w not in STOPWORDS]
    if span.kind in ("count", "range") and span.unit:
        words.append(stem(span.unit))
    return words


def _subwords(span) -> list[str]:
    """A name's or a path's parts say a little ("gpu-cluster", "./outputs/model"), less than the words around it."""
    if span.kind not in ("name", "path"):
        return []
    parts = [p for p in re.split(r"[^a-z]+", str(span.value).lower()) if len(p) > 2]
    return [stem(p) for p in parts]


def _chargrams(word: str, n: int = 3) -> list[str]:
    padded = f"^{word}$"
    return [f"~{padded[i:i + n]}" for i in range(len(padded) - n + 1)] if len(word) > 3 else []


class IntentIndex:
    """Labels (tool names or pseudo-intents) scored against a text."""

    def __init__(self, documents: dict[str, list[Counter]], profiles: dict[str, Counter]) -> None:
        all_docs = [doc for docs in documents.values() for doc in docs] + list(profiles.values())
        frequency = Counter(f for doc in all_docs for f in doc)
        total = len(all_docs) + 1
        self.idf = {f: math.log(total / (n + 1)) + 1.0 for f, n in frequency.items()}
        self.labels = list(documents)
        self.doc_label: list[str] = []
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self.centroid_postings: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for label, docs in documents.items():
            vectors = [self.vector(doc) for doc in docs]
            for vector in vectors:
                self._post(vector)
                self.doc_label.append(label)
            centroid = _sum([*vectors, *(_scaled(self.vector(profiles[label]), 0.6) for _ in [0] if label in profiles)])
            for feature, weight in _normalised(centroid).items():
                self.centroid_postings[feature].append((label, weight))

    def vector(self, counts: Counter) -> Vector:
        weighted = {f: (1 + math.log(c)) * self.idf.get(f, 0.0) if c >= 1 else c * self.idf.get(f, 0.0)
                    for f, c in counts.items() if f in self.idf}
        return _normalised(weighted)

    def _post(self, vector: Vector) -> None:
        index = len(self.doc_label)
        for feature, weight in vector.items():
            self.postings[feature].append((index, weight))

    def score(self, counts: Counter, labels: Iterable[str] | None = None) -> dict[str, float]:
        """Score per label in [0, 1]; only ``labels`` when given (read-only sessions offer fewer tools)."""
        query = self.vector(counts)
        nearest: dict[str, float] = defaultdict(float)
        per_doc: dict[int, float] = defaultdict(float)
        centroid: dict[str, float] = defaultdict(float)
        for feature, weight in query.items():
            for index, doc_weight in self.postings.get(feature, ()):
                per_doc[index] += weight * doc_weight
            for label, doc_weight in self.centroid_postings.get(feature, ()):
                centroid[label] += weight * doc_weight
        for index, value in per_doc.items():
            label = self.doc_label[index]
            nearest[label] = max(nearest[label], value)
        wanted = set(labels) if labels is not None else set(self.labels)
        return {label: KNN_SHARE * nearest.get(label, 0.0) + (1 - KNN_SHARE) * centroid.get(label, 0.0)
                for label in self.labels if label in wanted}

    def known(self, counts: Counter) -> list[str]:
        """The plain words of a text that any document uses (unknown words can't be understood)."""
        return [f for f in counts if not f.startswith(("#", "~")) and "_" not in f and f in self.idf]


def _normalised(vector: dict[str, float]) -> Vector:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {f: v / norm for f, v in vector.items()} if norm else {}


def _scaled(vector: Vector, factor: float) -> Vector:
    return {f: v * factor for f, v in vector.items()}


def _sum(vectors: list[Vector]) -> dict[str, float]:
    total: dict[str, float] = defaultdict(float)
    for vector in vectors:
        for feature, weight in vector.items():
            total[feature] += weight
    return total


def ranked(scores: dict[str, float]) -> list[tuple[str, float]]:
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))
