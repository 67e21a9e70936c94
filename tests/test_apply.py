"""`amlpilot apply -f`: every supported kind from real Azure ML YAML, and every kind of bad input."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest


SCHEMA = "https://azuremlschemas.azureedge.net/latest"
ACCOUNT_KEY = "c2VjcmV0LWtleS1kby1ub3QtcHJpbnQtMTIzNDU2Nzg5MA=="


@pytest.fixture
def write(tmp_path):
    """Write a YAML file (dedented) into tmp_path and return its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    return _write


def ok(result) -> str:
    assert result.exit_code == 0, f"exit {result.exit_code}: {result.output}"
    return result.stdout


def listed(cli, kind: str, *extra: str) -> list[dict]:
    return json.loads(ok(cli("list", kind, "--json", *extra)))


def assert_one_line_error(result, *fragments: str) -> str:
    assert result.exit_code == 2, f"exit {result.exit_code}: {result.output}"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    return lines[0]


CLUSTER = f"""\
    $schema: {SCHEMA}/amlCompute.schema.json
    name: cpu-cluster
    type: amlcompute
    size: STANDARD_DS3_v2
    min_instances: 0
    max_instances: 4
    idle_time_before_scale_down: 120
"""


# -- each supported kind --------------------------------------------------------------


def test_apply_compute_cluster_and_instance(cli, write):
    instance = write("ci.yml", f"""\
        $schema: {SCHEMA}/computeInstance.schema.json
        name: dev-box-01
        type: computeinstance
        size: STANDARD_DS3_v2
    """)
    out = ok(cli("apply", "-f", str(write("cluster.yml", CLUSTER)), "-f", str(instance)))
    assert out.splitlines() == ["compute cpu-cluster created", "compute dev-box-01 created"]
    computes = {c["name"]: c for c in listed(cli, "compute")}
    assert computes["cpu-cluster"]["max_instances"] == 4
    assert computes["cpu-cluster"]["idle_time_before_scale_down"] == 120
    assert computes["dev-box-01"]["type"] == "computeinstance"
    assert computes["dev-box-01"]["state"] == "Running"
    assert ok(cli("apply", "-f", str(write("cluster.yml", CLUSTER)))).strip() == "compute cpu-cluster updated"


def test_datastore_account_key_never_leaves_the_secret_store(cli, write, client, workspace_root):
    path = write("blob.yml", f"""\
        $schema: {SCHEMA}/azureBlob.schema.json
        name: training_blob
        type: azure_blob
        account_name: mystorageacct
        container_name: training
        credentials:
          account_key: {ACCOUNT_KEY}
    """)
    outputs = [
        ok(cli("apply", "-f", str(path))),
        ok(cli("apply", "-f", str(path), "--json")),
        ok(cli("show", "datastore", "training_blob")),
        ok(cli("show", "datastore", "training_blob", "--json")),
        ok(cli("list", "datastores")),
        ok(cli("list", "datastores", "--json")),
    ]
    assert "datastore training_blob created" in outputs[0]
    assert "mystorageacct/training" in outputs[4] and "account key" in outputs[4]
    for output in outputs:
        assert ACCOUNT_KEY not in output
    for db_file in workspace_root.glob("workspace.db*"):  # the WAL too
        assert ACCOUNT_KEY.encode() not in db_file.read_bytes(), db_file.name
    # Stored, not dropped: only an explicit include_secrets gets it back.
    stored = client.datastores.get("training_blob", include_secrets=True)
    assert stored.credentials.account_key == ACCOUNT_KEY


def test_apply_data_assets_file_folder_and_mltable(cli, write, tmp_path, diabetes_dir, client):
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "a.csv").write_text("x,y\n1,2\n")
    files = [
        write("file.yml", f"$schema: {SCHEMA}/data.schema.json\nname: one-file\ntype: uri_file\npath: ./raw/a.csv\n"),
        write("folder.yml", f"$schema: {SCHEMA}/data.schema.json\nname: raw-folder\ntype: uri_folder\npath: ./raw\n"),
        write("table.yml", f"$schema: {SCHEMA}/data.schema.json\nname: diabetes-table\ntype: mltable\npath: {diabetes_dir}\n"),
    ]
    out = ok(cli("apply", *[arg for f in files for arg in ("-f", str(f))]))
    assert out.splitlines() == [
        "data one-file version 1 registered",
        "data raw-folder version 1 registered",
        "data diabetes-table version 1 registered",
    ]
    types = {d["name"]: d["type"] for d in listed(cli, "data")}
    assert types == {"one-file": "uri_file", "raw-folder": "uri_folder", "diabetes-table": "mltable"}
    frame = client.data.load_dataframe("diabetes-table", version="1")
    assert "Diabetic" in frame.columns and len(frame) > 100


