"""What the side panel shows, read from the client in a worker thread as plain data.

Every group is read through the MLClient-shaped interface and is optional:
a backend without ``jobs`` or ``online_endpoints`` (yet) shows that section
empty, and a group that fails to list shows its error instead of breaking
the panel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)
ACTIVE_JOB_STATES = frozenset({"NotStarted", "Queued", "Preparing", "Starting", "Provisioning", "Running", "Finalizing", "CancelRequested"})


@dataclass(frozen=True)
class Item:
    kind: str          # compute | data | model | job | endpoint
    name: str
    detail: str = ""
    status: str | None = None
    traffic: tuple[tuple[str, int], ...] = ()  # endpoints: (deployment, percent)


@dataclass(frozen=True)
class WorkspaceView:
    sections: dict[str, tuple[Item, ...]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def active_jobs(self) -> bool:
        return any(item.status in ACTIVE_JOB_STATES for item in self.sections.get("Jobs", ()))


SECTIONS = ("Computes", "Data", "Models", "Jobs", "Endpoints")


def read_workspace(client: Any) -> WorkspaceView:
    """Every section; blocking (SQLite, entity conversion), so call it from a thread."""
    readers = {"Computes": _computes, "Data": _data, "Models": _models, "Jobs": _jobs, "Endpoints": _endpoints}
    sections: dict[str, tuple[Item, ...]] = {}
    errors: dict[str, str] = {}
    for title in SECTIONS:
        try:
            sections[title] = tuple(readers[title](client))
        except Exception as exc:  # one broken group must not blank the whole panel
            log.debug("listing %s failed", title, exc_info=True)
            sections[title] = ()
            errors[title] = " ".join(str(exc).split()) or type(exc).__name__
    return WorkspaceView(sections, errors)


def _computes(client: Any) -> list[Item]:
    from tools.results import compute_line, compute_summary

    items = []
    for compute in client.compute.list():
        summary = compute_summary(compute)
        items.append(Item("compute", compute.name, compute_line(summary), summary.get("state")))
    return sorted(items, key=lambda i: i.name)


def _data(client: Any) -> list[Item]:
    return sorted((Item("data", d.name, f"v{d.version} {_text(d.type)}") for d in client.data.list()), key=lambda i: i.name)


def _models(client: Any) -> list[Item]:
    return sorted((Item("model", m.name, f"v{m.version} {_text(m.type)}") for m in client.models.list()), key=lambda i: i.name)


def _jobs(client: Any) -> list[Item]:
    if getattr(client, "jobs", None) is None:
        return []
    return [Item("job", j.name, j.display_name or "", str(j.status)) for j in client.jobs.list()]


def _endpoints(client: Any) -> list[Item]:
    operations = getattr(client, "online_endpoints", None)
    if operations is None:  # not built yet: the section stays, empty
        return []
    items = []
    for endpoint in operations.list():
        traffic = tuple(sorted(((str(k), int(v)) for k, v in (getattr(endpoint, "traffic", None) or {}).items())))
        items.append(Item("endpoint", endpoint.name, str(getattr(endpoint, "scoring_uri", "") or ""), _text(getattr(endpoint, "provisioning_state", None)), traffic))
    return sorted(items, key=lambda i: i.name)


def _text(value: Any) -> str:
    value = getattr(value, "value", value)
    return "" if value is None else str(value)
