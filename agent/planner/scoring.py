"""Intent scores: the matcher's similarity plus evidence read from the tools' metadata and the workspace.

The TF-IDF matcher knows words; it doesn't know that "diabetes-training" is a
data asset, that a question rarely means a change, or that "give" is not how
anyone says "revoke". Each adjustment below is small, generic (it reads a
tool's effect, plugin, primary parameter and phrasings, never its name) and
says why it exists.
"""

from __future__ import annotations

import re
from typing import Any

from agent.planner import phrasings
from agent.planner.intents import ranked
from agent.planner.knowledge import Knowledge
from agent.planner.lexicon import PRONOUNS, STOPWORDS, stem
from agent.planner.references import Mention, WorkspaceView
from agent.planner.spans import Reading
from agent.planner.toolinfo import Tool

KIND_BOOST = 0.35         # a name the workspace knows, of this tool's kind
AREA_BOOST = 0.12         # a noun of this tool's area ("datasets", "envs")
OTHER_AREA = 0.05         # ...and a little less for the other areas' tools
PSEUDO_PENALTY = 0.25     # small talk that names our resources isn't small talk
QUESTION_PRIOR = 0.04     # questions read; orders change
WH_CHANGE = (0.25, 0.4)  # "who/what/which ...?" is never an order to change (write) or delete (destructive)
PATH_KIND = 0.15          # the path itself names the kind ("./outputs/model")
SLOT_FIT = 0.05           # a value only this tool's parameters take (an enum value, a path, an email)
UNUSABLE_NAME = 0.05      # the user named an existing thing and this tool of its kind can't take a name
OTHER_KIND = 0.35         # the user named an existing thing of another kind than this tool acts on
VERB_MISMATCH = 0.06      # the request's verb is one this read never uses ("who can delete clusters" isn't a listing)
NAMED_TARGET = 0.04       # a name was given and this tool acts on a named resource
NAMING = 0.1              # "called X" / "named X" names something new: a create
NEW_KIND = 0.15           # "a new cluster (for batch scoring)": the new thing's area is what is created
PRONOUN = 0.2            # "it"/"that": the kind the conversation named last (half for the ones before)
SMALL_TALK = 0.45         # a greeting or out-of-scope phrasing this close needs no workspace lookups
PEOPLE = 0.2              # "who ...?" asks about people: the area whose tools take a principal answers
VERB_BONUS = 0.1          # the tool's own verb was said ("list", "start")
VERBLESS_WRITE = 0.25     # a change none of whose verbs was said
UNSAID_DELETE = 0.3       # a deletion whose verb wasn't said: never the answer
DELETE_SAID = 0.15        # ...and when it was said, the tools that don't delete are less likely
NEW_NAME = 0.1            # "named X" where no X exists: something new, not an existing thing
DESCRIBED = 0.08          # a word of the tool's own description ("what tags does x have?": data-get shows tags)
NAMELESS = 0.08           # a tool that needs a name, when nothing in the text is one
PLURAL_LIST = 0.1         # "clusters", "datasets": many things, a listing
THE_ONE = 0.06            # "the/my/that cluster": one thing, not a listing


_DETERMINERS = frozenset({"the", "my", "this", "that", "our", "latest", "newest", "last", "previous", "your"})


def rank(k: Knowledge, reading: Reading, labels: set[str], workspace: WorkspaceView,
         mentions: list[Mention], implicit: bool = False) -> tuple[list[tuple[str, float]], "Evidence"]:
    raw = k.index.score(k.features(reading), labels)
    top = max(raw, key=raw.get) if raw else ""
    small_talk = top in phrasings.PSEUDO_INTENTS and raw[top] >= SMALL_TALK
    evidence = Evidence(k, reading, workspace, mentions, lookups=not small_talk, implicit=implicit)
    scores = k.index.score(k.features(reading, evidence.known_words), labels) if evidence.known_words else raw
    for label in scores:
        scores[label] += evidence.adjust(label)
    return ranked(scores), evidence


