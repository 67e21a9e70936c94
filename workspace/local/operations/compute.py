"""``client.compute``: clusters and instances as slots on this machine.

An ``AmlCompute`` with ``max_instances=N`` is N concurrent job slots; a
``ComputeInstance`` is one slot. Size, tier, idle time and the rest mean
nothing to this machine but are stored and shown, so the same definition moves
to Azure unchanged.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from workspace.errors import NotSupportedLocallyError, ResourceNotFoundError, UserInputError
from workspace.local.context import WorkspaceContext
from workspace.local.names import check_compute_name
from workspace.local.poller import LocalPoller
from workspace.local.store import creation_context

KIND = "compute"
SUPPORTED_TYPES = ("amlcompute", "computeinstance")
TIERS = ("dedicated", "low_priority")
_VM_SIZE = re.compile(r"^standard_[a-z0-9_]+$", re.IGNORECASE)


class ComputeOperations:
    def __init__(self, ctx: WorkspaceContext) -> None:
        self._ctx = ctx
        self._store = ctx.store

    def begin_create_or_update(self, compute: Any) -> LocalPoller:
        spec = self._validate(compute)
        name = spec["name"]
        with self._store.transaction() as db:
            current = self._store.resource(KIND, name)
            if current is not None:
                _check_immutable(current.spec, spec)
                state = current.state
            else:
                state = "Running" if spec["type"] == "computeinstance" else "Succeeded"
            self._store.upsert_resource(db, KIND, name, spec, state, self._ctx.user)
        return LocalPoller(self.get(name))

    def begin_update(self, compute: Any) -> LocalPoller:
        self.get(compute.name)
        return self.begin_create_or_update(compute)

    def get(self, name: str) -> Any:
        row = self._store.resource(KIND, name)
        if row is None:
            raise ResourceNotFoundError.of("compute", name, known=[r.name for r in self._store.resources(KIND)])
        return _to_entity(row)

    def list(self, *, compute_type: str | None = None) -> Iterable[Any]:
        rows = self._store.resources(KIND)
        wanted = compute_type.lower() if compute_type else None
        return [_to_entity(r) for r in rows if wanted is None or r.spec.get("type") == wanted]

    def begin_delete(self, name: str, *, action: str = "Delete") -> LocalPoller:
        if action not in ("Delete", "Detach"):
            raise UserInputError.invalid("action", action, "is not Delete or Detach")
        self.get(name)
        with self._store.transaction() as db:
            self._store.delete_resource(db, KIND, name)
        return LocalPoller(None)

    def begin_start(self, name: str) -> LocalPoller:
        return self._set_instance_state(name, "Running")

    def begin_stop(self, name: str) -> LocalPoller:
        return self._set_instance_state(name, "Stopped")

    def begin_restart(self, name: str) -> LocalPoller:
        return self._set_instance_state(name, "Running")

    def _set_instance_state(self, name: str, state: str) -> LocalPoller:
        row = self._store.resource(KIND, name)
        if row is None or row.spec.get("type") != "computeinstance":
            if row is None:
                self.get(name)
            raise UserInputError.invalid("name", name, "is a cluster; only compute instances start and stop")
        with self._store.transaction() as db:
            self._store.upsert_resource(db, KIND, name, row.spec, state, self._ctx.user)
        return LocalPoller(None)

    def _validate(self, compute: Any) -> dict:
        spec = dict(compute._to_dict())
        compute_type = str(spec.get("type", "")).lower()
        if compute_type not in SUPPORTED_TYPES:
            raise NotSupportedLocallyError.field(
                "type", compute_type, "the local workspace runs amlcompute clusters and compute instances; use Azure ML for the others"
            )
        check_compute_name(spec.get("name"), compute_type)
        size = spec.get("size")
        if size is not None and not _VM_SIZE.match(str(size)):
            raise UserInputError.invalid("size", size, "is not an Azure VM size like STANDARD_DS3_v2")
        if compute_type == "amlcompute":
            _check_cluster(spec)
        return spec


def _check_cluster(spec: dict) -> None:
    low = spec.get("min_instances") or 0
    high = spec.get("max_instances") if spec.get("max_instances") is not None else 1
    if low < 0:
        raise UserInputError.invalid("min_instances", low, "must be 0 or more")
    if high < 1:
        raise UserInputError.invalid("max_instances", high, "must be 1 or more")
    if low > high:
        raise UserInputError.invalid("min_instances", low, f"is more than max_instances ({high})")
    tier = spec.get("tier")
    if tier is not None and str(tier).lower() not in TIERS:
        raise UserInputError.invalid("tier", tier, f"is not one of {', '.join(TIERS)}")
    idle = spec.get("idle_time_before_scale_down")
    if idle is not None and idle < 0:
        raise UserInputError.invalid("idle_time_before_scale_down", idle, "must be 0 or more seconds")
    spec.setdefault("min_instances", low)
    spec.setdefault("max_instances", high)


def _check_immutable(current: dict, desired: dict) -> None:
    """Azure can't change a compute's type or VM size in place; neither do we."""
    for field in ("type", "size"):
        was, now = current.get(field), desired.get(field)
        if now is not None and was is not None and str(was).lower() != str(now).lower():
            raise UserInputError.invalid(
                field, now, f"differs from the existing compute {current['name']!r} ({was}); delete it and create it again to change {field}"
            )


def _to_entity(row) -> Any:
    from azure.ai.ml.entities import Compute

    entity = Compute._load(data=row.spec)
    entity._provisioning_state = "Succeeded"
    entity._created_on = row.created_at
    entity._creation_context = creation_context(row.created_by, row.created_at, row.updated_at)
    if row.spec.get("type") == "computeinstance":
        entity._state = row.state
    return entity
