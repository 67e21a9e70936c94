"""What the side panel shows, read from the client in a worker thread as plain data.

Every group is read through the MLClient-shaped interface and is optional:
a backend without ``jobs`` or ``online_endpoints`` has no such section, and a
group that fails to list shows its error instead of breaking the panel.
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
    absent: frozenset[str] = frozenset()  # sections whose operation group the client lacks

    @property
    def active_jobs(self) -> bool:
        return any(item.status in ACTIVE_JOB_STATES for item in self.sections.get("Jobs", ()))

    @property
    def needs_controlplane(self) -> bool:
        """Work that stops when the local control plane dies: waiting or running jobs, serving endpoints."""
        return self.active_jobs or bool(self.sections.get("Endpoints"))


SECTIONS = ("Computes", "Data", "Models", "Jobs", "Endpoints")
GROUPS = {"Computes": "compute", "Data": "data", "Models": "models", "Jobs": "jobs", "Endpoints": "online_endpoints"}


def read_workspace(client: Any) -> WorkspaceView:
    """Every section; blocking (SQLite, entity conversion), so call it from a thread."""
    readers = {"Computes": _computes, "Data": _data, "Models": _models, "Jobs": _jobs, "Endpoints": _endpoints}
    sections: dict[str, tuple[Item, ...]] = {}
    errors: dict[str, str] = {}
    absent = frozenset(title for title in SECTIONS if getattr(client, GROUPS[title], None) is None)
    for title in SECTIONS:
        if title in absent:
            continue
        try:
            sections[title] = tuple(readers[title](client))
        except Exception as exc:  # one broken group must not blank the whole panel
            log.debug("listing %s failed", title, exc_info=True)
            sections[title] = ()
            errors[title] = " ".join(str(exc).split()) or type(exc).__name__
    return WorkspaceView(sections, errors, absent)


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
    return [Item("job", j.name, j.display_name or "", str(j.status)) for j in client.jobs.list()]


def _endpoints(client: Any) -> list[Item]:
    items = []
    for endpoint in client.online_endpoints.list():
        traffic = tuple(sorted(((str(k), int(v)) for k, v in (getattr(endpoint, "traffic", None) or {}).items())))
        items.append(Item("endpoint", endpoint.name, str(getattr(endpoint, "scoring_uri", "") or ""), _text(getattr(endpoint, "provisioning_state", None)), traffic))
    return sorted(items, key=lambda i: i.name)


def _text(value: Any) -> str:
    value = getattr(value, "value", value)
    return "" if value is None else str(value)