def test_apply_environment_with_conda_file_and_image(cli, write):
    write("env/conda.yml", "name: train\ndependencies:\n  - python=3.11\n  - pip:\n    - scikit-learn==1.5.0\n")
    path = write("env/env.yml", f"""\
        $schema: {SCHEMA}/environment.schema.json
        name: sklearn-train
        image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04
        conda_file: ./conda.yml
    """)
    assert ok(cli("apply", "-f", str(path))).strip() == "environment sklearn-train version 1 registered"
    env = json.loads(ok(cli("show", "environment", "sklearn-train", "--json")))
    assert env["image"] == "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04"
    assert {"pip": ["scikit-learn==1.5.0"]} in env["conda_file"]["dependencies"]


def test_apply_command_component_snapshots_its_code(cli, write, tmp_path):
    write("comp/src/train.py", "print('training')\n")
    path = write("comp/train.yml", f"""\
        $schema: {SCHEMA}/commandComponent.schema.json
        name: train_model
        type: command
        version: 1
        code: ./src
        inputs:
          training_data:
            type: uri_folder
        command: python train.py --data ${{{{inputs.training_data}}}}
        environment: azureml:AzureML-sklearn-1.5@latest
    """)
    assert ok(cli("apply", "-f", str(path))).strip() == "component train_model version 1 registered"
    component = json.loads(ok(cli("show", "component", "train_model", "--json")))
    code = Path(component["code"])
    assert (code / "train.py").read_text() == "print('training')\n"
    assert not code.is_relative_to(tmp_path / "comp"), "the code must be a snapshot, not the user's folder"


def test_apply_mlflow_model_folder(cli, write, tmp_path, client):
    if not hasattr(client.models, "create_or_update"):
        pytest.skip("client.models is still a placeholder (workspace/local/operations/models.py)")
    import mlflow.sklearn
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    # Explicit requirements: inferring them runs the model in a subprocess (seconds).
    mlflow.sklearn.save_model(model, str(tmp_path / "model" / "mlflow-model"), pip_requirements=["scikit-learn"])
    path = write("model/model.yml", f"""\
        $schema: {SCHEMA}/model.schema.json
        name: diabetes-classifier
        type: mlflow_model
        path: ./mlflow-model
        tags:
          stage: test
    """)
    assert ok(cli("apply", "-f", str(path))).strip() == "model diabetes-classifier version 1 registered"
    [shown] = listed(cli, "models")
    assert (shown["name"], shown["version"], shown["type"]) == ("diabetes-classifier", "1", "mlflow_model")
    assert shown["tags"] == {"stage": "test"}
    assert "stage=test" in ok(cli("list", "model"))


# -- bad input: exit 2, one line naming field and value, nothing written ---------------


BAD_INPUTS = {
    "compute name starts with a digit": (
        "amlCompute", "name: 1bad\ntype: amlcompute\n", "compute", ["name: '1bad'"]),
    "compute name too long": (
        "amlCompute", "name: cluster-name-is-17\ntype: amlcompute\n", "compute", ["name: 'cluster-name-is-17'"]),
    "schema failure": (
        "amlCompute", "name: cpu\ntype: amlcompute\nmax_instances: four\n", "compute",
        ["bad.yml: max_instances: 'four' is invalid: Not a valid integer."]),
    "required field missing": (
        "commandComponent", "name: train\ntype: command\nenvironment: azureml:AzureML-sklearn-1.5@latest\n", "component",
        ["bad.yml: command: Missing data for required field."]),
    "value outside its set": (
        "amlCompute", "name: cpu\ntype: amlcompute\ntier: gold\n", "compute", ["bad.yml: tier: 'gold' is invalid"]),
    "missing local path": (
        "data", "name: gone\ntype: uri_file\npath: ./nope.csv\n", "data", ["path: ", "nope.csv", "does not exist"]),
    "unknown environment reference": (
        "commandComponent", "name: train\ntype: command\ncommand: echo hi\nenvironment: azureml:nope@latest\n",
        "component", ["environment", "'nope'", "not found"]),
    "malformed YAML": (
        "amlCompute", "name: cpu\n  type: : amlcompute\n", "compute", ["bad.yml", "line 3"]),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS), ids=list(BAD_INPUTS))
