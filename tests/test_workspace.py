"""client.workspaces, from_config, and start-up staying light."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from workspace.errors import UserInputError


def test_workspace_entity_points_at_its_mlflow_store(client, workspace_root):
    from azure.ai.ml.entities import Workspace

    workspace = client.workspaces.get()
    assert isinstance(workspace, Workspace)
    assert workspace.name == "ws"
    assert workspace.mlflow_tracking_uri == f"sqlite:///{workspace_root.resolve() / 'mlflow' / 'mlflow.db'}"
    assert [w.name for w in client.workspaces.list()] == ["ws"]


def test_mlflow_tracking_uri_works_with_mlflow(client):
    import mlflow

    from workspace.local.mlflow_store import ensure_store

    ensure_store(client._ctx)
    mlflow.set_tracking_uri(client.workspaces.get().mlflow_tracking_uri)
    try:
        with mlflow.start_run() as run:
            mlflow.log_metric("auc", 0.9)
        stored = mlflow.get_run(run.info.run_id)
        assert stored.data.metrics["auc"] == 0.9
        assert stored.info.artifact_uri.startswith(client.paths.mlflow_artifacts.as_uri())
    finally:
        mlflow.set_tracking_uri(None)


def test_from_config_finds_config_json_in_parents(tmp_path):
    from workspace.local import LocalMLClient

    (tmp_path / ".azureml").mkdir()
    (tmp_path / ".azureml" / "config.json").write_text(json.dumps({"workspace_root": "ws-folder"}))
    nested = tmp_path / "project" / "notebooks"
    nested.mkdir(parents=True)
    client = LocalMLClient.from_config(nested)
    assert client.root == (tmp_path / "ws-folder").resolve()


def test_from_config_errors_are_one_line(tmp_path):
    from workspace.local import LocalMLClient

    with pytest.raises(UserInputError, match="has no config.json"):
        LocalMLClient.from_config(tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(UserInputError, match="not valid JSON"):
        LocalMLClient.from_config(tmp_path / "config.json")


def test_importing_the_client_and_settings_loads_no_heavy_library():
    code = (
        "import sys, workspace.local, agent.config;"
        "heavy = [m for m in ('mlflow', 'azure.ai.ml', 'sklearn', 'pandas', 'mltable') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_creator_is_owner_and_roles_can_be_granted(client):
    from workspace.errors import UserInputError as InputError

    assert client.role_assignments.roles_of("tester") == ["Owner"]
    client.role_assignments.create("bob", "reader")
    assert client.role_assignments.roles_of("bob") == ["Reader"]
    with pytest.raises(InputError, match="role: 'Boss'"):
        client.role_assignments.create("bob", "Boss")
    with pytest.raises(InputError, match="last Owner"):
        client.role_assignments.delete("tester", "Owner")
    client.role_assignments.delete("bob", "Reader")
    assert client.role_assignments.roles_of("bob") == []
