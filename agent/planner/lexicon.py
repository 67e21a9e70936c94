"""Words: tokens with their positions, light stemming, and spelling correction.

Everything here is plain Python and cheap: the planner runs on every turn and
must stay well under 20 ms. Tokens keep the user's spelling (names are case
sensitive); matching uses ``low`` and ``stem``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# A token is a run of characters that may appear in names, paths, URIs, sizes and
# references; sentence punctuation around it is trimmed afterwards.
_RUN = re.compile(r"[^\s,;!?()\[\]{}<>\"“”‘’]+")
_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”|(?<![\w])'([^']+)'(?![\w])|‘([^’]+)’")
_TRIM = ".:'`*"
WORD = re.compile(r"^[a-z]+$")

# Words that carry no meaning for intents or names. "what", "who", "how" stay:
# they separate questions (reads) from orders (writes).
STOPWORDS = frozenset("""
a an the please pls kindly could would can will shall should i me my mine we our us you your yours it its
this that these those is are am be been being was were do does did to of for in on at with by from and or
so just also then now some want wanna need like let lets let's hey ok okay
yes sure thanks thank go ahead quickly real really actually maybe perhaps might must into onto via as
about over again too very still yet already one's
""".split())
PRONOUNS = frozenset({"it", "its", "that", "this", "them", "those", "these", "one"})
NUMBER_WORDS = {
    "zero": 0, "no": 0, "none": 0, "one": 1, "a": 1, "an": 1, "single": 1, "two": 2, "couple": 2, "three": 3,
    "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "sixteen": 16, "twenty": 20, "thirty": 30, "fifty": 50, "hundred": 100,
}


@dataclass
class Token:
    text: str      # as typed, trimmed of sentence punctuation
    low: str
    start: int     # character offsets in the text
    end: int
    index: int     # position among the text's tokens
    quoted: bool = False

    @property
    def stem(self) -> str:
        return stem(self.low)

    @property
    def is_word(self) -> bool:
        return bool(WORD.match(self.low))


def tokenize(text: str) -> list[Token]:
    """Tokens in order; a quoted string is one token (``quoted=True``) whatever it holds."""
    tokens: list[Token] = []
    position = 0
    for match in _QUOTED.finditer(text):
        tokens.extend(_runs(text, position, match.start()))
        inner = next(g for g in match.groups() if g is not None)
        tokens.append(Token(inner, inner.lower(), match.start(), match.end(), 0, quoted=True))
        position = match.end()
    tokens.extend(_runs(text, position, len(text)))
    for index, token in enumerate(tokens):
        token.index = index
    return tokens


def _runs(text: str, start: int, end: int) -> list[Token]:
    found = []
    for match in _RUN.finditer(text, start, end):
        raw, offset = match.group(), match.start()
        # A path keeps its leading dots ("./data", "../x"); a trailing "." or ":" is punctuation.
        stripped = raw.rstrip(_TRIM) if raw.startswith((".", "~", "/")) else raw.strip(_TRIM)
        if not stripped:
            continue
        lead = raw.find(stripped)
        if stripped.lower().endswith(("'s", "’s")) and len(stripped) > 2:  # "alice's" -> alice (possessive)
            stripped = stripped[:-2]
        found.append(Token(stripped, stripped.lower(), offset + lead, offset + lead + len(stripped), 0))
    return found


@functools.lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """A crude, consistent stem: 'clusters'/'cluster', 'archived'/'archive', 'reader'/'read'."""
    w = word.lower()
    if len(w) <= 3 or not w.isalpha():
        return w
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", "e"), ("s", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not w.endswith(("ss", "us", "is")):
            w = w[: len(w) - len(suffix)] + keep
            break
    if w.endswith("er") and len(w) > 5:
        w = w[:-2]
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    return w


def number_of(word: str) -> float | None:
    """'4' -> 4, 'four' -> 4, '1.5' -> 1.5; None for anything else."""
    low = word.lower()
    if low in NUMBER_WORDS and low not in ("a", "an", "no"):
        return NUMBER_WORDS[low]
    try:
        return float(low) if "." in low else int(low)
    except ValueError:
        return None


# -- spelling ----------------------------------------------------------------


class Speller:
    """Corrects a word to a known one at edit distance 1 (typos, swapped letters).

    Deletion neighbourhoods make a lookup a handful of dict probes, whatever the
    vocabulary size (the SymSpell idea). Short words and anything that isn't
    plain letters (names, paths) are left alone.
    """

    def __init__(self, targets: dict[str, int], known: frozenset[str] = frozenset()) -> None:
        self.targets = targets                   # words a typo may become, with how common they are
        self.known = known | frozenset(targets)  # words never corrected (names seen in examples too)
        self.deletes: dict[str, list[str]] = {}
        for word in targets:
            if len(word) >= 4:
                for variant in {word, *_deletes(word)}:
                    self.deletes.setdefault(variant, []).append(word)

    def correct(self, word: str) -> str:
        if len(word) < 4 or word in self.known or not word.isalpha():
            return word
        candidates = {c for variant in {word, *_deletes(word)} for c in self.deletes.get(variant, ())}
        # A short result only for swapped letters ("lsit" -> "list"): "dave" must not become "save".
        close = [c for c in candidates if _osa(word, c) <= 1 and (len(c) > 4 or sorted(c) == sorted(word))]
        if not close:
            return word
        return max(close, key=lambda c: (self.targets[c], c))


def _deletes(word: str) -> list[str]:
    return [word[:i] + word[i + 1:] for i in range(len(word))]


def _osa(a: str, b: str) -> int:
    """Optimal string alignment distance (edits plus swaps of neighbours)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def edit_distance(a: str, b: str) -> int:
    return _osa(a, b)
