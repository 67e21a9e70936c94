"""Previews: a sensible plan for every write, nothing changed by previewing, one-line errors for bad input."""

from __future__ import annotations

import pytest
from test_tools_support import state, ws  # noqa: F401  (ws is a fixture)

from tools.catalog import all_specs

JOB_AND_MODEL_TOOLS = ("models-", "jobs-", "automl-", "schedules-", "online_", "batch_", "rai-")
from workspace.errors import ResourceNotFoundError, UserInputError

# tool, arguments, expected summary, expected inverse (tool, arguments) or None, expected warning fragment or None
PREVIEWS = [
    ("compute-create", dict(name="gpu-cluster", size="STANDARD_NC6s_v3", max_instances=2),
     "compute gpu-cluster: absent -> STANDARD_NC6s_v3 x 0..2, dedicated", ("compute-delete", {"name": "gpu-cluster"}), None),
    ("compute-create", dict(name="ci-bob", type="instance", max_instances=3),
     "compute ci-bob: absent -> STANDARD_DS3_v2 instance, Running", ("compute-delete", {"name": "ci-bob"}), "clusters only"),
    ("compute-update", dict(name="cpu-cluster", max_instances=8),
     "compute cpu-cluster: max_instances 4 -> 8", ("compute-update", {"name": "cpu-cluster", "max_instances": 4}), None),
    ("compute-update", dict(name="cpu-cluster", max_instances=4), "compute cpu-cluster: no change", None, "already has"),
    ("compute-delete", dict(name="cpu-cluster"), "compute cpu-cluster: STANDARD_DS3_v2 x 0..4, low priority -> absent",
     ("compute-create", {"name": "cpu-cluster", "size": "STANDARD_DS3_v2", "type": "cluster", "min_instances": 0,
                         "max_instances": 4, "tier": "low_priority", "idle_time_before_scale_down": 120}), None),
    ("compute-stop", dict(name="ci-alice"), "compute ci-alice: Running -> Stopped", ("compute-start", {"name": "ci-alice"}), None),
    ("compute-start", dict(name="ci-alice"), "compute ci-alice: Running -> Running", None, "already Running"),
    ("datastores-create_blob", dict(name="raw", account_name="acct", container_name="raw", sas_token="sv=1&sig=x"),
     "datastore raw: absent -> azure_blob acct/raw, sas token ***", ("datastores-delete", {"name": "raw"}), None),
    ("datastores-delete", dict(name="open_blobs"), "datastore open_blobs: mystorage/public -> absent",
     ("datastores-create_blob", {"name": "open_blobs", "account_name": "mystorage", "container_name": "public"}), None),
    ("data-create", dict(name="diabetes", path="{diabetes}/diabetes.csv"),
     "data diabetes: latest 1 -> version 2 (uri_file {diabetes}/diabetes.csv)", ("data-archive", {"name": "diabetes", "version": "2"}), None),
    ("data-create", dict(name="diabetes", path="{diabetes}", version="1"),
     "data diabetes:1: exists -> same version again (mltable {diabetes}); only description and tags can change", None, "immutable"),
    ("data-archive", dict(name="diabetes", version="1"), "data diabetes:1: active -> archived",
     ("data-restore", {"name": "diabetes", "version": "1"}), None),
    ("data-restore", dict(name="diabetes"), "data diabetes (all versions): active -> active", None, "already active"),
    ("environments-create", dict(name="train-env", image="python:3.11-slim"),
     "environment train-env: latest 1 -> version 2 (python:3.11-slim)", ("environments-archive", {"name": "train-env", "version": "2"}), None),
    ("environments-archive", dict(name="train-env"), "environment train-env (all versions): active -> archived",
     ("environments-restore", {"name": "train-env"}), None),
    ("environments-restore", dict(name="train-env", version="1"), "environment train-env:1: active -> active", None, "already"),
    ("components-create", dict(path="{folder}/component.yml", version="2"),
     "component train_model: latest 1 -> version 2 (command component from {folder}/component.yml)",
     ("components-archive", {"name": "train_model", "version": "2"}), None),
    ("components-archive", dict(name="train_model", version="latest"), "component train_model:1: active -> archived",
     ("components-restore", {"name": "train_model", "version": "1"}), None),
    ("components-restore", dict(name="train_model", version="1"), "component train_model:1: active -> active", None, "already"),
    ("access-grant", dict(principal="bob", role="contributor"), "access bob: no role -> Contributor",
     ("access-revoke", {"principal": "bob", "role": "Contributor"}), None),
    ("access-grant", dict(principal="alice", role="Reader"), "access alice: Reader -> Reader", None, "already holds"),
    ("access-revoke", dict(principal="alice", role="Reader"), "access alice: Reader -> no role",
     ("access-grant", {"principal": "alice", "role": "Reader"}), None),
]


