"""Shared by the tool tests: a populated workspace driven through the catalog, and its observable state.

(No tests here; pytest collects the module and finds none. Tests import the
``ws`` fixture and ``state`` from it.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tools.base import Plan, ToolContext
from tools.catalog import build_plugins, find

COMPONENT_YAML = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
name: train_model
version: "1"
type: command
inputs:
  training_data:
    type: uri_folder
outputs:
  model_output:
    type: mlflow_model
code: ./src
environment: azureml:{environment}
command: python train.py --data ${{{{inputs.training_data}}}}
"""


@dataclass
class Workspace:
    client: Any
    plugins: list
    folder: Path

    def call(self, tool: str, **arguments: Any) -> Any:
        plugin, function, _ = find(self.plugins, tool)
        return getattr(plugin, function)(**arguments)

    def preview(self, tool: str, **arguments: Any) -> Plan:
        plugin, function, _ = find(self.plugins, tool)
        return plugin.preview(function, arguments)

    def write_component(self, environment: str = "train-env@latest", name: str = "component.yml") -> Path:
        (self.folder / "src").mkdir(exist_ok=True)
        (self.folder / "src" / "train.py").write_text("print('training')\n")
        path = self.folder / name
        path.write_text(COMPONENT_YAML.format(environment=environment))
        return path


def make_workspace(client: Any, folder: Path, diabetes_dir: Path) -> Workspace:
    """A workspace holding one of everything the plugins manage (models aside: see test_tools_models)."""
    ws = Workspace(client, build_plugins(client, ToolContext(user="tester")), folder)
    ws.call("compute-create", name="cpu-cluster", max_instances=4, tier="low_priority")
    ws.call("compute-create", name="ci-alice", type="instance")
    ws.call("datastores-create_blob", name="open_blobs", account_name="mystorage", container_name="public")
    ws.call("data-create", name="diabetes", path=str(diabetes_dir))
    conda = folder / "conda.yml"
    conda.write_text("name: train\ndependencies:\n  - python=3.11\n  - pip:\n    - scikit-learn\n")
    ws.call("environments-create", name="train-env", conda_file=str(conda))
    ws.call("components-create", path=str(ws.write_component()))
    ws.call("access-grant", principal="alice", role="Reader")
    return ws


@pytest.fixture
def ws(client, tmp_path, diabetes_dir) -> Workspace:
    return make_workspace(client, tmp_path, diabetes_dir)


def _versions(group: Any, view: Any) -> list[tuple[str, str]]:
    from azure.ai.ml.constants import ListViewType

    names = {e.name for e in group.list(list_view_type=ListViewType.ALL)}
    return sorted((e.name, str(e.version)) for name in names for e in group.list(name=name, list_view_type=view))


def state(client: Any, *, files: bool = True) -> dict:
    """Everything a tool could change, read through the client (and the workspace's files)."""
    from azure.ai.ml.constants import ListViewType

    computes = sorted(
        (c.name, c.type, c.size, getattr(c, "min_instances", None), getattr(c, "max_instances", None),
         getattr(c, "tier", None), getattr(c, "idle_time_before_scale_down", None), getattr(c, "state", None))
        for c in client.compute.list()
    )
    snapshot = {
        "compute": computes,
        "datastores": sorted((d.name, d.account_name, d.container_name, type(d.credentials).__name__) for d in client.datastores.list()),
        "roles": sorted((a.principal, a.role) for a in client.role_assignments.list()),
    }
    for kind in ("data", "environments", "components", "models"):
        group = getattr(client, kind)
        snapshot[kind] = _versions(group, ListViewType.ACTIVE_ONLY)
        snapshot[f"{kind}_archived"] = _versions(group, ListViewType.ARCHIVED_ONLY)
    if files:
        snapshot["files"] = sorted(
            str(p.relative_to(client.root)) for p in client.root.rglob("*")
            if p.is_file() and not p.name.startswith(("workspace.db", "mlflow.db"))
        )
    return snapshot


def visible_state(client: Any) -> dict:
    """What a person sees after undo: archived versions and snapshot files left behind don't count."""
    snapshot = state(client, files=False)
    return {k: v for k, v in snapshot.items() if not k.endswith("_archived")}
