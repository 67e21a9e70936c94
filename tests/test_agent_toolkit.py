"""A small tool catalog over the REAL local workspace, used by the agent tests.

``ComputeTools`` (compute-list/get/create/scale/delete) and ``DatastoreTools``
(datastores-register) record every execution in ``executed``, so tests can
check that nothing ran without approval. The tests in this file check the
catalog itself, so a broken helper fails here first.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import pytest
from pydantic import Field

from agent.approval import ScriptedApprover
from agent.config import Settings
from agent.events import to_dict
from tools.base import ML, Plan, ToolCall, ToolPlugin, tool
from workspace.errors import ResourceNotFoundError, UserInputError

ROOT_DIR = Path(__file__).resolve().parent.parent

READ, WRITE, DELETE = f"{ML}/computes/read", f"{ML}/computes/write", f"{ML}/computes/delete"
Name = Annotated[str, Field(description="The compute's name.")]
Instances = Annotated[int, Field(ge=1, le=100, description="Most nodes the cluster may scale to.")]


class ComputeTools(ToolPlugin):
    plugin_name = "compute"
    description = "Compute clusters."

    def __init__(self, client: Any, context: Any = None) -> None:
        super().__init__(client, context)
        self.executed: list[tuple[str, dict]] = []

    def _exists(self, name: str) -> Any:
        try:
            return self.client.compute.get(name)
        except ResourceNotFoundError:
            return None

    @tool(effect="read", permission=READ)
    def list(self) -> list[dict]:
        """List the workspace's compute clusters."""
        self.executed.append(("compute-list", {}))
        return [{"name": c.name, "max_instances": c.max_instances} for c in self.client.compute.list()]

    @tool(effect="read", permission=READ)
    def get(self, name: Name) -> dict:
        """Show one compute."""
        self.executed.append(("compute-get", {"name": name}))
        compute = self.client.compute.get(name)
        return {"name": compute.name, "max_instances": compute.max_instances}

    @tool(effect="write", permission=WRITE)
    def create(self, name: Name, max_instances: Instances = 1) -> dict:
        """Create a compute cluster."""
        from azure.ai.ml.entities import AmlCompute

        self.executed.append(("compute-create", {"name": name, "max_instances": max_instances}))
        compute = self.client.compute.begin_create_or_update(AmlCompute(name=name, max_instances=max_instances)).result()
        return {"name": compute.name, "max_instances": compute.max_instances, "status": "created"}

    def preview_create(self, name: Name, max_instances: Instances = 1) -> Plan:
        from workspace.local.names import check_compute_name

        check_compute_name(name, "amlcompute")
        current = self._exists(name)
        if current is not None:
            raise UserInputError.invalid("name", name, "already exists; scale it instead")
        return Plan(
            action="create compute", target=f"compute/{name}", desired={"max_instances": max_instances},
            summary=f"{name}: absent -> 0..{max_instances} nodes", inverse=ToolCall(tool="compute-delete", arguments={"name": name}),
        )

    @tool(effect="write", permission=WRITE)
    def scale(self, name: Name, max_instances: Instances) -> dict:
        """Change a cluster's maximum node count."""
        from azure.ai.ml.entities import AmlCompute

        self.executed.append(("compute-scale", {"name": name, "max_instances": max_instances}))
        self.client.compute.begin_create_or_update(AmlCompute(name=name, max_instances=max_instances)).result()
        return {"name": name, "max_instances": max_instances}

    def preview_scale(self, name: Name, max_instances: Instances) -> Plan:
        current = self.client.compute.get(name)
        return Plan(
            action="scale compute", target=f"compute/{name}", current={"max_instances": current.max_instances},
            desired={"max_instances": max_instances}, summary=f"{name}: {current.max_instances} -> {max_instances} nodes",
            inverse=ToolCall(tool="compute-scale", arguments={"name": name, "max_instances": current.max_instances}),
        )

    @tool(effect="destructive", permission=DELETE, resource_arg="name")
    def delete(self, name: Name) -> str:
        """Delete a compute cluster."""
        self.executed.append(("compute-delete", {"name": name}))
        self.client.compute.begin_delete(name).result()
        return f"deleted {name}"

    def preview_delete(self, name: Name) -> Plan:
        current = self.client.compute.get(name)
        return Plan(
            action="delete compute", target=f"compute/{name}", current={"max_instances": current.max_instances},
            summary=f"{name}: delete", resource_name=name,
            inverse=ToolCall(tool="compute-create", arguments={"name": name, "max_instances": current.max_instances}),
        )


class DatastoreTools(ToolPlugin):
    """A write that takes a secret, and (badly) echoes it back, to prove redaction catches it."""

    plugin_name = "datastores"

    def __init__(self, client: Any, context: Any = None) -> None:
        super().__init__(client, context)
        self.executed: list[tuple[str, dict]] = []

    @tool(effect="write", permission=f"{ML}/datastores/write")
    def register(self, name: str, account_name: str, account_key: str) -> dict:
        """Register an Azure Blob container as a datastore."""
        from azure.ai.ml.entities import AccountKeyConfiguration, AzureBlobDatastore

        self.executed.append(("datastores-register", {"name": name}))
        store = AzureBlobDatastore(
            name=name, account_name=account_name, container_name="data", credentials=AccountKeyConfiguration(account_key=account_key)
        )
        self.client.datastores.create_or_update(store)
        return {"name": name, "message": f"registered {name} using key {account_key}", "credentials": {"account_key": account_key}}

    def preview_register(self, name: str, account_name: str, account_key: str) -> Plan:
        return Plan(
            action="register datastore", target=f"datastore/{name}", desired={"account_name": account_name, "account_key": account_key},
            summary=f"{name}: absent -> azure_blob {account_name}",
        )


def make_settings(workspace_root, **overrides: Any) -> Settings:
    values = {"workspace": workspace_root, "user": "tester", **overrides}
    return Settings(**values)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


async def collect(session: Any, *texts: str) -> list[Any]:
    events = []
    for text in texts:
        async for event in session.send(text):
            events.append(event)
    return events


def kinds(events: list[Any]) -> list[str]:
    return [to_dict(e)["type"] for e in events]


def offline_session(client: Any, approver: Any = None, plugins: Any = None, **options: Any) -> Any:
    from agent.session import Session

    settings = make_settings(client.root, **options.pop("settings", {}))
    return Session(settings, client, approver or ScriptedApprover(), plugins=plugins or [ComputeTools(client)], **options)


# -- the catalog's own checks ---------------------------------------------------


def test_toolkit_specs_classify_every_tool():
    specs = {s.full_name: s.effect for s in ComputeTools.tool_specs().values()}
    assert specs == {
        "compute-list": "read", "compute-get": "read", "compute-create": "write",
        "compute-scale": "write", "compute-delete": "destructive",
    }


def test_toolkit_previews_check_the_real_workspace(client):
    tools = ComputeTools(client)
    plan = tools.preview("create", {"name": "cpu1", "max_instances": 2})
    assert plan.target == "compute/cpu1" and plan.inverse.tool == "compute-delete"
    tools.create(name="cpu1", max_instances=2)
    with pytest.raises(UserInputError):
        tools.preview("create", {"name": "cpu1"})
    assert tools.preview("delete", {"name": "cpu1"}).resource_name == "cpu1"