def _fill(value, ws):
    if isinstance(value, str):
        return value.format(diabetes=ws.folder / "diabetes", folder=ws.folder)
    return value


def test_every_workspace_write_has_a_preview_case():
    # models-, jobs-, automl-, schedules- and endpoint writes need MLflow and a control plane: test_tools_models.py,
    # test_tools_jobs.py and test_tools_endpoints.py cover them.
    writes = {name for name, spec in all_specs().items() if spec.effect != "read" and not name.startswith(JOB_AND_MODEL_TOOLS)}
    assert writes == {case[0] for case in PREVIEWS}


@pytest.mark.parametrize("tool,arguments,summary,inverse,warning", PREVIEWS, ids=[f"{c[0]}-{i}" for i, c in enumerate(PREVIEWS)])
def test_preview_plans_and_changes_nothing(ws, tool, arguments, summary, inverse, warning):
    arguments = {k: _fill(v, ws) for k, v in arguments.items()}
    before = state(ws.client)
    plan = ws.preview(tool, **arguments)
    assert state(ws.client) == before
    assert plan.summary == _fill(summary, ws)
    assert (plan.inverse.tool, plan.inverse.arguments) == inverse if inverse else plan.inverse is None
    assert any(warning in w for w in plan.warnings) if warning else plan.warnings == []
    spec = all_specs()[tool]
    assert plan.resource_name == arguments.get(spec.resource_arg or "name", plan.resource_name)
    if " absent -> " in plan.summary or plan.action.startswith("create"):
        assert plan.current is None or "exists" in plan.summary
    plan.model_dump_json()  # the approval filter and the audit log store it