class Evidence:
    """What a request says besides its words' similarity; ``adjust`` turns it into a score change per tool."""

    def __init__(self, k: Knowledge, reading: Reading, workspace: WorkspaceView, mentions: list[Mention],
                 lookups: bool = True, implicit: bool = False) -> None:
        self.k = k
        self._read_words(reading)
        self._read_form(reading)
        self.named = self._named(reading, workspace, lookups)
        pronoun = bool(set(reading.words) & PRONOUNS) or (implicit and not names_in(reading, k, joined=False))
        self.referred = {m.kind: PRONOUN / 2 for m in mentions[-3:]} if pronoun else {}
        if pronoun and mentions:
            self.referred[mentions[-1].kind] = PRONOUN
        latest = bool(set(reading.words) & phrasings.LATEST_WORDS) and bool(self.areas)  # "the last job" names one
        self.has_name = bool(names_in(reading, k, joined=False)) or pronoun or latest

    def _read_words(self, reading: Reading) -> None:
        """Kind nouns (in the text and in its paths), verbs, and how many things are meant."""
        words, nouns = reading.words, self.k.nouns()
        # "runs" is a noun here, not the verb of "run python train.py"
        self.stems = {stem(w) for w in words if w not in nouns} | {w for w in words if w not in nouns}
        loose = [reading.owner[i] is None or reading.owner[i].weak for i in range(len(words))]
        free = [w for i, w in enumerate(words) if loose[i]]
        in_paths = [w for span in reading.of("path") for w in _path_words(str(span.value))]
        self.areas = {nouns.get(w) or nouns.get(stem(w)) for w in (*free, *in_paths)} - {None}
        for span in reading.of("enum"):  # "low-priority" is a compute word
            if not span.weak:
                self.areas |= {t.plugin for t in self.k.tools.values() if any(v in p.enum for p in t.params for v in span.value)}
        path_kinds = [nouns.get(w) or nouns.get(stem(w)) for w in in_paths if nouns.get(w) or nouns.get(stem(w))]
        self.path_kind = path_kinds[-1] if path_kinds else None  # "./outputs/model" holds a model
        self.plural = any(w.endswith("s") and w in nouns and w.removesuffix("s") in nouns for w in free)
        # "the cluster" is one; "my data" is not ("data", "compute" have no plural here: mass nouns)
        self.the_one = any(w in nouns and f"{w}s" in nouns and i and words[i - 1] in _DETERMINERS
                           for i, w in enumerate(words) if loose[i])
        action = (phrasings.ACTION_VERBS | phrasings.DESTRUCTIVE_VERBS) - phrasings.QUESTION_WORDS - {"show", "list", "get", "tell"}
        self.actions = {stem(w) for i, w in enumerate(words) if w in action and loose[i]}
        self.deleting = deletion_said(words)
        self.hinted = deletion_hinted(words)
        self.enums = {v for span in reading.of("enum") for v in span.value}
        self.kinds = {span.kind for span in reading.spans}

    def _read_form(self, reading: Reading) -> None:
        """Question or order, about people, naming something new."""
        words = reading.words
        first = words[0] if words else ""
        polite = first in ("can", "could", "would", "will") and words[1:2] == ["you"]
        self.wh = first in phrasings.WH_WORDS
        self.question = not polite and (first in phrasings.QUESTION_WORDS or reading.text.rstrip().endswith("?"))
        self.naming = bool(set(words) & {"called", "named"}) or "name it" in " ".join(words) or (
            "as" in words and first in phrasings.CREATE_VERBS)  # "register ./x as y"
        self.people = set(words) & phrasings.PEOPLE_WORDS
        nouns = self.k.nouns()
        self.new_kinds = {nouns[w] for i, w in enumerate(words) if i and words[i - 1] == "new" and w in nouns}
        self.creating = first in phrasings.CREATE_VERBS
        self.content = {stem(w) for w in words if w not in STOPWORDS and w.isalpha()} - {stem(n) for n in self.k.kind_nouns}
        self.people_areas = {t.plugin for t in self.k.tools.values() if t.principal_kind}

    def _named(self, reading: Reading, workspace: WorkspaceView, lookups: bool) -> set[str]:
        """Kinds of the existing resources the text names (people apart); lists the workspace only when
        something may be a name, and for small talk only name-shaped tokens."""
        kinds = {t.kind for t in self.k.tools.values() if t.primary is not None}
        named, known = set(), set()
        self.people_named: set[str] = set()
        self.new_names: set[str] = set()
        tokens = names_in(reading, self.k)
        quoted = {t.text for t in reading.tokens if t.quoted}
        if not lookups:
            tokens = [t for t in tokens if not t.isalpha()]
        for token in tokens:
            found = workspace.kinds_of(token, kinds)
            if found:
                known.add(token.lower())
                named |= {kind for kind in found if not self._people(kind)}
                self.people_named |= {kind for kind in found if self._people(kind)}
            elif self.naming or token in quoted or self.creating:  # "called x", "'etl'", "add cluster x": new
                self.new_names.add(token.lower())
        self.known_words = frozenset(known)
        return named

    def _people(self, kind: str) -> bool:
        return any(t.principal_kind for t in self.k.tools.values() if t.kind == kind)

    def adjust(self, label: str) -> float:
        tool = self.k.tools.get(label)
        if tool is None:
            return -PSEUDO_PENALTY if (self.areas or self.named) else 0.0
        return self._kind_terms(tool) + self._form_terms(tool) + self._verb_terms(tool, label) + self._name_terms(tool)

    def _kind_terms(self, tool: Tool) -> float:
        delta = 0.0
        if tool.kinds & self.named and tool.primary is not None:
            # Naming an existing thing points at acting on it, less at listing or creating one.
            full = tool.primary.required and (not tool.function.startswith("create") or self.naming)
            delta += KIND_BOOST / len(self.named) * (1.0 if full else 0.5) * len(tool.kinds & self.named)
        if tool.kind in self.named and tool.primary is None:
            delta -= UNUSABLE_NAME
        if tool.plugin in self.areas or tool.kind in self.areas:
            delta += AREA_BOOST
        elif self.areas:
            delta -= OTHER_AREA
        if self.path_kind in (tool.plugin, tool.kind) and any(p.is_path for p in tool.params):
            delta += PATH_KIND
        if tool.primary is not None and tool.primary.required:
            delta += self.referred.get(tool.kind, 0.0)
        if self.people:
            delta += PEOPLE if tool.plugin in self.people_areas else -PEOPLE / 2
        if tool.kind in self.people_named and tool.principal_kind:  # "what can bob do?": bob holds a role here
            delta += KIND_BOOST / 2
        return delta + SLOT_FIT * min(2, self._fits(tool))

    def _form_terms(self, tool: Tool) -> float:
        delta = 0.0
        if self.question:
            delta += QUESTION_PRIOR * (1 if not tool.writes else -2 if tool.destructive else -1)
        if self.wh and tool.writes:
            delta -= WH_CHANGE[1] if tool.destructive else WH_CHANGE[0]
        if self.naming and tool.function.startswith("create"):
            delta += NAMING
        if tool.function.startswith("create") and {tool.plugin, tool.kind} & self.new_kinds:
            delta += NEW_KIND
        if self.plural and tool.function == "list":
            delta += PLURAL_LIST
        return delta

    def _verb_terms(self, tool: Tool, label: str) -> float:
        verbs = self.k.verbs.get(label, frozenset())
        delta = 0.0
        if stem(tool.verb) in self.stems or tool.verb in self.stems or (tool.destructive and self.deleting):
            delta += VERB_BONUS
        elif tool.writes and not self.stems & verbs:
            delta -= VERBLESS_WRITE
        elif not tool.writes and self.actions and not self.actions & verbs:
            delta -= VERB_MISMATCH
        if tool.destructive and not self.deleting:
            delta -= UNSAID_DELETE
        if self.deleting and not tool.destructive and not self.question:
            delta -= DELETE_SAID
        return delta + DESCRIBED * min(2, len(self.content & self.k.described.get(label, frozenset())))

    def _name_terms(self, tool: Tool) -> float:
        needs_name = tool.primary is not None and tool.primary.required and not tool.function.startswith("create")
        delta = (NAMED_TARGET if self.has_name else -NAMELESS) if needs_name else 0.0
        if tool.primary is not None and self.named and not tool.kinds & self.named and not tool.function.startswith("create"):
            delta -= OTHER_KIND if needs_name else OTHER_KIND / 2
        if self.new_names and not self.named:
            delta += NEW_NAME if tool.function.startswith("create") else -NEW_NAME if needs_name else 0.0
        if self.the_one:
            delta += THE_ONE if needs_name else -THE_ONE if tool.function == "list" else 0.0
        return delta

    def unsaid_deletion(self, ranking: list[tuple[str, float]], threshold: float) -> str | None:
        """A deletion that would have won had its verb been said (the user hinted; they must say it)."""
        for position, (label, score) in enumerate(ranking):
            tool = self.k.tools.get(label)
            if tool is not None and tool.destructive and not self.deleting and (
                    (position < 5 and score + UNSAID_DELETE >= threshold) or self.hinted):
                return label
        return None

    def viable(self, label: str) -> bool:
        """Whether a runner-up is worth asking about: a change must have had one of its verbs said."""
        tool = self.k.tools.get(label)
        verbs = self.k.verbs.get(label, frozenset())
        if tool is None or not tool.writes:  # a read, unless the request orders something it never does
            return tool is not None and not (self.actions and not self.actions & verbs)
        if self.wh:
            return False
        said = stem(tool.verb) in self.stems or bool(self.stems & verbs)
        return said and (self.deleting or not tool.destructive)

    def _fits(self, tool: Tool) -> int:
        fits = int(any(v in p.enum for p in tool.params for v in self.enums))
        fits += int(bool(self.kinds & {"path", "uri"}) and any(p.is_path for p in tool.params))
        fits += int("email" in self.kinds and tool.principal_kind)
        return fits


