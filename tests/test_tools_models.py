"""models-*: previews, errors, undo and download, on one workspace per module (MLflow's registry is slow to create)."""

from __future__ import annotations

import pytest
from test_tools_support import Workspace, state, visible_state

from tools.base import ToolContext
from tools.catalog import all_specs, build_plugins
from workspace.errors import ResourceNotFoundError, UserInputError

MLMODEL = "artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    python_version: 3.11.7\n"


@pytest.fixture(scope="module")
def mws(tmp_path_factory):
    from workspace.local import LocalMLClient

    folder = tmp_path_factory.mktemp("models")
    client = LocalMLClient(folder / "ws", user="tester", secrets_backend="file")
    ws = Workspace(client, build_plugins(client, ToolContext(user="tester")), folder)
    (folder / "custom").mkdir()
    (folder / "custom" / "weights.bin").write_bytes(b"\x00weights")
    (folder / "flow").mkdir()
    (folder / "flow" / "MLmodel").write_text(MLMODEL)
    ws.call("models-create", name="credit", path=str(folder / "custom"), description="first", tags={"team": "risk"})
    yield ws
    client.close()


def test_every_model_write_is_covered_here():
    writes = {name for name, spec in all_specs().items() if spec.effect != "read" and name.startswith("models-")}
    assert writes == {"models-create", "models-archive", "models-restore", "models-download"}


def test_create_preview_plans_a_new_version_and_changes_nothing(mws):
    before = state(mws.client)
    plan = mws.preview("models-create", name="credit", path=str(mws.folder / "flow"))
    assert state(mws.client) == before
    assert plan.summary == f"model credit: latest 1 -> version 2 (mlflow_model {mws.folder / 'flow'})"
    assert (plan.inverse.tool, plan.inverse.arguments) == ("models-archive", {"name": "credit", "version": "2"})
    fresh = mws.preview("models-create", name="brand-new", path=str(mws.folder / "custom" / "weights.bin"))
    assert fresh.summary.startswith("model brand-new: absent -> version 1 (custom_model ") and fresh.current is None
    run = mws.preview("models-create", name="from-run", path="runs:/0123abcd/model")
    assert run.desired["type"] == "mlflow_model"


@pytest.mark.parametrize("arguments,error,message", [
    (dict(name="m", path="{folder}/nowhere"), UserInputError, "path: '{folder}/nowhere' does not exist"),
    (dict(name="m", path="{folder}/custom", type="mlflow_model"), UserInputError, "has no MLmodel file"),
    (dict(name="m", path="{folder}/custom", type="triton_model"), UserInputError, "type: 'triton_model' is invalid"),
    (dict(name="m", path="azureml://datastores/nostore/paths/m"), ResourceNotFoundError, "datastore: 'nostore'"),
])
def test_create_refuses_bad_input(mws, arguments, error, message):
    arguments = {k: v.format(folder=mws.folder) for k, v in arguments.items()}
    before = state(mws.client)
    pattern = message.format(folder=mws.folder).replace("(", r"\(")
    with pytest.raises(error, match=pattern):
        mws.preview("models-create", **arguments)  # the preview itself refuses: nothing to approve
    with pytest.raises(error, match=pattern):
        mws.call("models-create", **arguments)
    assert state(mws.client) == before


def test_archive_and_restore_previews_and_errors(mws):
    before = state(mws.client)
    plan = mws.preview("models-archive", name="credit", version="1")
    assert plan.summary == "model credit:1: active -> archived"
    assert mws.preview("models-restore", name="credit").warnings == ["model credit (all versions) is already active"]
    with pytest.raises(ResourceNotFoundError, match="known: credit"):
        mws.preview("models-archive", name="debit")
    with pytest.raises(ResourceNotFoundError, match="has no version '9'"):
        mws.preview("models-restore", name="credit", version="9")
    assert state(mws.client) == before


def test_new_version_is_undone_by_archiving_it(mws):
    before = visible_state(mws.client)
    plan = mws.preview("models-create", name="credit", path=str(mws.folder / "flow"), version="v2-flow")
    result = mws.call("models-create", name="credit", path=str(mws.folder / "flow"), version="v2-flow")
    assert result["model"]["type"] == "mlflow_model" and result["model"]["version"] == "v2-flow"
    assert visible_state(mws.client) != before
    mws.call(plan.inverse.tool, **plan.inverse.arguments)
    assert visible_state(mws.client) == before


def test_archive_is_undone_by_restore(mws):
    before = state(mws.client, files=False)
    plan = mws.preview("models-archive", name="credit", version="1")
    mws.call("models-archive", name="credit", version="1")
    assert state(mws.client, files=False) != before
    assert mws.call("models-list") == [] or all(m["version"] != "1" for m in mws.call("models-list"))
    mws.call(plan.inverse.tool, **plan.inverse.arguments)
    assert state(mws.client, files=False) == before


def test_download_previews_then_writes_files(mws, tmp_path):
    target = tmp_path / "out"
    plan = mws.preview("models-download", name="credit:1", download_path=str(target))
    assert not target.exists() and plan.inverse is None
    assert plan.summary == f"model credit:1 -> files in {target / 'credit'}"
    result = mws.call("models-download", name="credit", version="1", download_path=str(target))
    assert (target / "credit" / "custom" / "weights.bin").read_bytes() == b"\x00weights"
    assert result["path"] == str(target / "credit")
    again = mws.preview("models-download", name="credit", version="1", download_path=str(target))
    assert "overwritten" in again.warnings[0]


def test_list_and_get_are_compact(mws):
    got = mws.call("models-get", name="azureml:credit:1")
    assert {k: got[k] for k in ("name", "version", "type", "description", "tags")} == {
        "name": "credit", "version": "1", "type": "custom_model", "description": "first", "tags": {"team": "risk"}}
    assert got["created_by"] == "tester"
    assert [m["name"] for m in mws.call("models-list")] == ["credit"]
    assert "credit" in mws.call("workspace-summary")["models"]
