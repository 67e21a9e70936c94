"""References resolved against the live workspace and the conversation.

``WorkspaceView`` lists what exists, lazily and at most once per turn, through
the client the tools use (``client.compute.list()``, ``client.data.list()``,
...). A plugin's resources are found by its name (``compute`` -> ``client.compute``,
``jobs`` -> ``client.jobs``, ``online_endpoints`` -> ``client.online_endpoints``),
so a new area's names resolve with no change here. Listing is read-only and
its failures are swallowed: a reference that can't be resolved is asked about.

``Mention`` records what the conversation named, newest last, for "it"/"that".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)
_NO_RESOURCES = frozenset({"workspace", "session"})
SCOPED_KINDS = {"online_deployments": "online_endpoints", "batch_deployments": "batch_endpoints"}  # kind -> its container
PATH_MENTION = "_path"  # the kind of a mention that is a path a sentence said ("the folder is models/x")


@dataclass(frozen=True)
class Mention:
    kind: str    # plugin name: compute, data, models, access, ...
    name: str


class WorkspaceView:
    def __init__(self, client: Any, user: str = "") -> None:
        self.client = client
        self.user = user
        self._entities: dict[str, list[Any]] = {}

    def entities(self, kind: str) -> list[Any]:
        if kind not in self._entities:
            self._entities[kind] = self._list(kind)
        return self._entities[kind]

    def names(self, kind: str) -> list[str]:
        seen: dict[str, None] = {}
        for entity in self.entities(kind):
            name = _name_of(entity)
            if name:
                seen.setdefault(name, None)
        return list(seen)

    def has(self, kind: str, name: str) -> bool:
        return name.lower() in {n.lower() for n in self.names(kind)}

    def kinds_of(self, name: str, kinds: set[str]) -> set[str]:
        return {kind for kind in kinds if self.has(kind, name)}

    def latest(self, kind: str) -> str | None:
        """The most recently created resource of a kind ("the last job")."""
        entities = [e for e in self.entities(kind) if _name_of(e)]
        if not entities:
            return None
        dated = [(str(_created_at(e) or ""), i, e) for i, e in enumerate(entities)]
        return _name_of(max(dated, key=lambda d: (d[0], d[1]))[2])

    def _list(self, kind: str) -> list[Any]:
        if self.client is None or kind in _NO_RESOURCES:
            return []
        group = _group(self.client, kind)
        if group is None:
            return []
        try:
            return self._list_scoped(kind, group) if kind in SCOPED_KINDS else list(group.list())
        except Exception:  # a reference is a convenience; a failing list must not stop the turn
            log.debug("planner: listing %s failed", kind, exc_info=True)
            return []


    def _list_scoped(self, kind: str, group: Any) -> list[Any]:
        """Deployments are listed per endpoint (``online_deployments.list(endpoint_name)``), as MLClient does."""
        return [entity for endpoint in self.names(SCOPED_KINDS[kind]) for entity in group.list(endpoint_name=endpoint)]


def _group(client: Any, kind: str) -> Any:
    if kind == "access":
        return getattr(client, "role_assignments", None)
    for attribute in (kind, f"{kind}s", kind.rstrip("s"), f"online_{kind}", kind.replace("-", "_")):
        group = getattr(client, attribute, None)
        if group is not None and callable(getattr(group, "list", None)):
            return group
    return None


def _name_of(entity: Any) -> str | None:
    for attribute in ("name", "principal"):
        value = getattr(entity, attribute, None)
        if isinstance(value, str) and value:
            return value
    return entity.get("name") if isinstance(entity, dict) else None


def _created_at(entity: Any) -> Any:
    context = getattr(entity, "creation_context", None)
    return getattr(context, "created_at", None) or getattr(entity, "created_at", None)


def last_mention(mentions: list[Mention], kinds: set[str] | None = None) -> Mention | None:
    """The newest mention, of one of ``kinds`` when given."""
    for mention in reversed(mentions):
        if kinds is None or mention.kind in kinds:
            return mention
    return None
