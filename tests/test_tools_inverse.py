"""Undo: running a write, then the inverse its plan recorded, puts the workspace back."""

from __future__ import annotations

import pytest
from test_tools_support import state, visible_state, ws  # noqa: F401  (ws is a fixture)

from tools.catalog import all_specs

JOB_AND_MODEL_TOOLS = ("models-", "jobs-", "automl-", "schedules-", "online_", "batch_", "rai-")

STRICT, VISIBLE = "strict", "visible"  # a new version is undone by archiving it: it stays, hidden

CASES = [
    ("compute-create", dict(name="gpu-cluster", size="STANDARD_NC6s_v3", max_instances=2), STRICT),
    ("compute-create", dict(name="ci-bob", type="instance"), STRICT),
    ("compute-update", dict(name="cpu-cluster", min_instances=1, max_instances=8, idle_time_before_scale_down=600), STRICT),
    ("compute-delete", dict(name="cpu-cluster"), STRICT),
    ("compute-stop", dict(name="ci-alice"), STRICT),
    ("datastores-create_blob", dict(name="raw", account_name="acct", container_name="raw", account_key="a2V5"), STRICT),
    ("datastores-delete", dict(name="open_blobs"), STRICT),
    ("data-create", dict(name="diabetes", path="{diabetes}/diabetes.csv", description="just the csv"), VISIBLE),
    ("data-create", dict(name="heart", path="{diabetes}", tags={"team": "a"}), VISIBLE),
    ("data-archive", dict(name="diabetes", version="1"), STRICT),
    ("data-archive", dict(name="diabetes"), STRICT),
    ("environments-create", dict(name="train-env", image="python:3.11-slim"), VISIBLE),
    ("environments-archive", dict(name="train-env", version="1"), STRICT),
    ("components-create", dict(path="{folder}/component.yml", version="2"), VISIBLE),
    ("components-archive", dict(name="train_model"), STRICT),
    ("access-grant", dict(principal="bob", role="AzureML Data Scientist"), STRICT),
    ("access-revoke", dict(principal="alice", role="Reader"), STRICT),
]


def test_every_workspace_write_with_an_inverse_is_exercised():
    covered = {case[0] for case in CASES}
    # restore and start are exercised as the inverses of archive and stop.
    inverses_only = {"data-restore", "environments-restore", "components-restore", "compute-start"}
    # models-, jobs-, automl-, schedules- and endpoint writes need MLflow and a control plane: test_tools_models.py,
    # test_tools_jobs.py and test_tools_endpoints.py cover them.
    writes = {name for name, spec in all_specs().items() if spec.effect != "read" and not name.startswith(JOB_AND_MODEL_TOOLS)}
    assert writes - inverses_only == covered


@pytest.mark.parametrize("tool,arguments,compare", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_inverse_undoes_the_change(ws, tool, arguments, compare):
    arguments = {k: v.format(diabetes=ws.folder / "diabetes", folder=ws.folder) if isinstance(v, str) else v
                 for k, v in arguments.items()}
    observe = (lambda: state(ws.client, files=False)) if compare == STRICT else (lambda: visible_state(ws.client))
    before = observe()
    plan = ws.preview(tool, **arguments)
    assert plan.inverse is not None, plan.summary
    ws.call(tool, **arguments)
    assert observe() != before, "the tool changed nothing, so undo proves nothing"
    inverse_plan = ws.preview(plan.inverse.tool, **plan.inverse.arguments)
    ws.call(plan.inverse.tool, **plan.inverse.arguments)
    assert observe() == before
    if compare == STRICT and "account_key" not in arguments:  # undoing the undo redoes it (a secret is never replayed)
        assert inverse_plan.inverse is not None and inverse_plan.inverse.tool == tool


def test_tool_results_are_compact_json(ws):
    import json

    for tool, arguments in [("workspace-summary", {}), ("compute-list", {}), ("data-list", {"include_archived": True}),
                            ("data-get", {"name": "azureml:diabetes:1"}), ("environments-list", {"include_curated": False}),
                            ("components-get", {"name": "train_model@latest"}), ("datastores-list", {}),
                            ("access-list", {}), ("access-check", {"action": "compute-create"})]:
        result = ws.call(tool, **arguments)
        assert len(json.dumps(result)) < 4000, tool


def test_workspace_summary_names_what_exists(ws):
    summary = ws.call("workspace-summary")
    assert summary["computes"] == ["cpu-cluster", "ci-alice"] or sorted(summary["computes"]) == ["ci-alice", "cpu-cluster"]
    assert summary["data"] == ["diabetes"] and summary["environments"] == ["train-env"]
    assert summary["components"] == ["train_model"] and summary["datastores"] == ["workspaceblobstore", "open_blobs"]
    assert summary["counts"]["computes"] == 2 and summary["root"] == str(ws.client.root)
    assert summary["tracking_uri"].startswith("sqlite:///")


def test_access_check_names_roles_and_people(ws):
    ws.call("access-grant", principal="carol", role="AzureML Compute Operator")
    result = ws.call("access-check", action="compute-delete")
    assert result["roles"] == ["Owner", "Contributor", "AzureML Compute Operator"]
    assert result["principals"] == [{"principal": "carol", "roles": ["AzureML Compute Operator"]},
                                    {"principal": "tester", "roles": ["Owner"]}]
    deploy = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/write"
    assert "AzureML Data Scientist" in ws.call("access-check", action=deploy)["roles"]
    with pytest.raises(Exception, match="action: 'deploy-stuff' is neither a tool name"):
        ws.call("access-check", action="deploy-stuff")


def test_data_preview_rows_is_a_small_table(ws):
    table = ws.call("data-preview_rows", name="diabetes@latest", rows=3)
    assert table["columns"][:2] == ["PatientID", "Pregnancies"] and len(table["rows"]) == 3
    assert table["rows"][0][0] == 1354778 and table["total_rows"] == 10000
    with pytest.raises(Exception, match="rows: 51 is invalid"):
        ws.call("data-preview_rows", name="diabetes", rows=51)


def test_listing_an_unknown_asset_names_the_known_ones(ws):
    with pytest.raises(Exception, match=r"data: 'diabetz' was not found in this workspace \(known: diabetes\)"):
        ws.call("data-list", name="diabetz")
    assert [d["version"] for d in ws.call("data-list", name="diabetes")] == ["1"]


def test_get_accepts_references_and_versions(ws):
    assert ws.call("data-get", name="azureml:diabetes:1")["version"] == "1"
    assert ws.call("data-get", name="diabetes", version="latest")["type"] == "mltable"
    assert ws.call("environments-get", name="AzureML-sklearn-1.5")["curated"] is True
    assert ws.call("components-get", name="train_model")["inputs"] == ["training_data"]
    with pytest.raises(Exception, match="only @latest"):
        ws.call("data-get", name="diabetes@prod")