# tool, arguments, error class, message fragment
ERRORS = [
    ("compute-create", dict(name="cpu-cluster"), UserInputError, "name: 'cpu-cluster' already exists (STANDARD_DS3_v2 x 0..4"),
    ("compute-create", dict(name="big", size="STANDARD_XXL"), UserInputError, "size: 'STANDARD_XXL' is invalid"),
    ("compute-create", dict(name="c1", min_instances=5, max_instances=2), UserInputError, "min_instances: 5 is more than max_instances (2)"),
    ("compute-create", dict(name="a-very-long-cluster"), UserInputError, "too long for a cluster"),
    ("compute-create", dict(name="-bad"), UserInputError, "name: '-bad' is invalid"),
    ("compute-update", dict(name="cpu-cluster", size="STANDARD_DS4_v2", max_instances=8), UserInputError, "can't change in place"),
    ("compute-update", dict(name="gpu", max_instances=8), ResourceNotFoundError, "known: ci-alice, cpu-cluster"),
    ("compute-update", dict(name="ci-alice", max_instances=8), UserInputError, "only clusters scale"),
    ("compute-update", dict(name="cpu-cluster", min_instances=6), UserInputError, "min_instances: 6 is more than max_instances (4)"),
    ("compute-update", dict(name="cpu-cluster"), UserInputError, "give min_instances, max_instances"),
    ("compute-start", dict(name="cpu-cluster"), UserInputError, "only compute instances start"),
    ("compute-delete", dict(name="nope"), ResourceNotFoundError, "compute: 'nope' was not found"),
    ("datastores-create_blob", dict(name="x", account_name="acct", container_name="cont", account_key="k", sas_token="s"),
     UserInputError, "give one of them"),
    ("datastores-create_blob", dict(name="Bad-Name", account_name="acct", container_name="cont"), UserInputError, "name: 'Bad-Name'"),
    ("datastores-delete", dict(name="workspaceblobstore"), UserInputError, "default datastore"),
    ("datastores-delete", dict(name="nope"), ResourceNotFoundError, "known: workspaceblobstore, open_blobs"),
    ("data-create", dict(name="d", path="{folder}/nope.csv"), UserInputError, "path: '{folder}/nope.csv' does not exist"),
    ("data-create", dict(name="d", path="{diabetes}", type="uri_file"), UserInputError, "is a folder, but a uri_file"),
    ("data-create", dict(name="d", path="{folder}/src", type="mltable"), UserInputError, "has no MLTable file"),
    ("data-create", dict(name="d", path="azureml://datastores/nostore/paths/x/"), ResourceNotFoundError, "datastore: 'nostore'"),
    ("data-create", dict(name="bad name", path="{diabetes}"), UserInputError, "name: 'bad name' is invalid"),
    ("data-archive", dict(name="nope"), ResourceNotFoundError, "known: diabetes"),
    ("data-archive", dict(name="diabetes", version="9"), ResourceNotFoundError, "has no version '9'"),
    ("environments-create", dict(name="AzureML-sklearn-1.5", image="x"), UserInputError, "reserved for curated"),
    ("environments-create", dict(name="sklearn-1.5", image="x"), UserInputError, "curated environment name"),
    ("environments-create", dict(name="e"), UserInputError, "image: a value is required"),
    ("environments-create", dict(name="e", conda_file="{folder}/missing.yml"), UserInputError, "conda_file: '{folder}/missing.yml' does not exist"),
    ("environments-archive", dict(name="AzureML-sklearn-1.5"), UserInputError, "curated environment"),
    ("components-create", dict(path="{folder}/missing.yml"), UserInputError, "path: '{folder}/missing.yml' does not exist"),
    ("components-create", dict(path="{folder}/conda.yml"), UserInputError, "conda.yml"),
    ("access-grant", dict(principal="bob", role="Boss"), UserInputError, "role: 'Boss' is invalid"),
    ("access-grant", dict(principal="bob smith", role="Reader"), UserInputError, "principal: 'bob smith' is invalid"),
    ("access-revoke", dict(principal="alice", role="Owner"), ResourceNotFoundError, "'alice' does not hold 'Owner' (holds: Reader)"),
    ("access-revoke", dict(principal="tester", role="Owner"), UserInputError, "last Owner"),
]


@pytest.mark.parametrize("tool,arguments,error,message", ERRORS, ids=[f"{c[0]}-{i}" for i, c in enumerate(ERRORS)])
def test_preview_refuses_bad_input_in_one_line(ws, tool, arguments, error, message):
    arguments = {k: _fill(v, ws) for k, v in arguments.items()}
    before = state(ws.client)
    with pytest.raises(error) as raised:
        ws.preview(tool, **arguments)
    assert _fill(message, ws) in str(raised.value)
    assert "\n" not in str(raised.value)
    # The tool refuses the same way: it previews first.
    with pytest.raises(error):
        ws.call(tool, **arguments)
    assert state(ws.client) == before


def test_component_with_an_unknown_environment_is_refused(ws):
    path = ws.write_component(environment="no-such-env@latest", name="other.yml")
    with pytest.raises(ResourceNotFoundError, match="no-such-env"):
        ws.preview("components-create", path=str(path))


def test_an_unknown_datastore_path_inside_the_default_store_is_checked(ws):
    with pytest.raises(UserInputError, match="does not exist"):
        ws.preview("data-create", name="d", path="azureml://datastores/workspaceblobstore/paths/nothing/here.csv")