def test_bad_input_is_one_line_and_writes_nothing(cli, write, case):
    schema, body, kind, fragments = BAD_INPUTS[case]
    path = write("bad.yml", f"$schema: {SCHEMA}/{schema}.schema.json\n{body}")
    assert_one_line_error(cli("apply", "-f", str(path)), *fragments)
    assert [e["name"] for e in listed(cli, kind)] == []


def test_duplicate_data_version_with_new_content_is_refused(cli, write, tmp_path):
    (tmp_path / "v.csv").write_text("a\n1\n")
    path = write("data.yml", f"$schema: {SCHEMA}/data.schema.json\nname: scores\nversion: '1'\ntype: uri_file\npath: ./v.csv\n")
    ok(cli("apply", "-f", str(path)))
    [before] = listed(cli, "data", "--name", "scores")
    (tmp_path / "v.csv").write_text("a\n2\n")
    assert_one_line_error(cli("apply", "-f", str(path)), "version: ", "'1'", "already exists with different content")
    assert listed(cli, "data", "--name", "scores") == [before]


def test_missing_file_unknown_kind_and_job_each_say_so(cli, write, tmp_path):
    assert_one_line_error(cli("apply", "-f", str(tmp_path / "absent.yml")), "file: ", "absent.yml", "does not exist")
    unknown = write("what.yml", "name: mystery\ncolour: blue\n")
    assert_one_line_error(cli("apply", "-f", str(unknown)), "what.yml", "Supported kinds: compute, datastore, data")
    # Jobs are submitted (tests/test_job_cli.py runs them); one that can't run is refused before anything is queued.
    job = write("job.yml", f"""\
        $schema: {SCHEMA}/commandJob.schema.json
        command: echo hello
        environment: azureml:AzureML-sklearn-1.5@latest
        compute: azureml:nowhere
    """)
    assert_one_line_error(cli("apply", "-f", str(job)), "compute: 'nowhere' was not found in this workspace")
    from workspace.local.controlplane import controlplane_status

    assert not controlplane_status(tmp_path / "ws")["running"] and listed(cli, "compute") == []


def test_every_file_is_checked_before_anything_is_written(cli, write):
    good = write("cluster.yml", CLUSTER)
    bad = write("bad.yml", f"$schema: {SCHEMA}/amlCompute.schema.json\nname: x2\ntype: amlcompute\nmax_instances: many\n")
    assert_one_line_error(cli("apply", "-f", str(good), "-f", str(bad)), "max_instances: 'many'")
    assert listed(cli, "compute") == []


@pytest.mark.parametrize("document, kind", [
    ({"$schema": f"{SCHEMA}/managedOnlineDeployment.schema.json"}, "online deployment"),
    ({"$schema": f"{SCHEMA}/pipelineComponentBatchDeployment.schema.json"}, "pipeline component batch deployment"),
    ({"$schema": f"{SCHEMA}/sweepJob.schema.json"}, "job"),
    ({"$schema": f"{SCHEMA}/azureDataLakeGen2.schema.json"}, "datastore"),
    ({"type": "computeinstance"}, "compute"),
    ({"type": "azure_file"}, "datastore"),
    ({"type": "mltable"}, "data"),
    ({"type": "custom_model"}, "model"),
    ({"type": "command", "version": 1}, "component"),
    ({"type": "command", "compute": "azureml:cpu"}, "job"),
    ({"type": "automl", "task": "classification"}, "job"),
    ({"image": "python:3.11"}, "environment"),
    ({"endpoint_name": "ep", "instance_type": "Standard_DS3_v2"}, "online deployment"),
    ({"endpoint_name": "ep", "mini_batch_size": 10}, "batch deployment"),
    ({"trigger": {"type": "cron"}, "create_job": "job.yml"}, "schedule"),
])
def test_kind_comes_from_schema_then_type_then_shape(document, kind):
    from workspace.loaders import detect_kind

    assert detect_kind(document, Path("x.yml")) == kind
