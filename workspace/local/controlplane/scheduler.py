"""The job queues: one FIFO queue per compute, each with a number of slots.

``AmlCompute(max_instances=N)`` has N slots, a ``ComputeInstance`` one, and
``serverless`` (or no compute) a shared default pool. A job takes
``resources.instance_count`` slots, as it would take that many nodes on Azure.
Queues are strictly FIFO per compute: a job never overtakes an earlier one that
is waiting for slots, so big jobs don't starve.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from workspace.errors import ResourceNotFoundError, UserInputError
from workspace.local.controlplane import state
from workspace.local.store import Store, utcnow

DEFAULT_POOL_SLOTS = 2
DRIVER_SLOTS = 32  # sweep/pipeline drivers mostly sleep; this only bounds runaway submissions


def compute_slots(store: Store, compute: str) -> int | None:
    """How many jobs ``compute`` runs at once; None if it no longer exists."""
    if compute == state.SERVERLESS:
        return DEFAULT_POOL_SLOTS
    if compute == state.DRIVER_POOL:
        return DRIVER_SLOTS
    row = store.resource("compute", compute)
    if row is None:
        return None
    if row.spec.get("type") == "computeinstance":
        return 1
    return max(1, int(row.spec.get("max_instances") or 1))


def check_compute(store: Store, compute: str | None, slots: int) -> str:
    """The queue a job goes to; refuses an unknown compute or one too small, before anything is queued."""
    name = normalise_compute(compute)
    capacity = compute_slots(store, name)
    if capacity is None:
        known = [r.name for r in store.resources("compute")]
        raise ResourceNotFoundError.of("compute", name, known=known + [state.SERVERLESS])
    if slots > capacity:
        raise UserInputError.invalid(
            "resources.instance_count", slots, f"is more than compute {name!r} can run at once ({capacity})"
        )
    return name


def normalise_compute(compute: str | None) -> str:
    if not compute:
        return state.SERVERLESS
    name = str(compute)
    name = name[len("azureml:"):] if name.startswith("azureml:") else name
    return name.rstrip("/").split("/")[-1]  # an ARM id ends in the compute's name


@dataclass
class Decision:
    start: list[state.JobRow]
    refuse: list[tuple[state.JobRow, str]]  # jobs that can never run, with the reason


def plan_starts(store: Store) -> Decision:
    """Which queued jobs fit in free slots now, oldest first per compute."""
    rows = state.list_jobs(store, (state.QUEUED,) + state.ACTIVE)
    used: dict[str, int] = defaultdict(int)
    for row in rows:
        if row.status in state.ACTIVE:
            used[row.compute] += row.slots
    capacity: dict[str, int | None] = {}
    decision, blocked = Decision([], []), set()
    for row in (r for r in rows if r.status == state.QUEUED):
        if row.compute in blocked:
            continue
        if row.compute not in capacity:
            capacity[row.compute] = compute_slots(store, row.compute)
        slots = capacity[row.compute]
        if slots is None:
            decision.refuse.append((row, f"compute: {row.compute!r} was deleted while the job was queued"))
        elif row.slots > slots:
            decision.refuse.append((row, f"resources.instance_count: {row.slots} is more than compute {row.compute!r} now runs at once ({slots})"))
        elif used[row.compute] + row.slots <= slots:
            decision.start.append(row)
            used[row.compute] += row.slots
        else:
            blocked.add(row.compute)
    return decision


def accept_submitted(store: Store) -> int:
    """NotStarted -> Queued: the control plane has seen the job."""
    with store.transaction() as db:
        cursor = db.execute(
            "UPDATE jobs SET status=?, updated_at=? WHERE status=?", (state.QUEUED, utcnow(), state.NOT_STARTED)
        )
        return cursor.rowcount
