"""compute-*: clusters (AmlCompute) and compute instances."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from tools.base import ML, Plan, ToolCall, ToolPlugin, one_of, tool
from tools.results import CLUSTER, INSTANCE, compute_line, compute_summary
from workspace.errors import UserInputError

READ, WRITE, DELETE = f"{ML}/computes/read", f"{ML}/computes/write", f"{ML}/computes/delete"

VM_SIZES = (
    "STANDARD_DS1_v2", "STANDARD_DS2_v2", "STANDARD_DS3_v2", "STANDARD_DS4_v2", "STANDARD_DS11_v2", "STANDARD_DS12_v2",
    "STANDARD_D2s_v3", "STANDARD_D4s_v3", "STANDARD_D8s_v3", "STANDARD_D16s_v3",
    "STANDARD_E4s_v3", "STANDARD_E8s_v3", "STANDARD_E16s_v3", "STANDARD_F4s_v2", "STANDARD_F8s_v2", "STANDARD_F16s_v2",
    "STANDARD_NC4as_T4_v3", "STANDARD_NC6s_v3", "STANDARD_NC12s_v3", "STANDARD_NC24s_v3", "STANDARD_NC24ads_A100_v4",
)
CLUSTER_NAME_MAX = 16  # Azure: clusters 2-16 characters, instances 3-24
DEFAULTS = {"size": "STANDARD_DS3_v2", "min_instances": 0, "max_instances": 4, "tier": "dedicated", "idle_time_before_scale_down": 120}
SCALE_FIELDS = ("min_instances", "max_instances", "idle_time_before_scale_down")

Name = Annotated[str, Field(min_length=2, max_length=24, pattern=r"^[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]$"),
                 "Compute name: letters, digits and hyphens, starting with a letter; clusters 2-16 characters, instances 3-24"]
Size = Annotated[Literal[VM_SIZES], one_of(*VM_SIZES), "Azure VM size of each node, e.g. STANDARD_DS3_v2 (4 cores, 14 GB)"]
MinInstances = Annotated[int, Field(ge=0, le=1000), "Nodes kept running when idle; 0 lets the cluster scale to zero"]
MaxInstances = Annotated[int, Field(ge=1, le=1000), "Most nodes the cluster scales out to (locally: concurrent job slots)"]
Tier = Annotated[Literal["dedicated", "low_priority"], one_of("dedicated", "low_priority"),
                 "dedicated, or low_priority (cheaper, can be preempted)"]
IdleSeconds = Annotated[int, Field(ge=0, le=604800), "Seconds a node stays idle before the cluster scales down"]
ComputeType = Literal["cluster", "instance"]


def _not_a(kind: str, name: str, why: str) -> UserInputError:
    return UserInputError.invalid("name", name, f"is a compute {kind}; {why}")


class ComputePlugin(ToolPlugin):
    plugin_name = "compute"
    description = "Compute clusters and compute instances: list, create, scale, start, stop, delete."

    def _current(self, name: str) -> dict:
        return compute_summary(self.client.compute.get(name))

    def _exists(self, name: str) -> dict | None:
        from tools.assets import not_found_errors

        try:
            return self._current(name)
        except not_found_errors():
            return None

    @tool(effect="read", permission=READ, examples=[
        "what compute do I have?", "list my clusters", "show all compute targets", "which compute instances exist?",
        "list compute", "do I have any GPU clusters?",
    ])
    def list(self, type: Annotated[ComputeType | None, "Only clusters or only instances; omit for both"] = None) -> list[dict]:
        """List the workspace's compute clusters and compute instances with size, scale settings and state.

        Use it to answer "what compute do I have" or to find a compute name before another call.
        """
        computes = [compute_summary(c) for c in self.client.compute.list()]
        return [c for c in computes if type is None or c["type"] == type]

    @tool(effect="read", permission=READ, examples=[
        "show cpu-cluster", "how big is cpu-cluster?", "is my compute instance running?", "details of gpu-cluster",
        "what size is cpu-cluster", "get compute ci-alice",
    ])
    def get(self, name: Annotated[str, Field(min_length=1, max_length=64), "Name of the compute"]) -> dict:
        """Show one compute: its type, VM size, node range, tier, idle time or instance state."""
        return self._current(name)

    @tool(effect="write", permission=WRITE, examples=[
        "create a cluster with up to 4 nodes", "make a low priority cluster called cpu-cluster",
        "I need a GPU cluster gpu-cluster with NC6s_v3 nodes", "set up a compute instance ci-alice",
        "create compute cluster cpu-cluster, DS3 v2, 0 to 8 nodes", "add a cluster that scales to zero after 5 minutes",
    ])
    def create(
        self,
        name: Name,
        size: Size = DEFAULTS["size"],
        min_instances: MinInstances = 0,
        max_instances: MaxInstances = 4,
        tier: Tier = "dedicated",
        idle_time_before_scale_down: IdleSeconds = 120,
        type: Annotated[ComputeType, "cluster (scales between min and max nodes) or instance (one VM)"] = "cluster",
    ) -> dict:
        """Create a new compute cluster (AmlCompute) or compute instance. Refuses a name that already exists; use compute-update to scale.

        Clusters take min/max nodes, tier and idle time; an instance is one VM and ignores them.
        """
        plan = self.preview_create(name, size, min_instances, max_instances, tier, idle_time_before_scale_down, type)
        from azure.ai.ml.entities import AmlCompute, ComputeInstance

        if type == INSTANCE:
            entity = ComputeInstance(name=name, size=size)
        else:
            entity = AmlCompute(name=name, size=size, min_instances=min_instances, max_instances=max_instances,
                                tier=tier, idle_time_before_scale_down=idle_time_before_scale_down)
        created = self.client.compute.begin_create_or_update(entity).result()
        return {"status": "created", "compute": compute_summary(created), "summary": plan.summary}

    def preview_create(self, name: Name, size: Size = DEFAULTS["size"], min_instances: MinInstances = 0,
                       max_instances: MaxInstances = 4, tier: Tier = "dedicated",
                       idle_time_before_scale_down: IdleSeconds = 120, type: ComputeType = "cluster") -> Plan:
        current = self._exists(name)
        if current is not None:
            raise UserInputError.invalid("name", name, f"already exists ({compute_line(current)}); use compute-update to scale it or pick another name")
        warnings = []
        if type == CLUSTER:
            if len(name) > CLUSTER_NAME_MAX:
                raise UserInputError.invalid("name", name, f"is too long for a cluster (at most {CLUSTER_NAME_MAX} characters)")
            if min_instances > max_instances:
                raise UserInputError.invalid("min_instances", min_instances, f"is more than max_instances ({max_instances})")
            desired = {"name": name, "type": CLUSTER, "size": size, "min_instances": min_instances,
                       "max_instances": max_instances, "tier": tier, "idle_time_before_scale_down": idle_time_before_scale_down}
        else:
            if len(name) < 3:
                raise UserInputError.invalid("name", name, "is too short for a compute instance (3-24 characters)")
            given = {"min_instances": min_instances, "max_instances": max_instances, "tier": tier,
                     "idle_time_before_scale_down": idle_time_before_scale_down}
            ignored = [k for k, v in given.items() if v != DEFAULTS[k]]
            if ignored:
                warnings.append(f"{', '.join(ignored)} apply to clusters only; a compute instance ignores them")
            desired = {"name": name, "type": INSTANCE, "size": size, "state": "Running"}
        return Plan(
            action="create compute", target=f"compute/{name}", current=None, desired=desired,
            summary=f"compute {name}: absent -> {compute_line(desired)}", resource_name=name,
            inverse=ToolCall(tool="compute-delete", arguments={"name": name}), warnings=warnings,
        )

    @tool(effect="write", permission=WRITE, examples=[
        "scale cpu-cluster to 8 nodes", "let cpu-cluster go up to 10 instances", "keep one node warm on cpu-cluster",
        "set the idle time of cpu-cluster to 10 minutes", "make cpu-cluster scale to zero", "raise max nodes on gpu-cluster to 2",
    ])
    def update(
        self,
        name: Annotated[str, Field(min_length=1, max_length=64), "Name of the existing cluster"],
        min_instances: Annotated[MinInstances | None, "New minimum node count; omit to keep"] = None,
        max_instances: Annotated[MaxInstances | None, "New maximum node count; omit to keep"] = None,
        idle_time_before_scale_down: Annotated[IdleSeconds | None, "New idle seconds before scale-down; omit to keep"] = None,
        size: Annotated[Size | None, "Only to confirm the size: a cluster's VM size can't change in place"] = None,
    ) -> dict:
        """Scale an existing cluster: change its minimum/maximum node count or idle time. The VM size and tier can't change in place."""
        plan = self.preview_update(name, min_instances, max_instances, idle_time_before_scale_down, size)
        from azure.ai.ml.entities import AmlCompute

        desired = plan.desired
        entity = AmlCompute(name=name, size=desired["size"], tier=desired["tier"], **{k: desired[k] for k in SCALE_FIELDS})
        updated = self.client.compute.begin_update(entity).result()
        return {"status": "updated", "compute": compute_summary(updated), "summary": plan.summary}

    def preview_update(self, name: str, min_instances: MinInstances | None = None, max_instances: MaxInstances | None = None,
                       idle_time_before_scale_down: IdleSeconds | None = None, size: Size | None = None) -> Plan:
        current = self._current(name)
        if current["type"] != CLUSTER:
            raise _not_a(current["type"], name, "only clusters scale")
        if size is not None and size.lower() != str(current["size"]).lower():
            raise UserInputError.invalid("size", size, f"differs from {name}'s size ({current['size']}); "
                                         "a cluster's VM size can't change in place: delete it and create it again")
        asked = {"min_instances": min_instances, "max_instances": max_instances, "idle_time_before_scale_down": idle_time_before_scale_down}
        asked = {k: v for k, v in asked.items() if v is not None}
        if not asked:
            raise UserInputError.missing("max_instances", "give min_instances, max_instances or idle_time_before_scale_down")
        desired = {**current, **asked}
        if desired["min_instances"] > desired["max_instances"]:
            raise UserInputError.invalid("min_instances", desired["min_instances"], f"is more than max_instances ({desired['max_instances']})")
        changed = [k for k in SCALE_FIELDS if desired[k] != current[k]]
        summary = ", ".join(f"{k} {current[k]} -> {desired[k]}" for k in changed) or "no change"
        return Plan(
            action="update compute", target=f"compute/{name}", current=current, desired=desired,
            summary=f"compute {name}: {summary}", resource_name=name,
            inverse=ToolCall(tool="compute-update", arguments={"name": name, **{k: current[k] for k in changed}}) if changed else None,
            warnings=[] if changed else [f"{name} already has these settings"],
        )

    @tool(effect="destructive", permission=DELETE, resource_arg="name", examples=[
        "delete cpu-cluster", "remove the gpu cluster", "get rid of compute instance ci-alice", "tear down cpu-cluster",
        "I don't need cpu-cluster anymore, delete it",
    ])
    def delete(self, name: Annotated[str, Field(min_length=1, max_length=64), "Name of the compute to delete"]) -> dict:
        """Delete a compute cluster or compute instance. Jobs can no longer target it; undo creates it again with the same settings."""
        plan = self.preview_delete(name)
        self.client.compute.begin_delete(name).result()
        return {"status": "deleted", "name": name, "summary": plan.summary}

    def preview_delete(self, name: str) -> Plan:
        current = self._current(name)
        recreate: dict[str, Any] = {"name": name, "size": current["size"], "type": current["type"]}
        if current["type"] == CLUSTER:
            recreate.update({k: current[k] for k in ("min_instances", "max_instances", "tier", "idle_time_before_scale_down")})
        warnings = []
        if current["size"] not in VM_SIZES:
            warnings.append(f"size {current['size']} is not in compute-create's list, so undo can't recreate it")
        return Plan(
            action="delete compute", target=f"compute/{name}", current=current, desired=None,
            summary=f"compute {name}: {compute_line(current)} -> absent", resource_name=name,
            inverse=ToolCall(tool="compute-create", arguments=recreate) if not warnings else None, warnings=warnings,
        )

    @tool(effect="write", permission=f"{ML}/computes/start/action", examples=[
        "start ci-alice", "turn on my compute instance", "boot ci-alice", "start compute instance ci-alice",
        "wake up my notebook VM",
    ])
    def start(self, name: Annotated[str, Field(min_length=1, max_length=64), "Name of the compute instance"]) -> dict:
        """Start a stopped compute instance (clusters scale by themselves and don't start or stop)."""
        return self._set_state(self.preview_start(name), self.client.compute.begin_start)

    def preview_start(self, name: str) -> Plan:
        return self._state_plan(name, "Running", "start", "compute-stop")

    @tool(effect="write", permission=f"{ML}/computes/stop/action", examples=[
        "stop ci-alice", "turn off my compute instance", "shut down ci-alice for the night", "stop compute instance ci-alice",
        "pause my notebook VM",
    ])
    def stop(self, name: Annotated[str, Field(min_length=1, max_length=64), "Name of the compute instance"]) -> dict:
        """Stop a running compute instance to save cost; its disk is kept and compute-start resumes it."""
        return self._set_state(self.preview_stop(name), self.client.compute.begin_stop)

    def preview_stop(self, name: str) -> Plan:
        return self._state_plan(name, "Stopped", "stop", "compute-start")

    def _state_plan(self, name: str, state: str, verb: str, undo: str) -> Plan:
        current = self._current(name)
        if current["type"] != INSTANCE:
            raise _not_a(current["type"], name, f"only compute instances {verb}; clusters scale between min and max nodes")
        same = current.get("state") == state
        return Plan(
            action=f"{verb} compute", target=f"compute/{name}", current=current, desired={**current, "state": state},
            summary=f"compute {name}: {current.get('state')} -> {state}", resource_name=name,
            inverse=None if same else ToolCall(tool=undo, arguments={"name": name}),
            warnings=[f"{name} is already {state}"] if same else [],
        )

    def _set_state(self, plan: Plan, operation) -> dict:
        operation(plan.resource_name).result()
        return {"status": plan.desired["state"].lower(), "compute": self._current(plan.resource_name), "summary": plan.summary}