def _path_words(path: str) -> list[str]:
    """The words of a path's folders, and of its last part unless that is a file ("components/train_model.yml")."""
    parts = [p for p in re.split(r"[\\/]", path.lower()) if p not in ("", ".", "..", "~")]
    if parts and "." in parts[-1].strip("."):
        parts = parts[:-1]
    return [w for part in parts for w in re.split(r"[^a-z0-9]+", part) if w]


def deletion_said(words: list[str]) -> bool:
    """A destructive verb or phrase, said plainly ("delete", "get rid of", "take away")."""
    text = " ".join(words)
    return bool(set(words) & phrasings.DESTRUCTIVE_VERBS) or any(p in text for p in phrasings.DESTRUCTIVE_PHRASES)


def deletion_hinted(words: list[str]) -> bool:
    """"dave shouldn't be an operator anymore": what a deletion sounds like, without asking for one."""
    text = " ".join(words)
    return any(re.search(pattern, text) for pattern in phrasings.DELETION_HINTS)


def names_in(reading: Reading, k: Knowledge, joined: bool = True) -> list[str]:
    """Tokens that could be a resource's name: quoted, name-shaped, emails, references, words no tool
    uses, and the word after a kind noun ("datastore workspaceblobstore")."""
    found = []
    for token in reading.tokens:
        i, span = token.index, reading.owner[token.index]
        after_noun = i > 0 and reading.words[i - 1] in k.kind_nouns and token.low not in STOPWORDS
        if span is not None and span.kind == "ref":
            found.append(span.value[0])
        elif token.quoted or (span is not None and span.kind in ("name", "email")):
            found.append(token.text)
        elif span is None and token.is_word and token.low not in STOPWORDS and (not k.is_plain(token.low) or after_noun):
            found.append(token.text)
    if joined:  # "gpu cluster" may mean gpu-cluster
        found += joined_words(reading, k.kind_nouns, k.is_plain)
    return found


def joined_words(reading: Reading, nouns: frozenset[str] = frozenset(), plain: Any = None) -> list[str]:
    """Neighbouring words joined with a hyphen ("gpu cluster" -> "gpu-cluster", "diabetes training").

    With ``nouns`` and ``plain``, only pairs that look like a name: ending in a kind noun, or starting
    with a word no tool uses (so "what data" is not looked up).
    """
    words, owner = reading.words, reading.owner
    free = [owner[i] is None or owner[i].weak for i in range(len(words))]
    pairs = [i for i in range(len(words) - 1) if free[i] and free[i + 1] and words[i].isalnum() and words[i + 1].isalnum()
             and words[i] not in STOPWORDS and words[i] not in phrasings.QUESTION_WORDS and words[i] not in phrasings.ACTION_VERBS]
    if plain is not None:
        pairs = [i for i in pairs if words[i + 1] in nouns or not plain(words[i]) or not plain(words[i + 1])]
    return [f"{a}-{b}" for i in pairs for a, b in ((words[i], words[i + 1]), (words[i + 1], words[i]))]
