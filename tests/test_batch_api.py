"""Batch endpoints and deployments without scoring: defaults, deletion rules, round trips, bad input.

Nothing here starts the control plane; every bad request is one UserInputError
line naming the field and the value, and leaves nothing written.
"""

from __future__ import annotations

import pytest

from test_batch_support import (  # noqa: F401
    diabetes_frame, input_folder, make_endpoint, mlflow_model_dir, model_deployment, register_mlflow_model,
    rule_model_dir, score_code,
)
from test_jobs_support import jobs_client, mlflow_db_template  # noqa: F401
from workspace.errors import ResourceNotFoundError, UserInputError


@pytest.fixture
def ready(jobs_client, mlflow_model_dir):  # noqa: F811
    register_mlflow_model(jobs_client, mlflow_model_dir)
    make_endpoint(jobs_client)
    return jobs_client


def test_first_deployment_becomes_default_and_round_trips(ready):
    from azure.ai.ml.entities import BatchEndpoint, ModelBatchDeployment

    first = ready.batch_deployments.begin_create_or_update(
        model_deployment("first", "diabetes-ep", "azureml:diabetes-lr:1", error_threshold=3, retry={"max_retries": 1, "timeout": 7})
    ).result()
    assert isinstance(first, ModelBatchDeployment)
    assert (first.model, first.settings.mini_batch_size, first.settings.max_concurrency_per_instance) == ("azureml:diabetes-lr:1", 2, 2)
    assert (first.settings.error_threshold, first.settings.retry_settings.max_retries, first.settings.retry_settings.timeout) == (3, 1, 7)
    assert (first.settings.output_action, first.settings.output_file_name, first.instance_count) == ("append_row", "predictions.csv", 1)
    ready.batch_deployments.begin_create_or_update(model_deployment("second", "diabetes-ep", "diabetes-lr:1"))
    assert ready.batch_endpoints.get("diabetes-ep").defaults == {"deployment_name": "first"}
    assert sorted(d.name for d in ready.batch_deployments.list("diabetes-ep")) == ["first", "second"]

    ready.batch_endpoints.begin_create_or_update(BatchEndpoint(name="diabetes-ep", defaults={"deployment_name": "second"}))
    assert ready.batch_endpoints.get("diabetes-ep").defaults == {"deployment_name": "second"}
    ready.batch_endpoints.begin_create_or_update(BatchEndpoint(name="diabetes-ep", description="updated"))
    endpoint = ready.batch_endpoints.get("diabetes-ep")
    assert (endpoint.description, endpoint.defaults) == ("updated", {"deployment_name": "second"})  # an update keeps the default


def test_deleting_the_default_needs_another_default_first(ready):
    for name in ("blue-dep", "green-dep"):
        ready.batch_deployments.begin_create_or_update(model_deployment(name, "diabetes-ep", "azureml:diabetes-lr:1"))
    with pytest.raises(UserInputError, match=r"^name: 'blue-dep' is the default deployment .*green-dep"):
        ready.batch_deployments.begin_delete("blue-dep", "diabetes-ep")
    ready.batch_deployments.begin_delete("green-dep", "diabetes-ep").result()
    ready.batch_deployments.begin_delete("blue-dep", "diabetes-ep").result()  # the last one may go
    assert ready.batch_endpoints.get("diabetes-ep").defaults is None
    with pytest.raises(UserInputError, match="^endpoint_name: 'diabetes-ep' has no deployments"):
        ready.batch_endpoints.invoke("diabetes-ep", input=_input("."))

    ready.batch_deployments.begin_create_or_update(model_deployment("again", "diabetes-ep", "azureml:diabetes-lr:1"))
    ready.batch_endpoints.begin_delete("diabetes-ep").result()
    assert list(ready.batch_endpoints.list()) == []
    with pytest.raises(ResourceNotFoundError, match="batch endpoint: 'diabetes-ep' was not found"):
        ready.batch_deployments.list("diabetes-ep")


def test_score_script_deployment_pins_model_and_snapshots_code(ready, rule_model_dir, score_code):
    from azure.ai.ml.entities import CodeConfiguration, Model

    deployment = model_deployment(
        "rule-dep", "diabetes-ep", Model(name="glucose-rule", path=str(rule_model_dir)),
        code_configuration=CodeConfiguration(code=str(score_code), scoring_script="score.py"),
        environment="azureml:AzureML-sklearn-1.5@latest", output_action="summary_only",
    )
    stored = ready.batch_deployments.begin_create_or_update(deployment).result()
    assert stored.model == "azureml:glucose-rule:1"  # the inline model was registered
    assert stored.code_configuration.code.startswith("azureml://datastores/workspaceblobstore/paths/LocalUpload/")
    assert (stored.environment, stored.settings.output_action, stored.settings.output_file_name) == (
        "azureml:AzureML-sklearn-1.5:1", "summary_only", None)
    (score_code / "score.py").write_text("broken")  # the deployment keeps its snapshot
    assert "def run" in _snapshot(ready, stored)


def _snapshot(client, deployment) -> str:
    from workspace.local.operations.datastores import DatastoreOperations

    local = DatastoreOperations(client._ctx).resolve(deployment.code_configuration.code)
    return (local / deployment.code_configuration.scoring_script).read_text()


def _input(path: str, kind: str = "uri_folder"):
    from azure.ai.ml import Input

    return Input(type=kind, path=path)


BAD_ENDPOINTS = [
    ({"name": "ab"}, r"^name: 'ab' is not a valid batch endpoint name"),
    ({"name": "ends-with-"}, r"^name: 'ends-with-' is not a valid batch endpoint name"),
    ({"name": "keyed-ep", "auth_mode": "key"}, r"^auth_mode: 'key' is not supported by batch endpoints"),
    ({"name": "fresh-ep", "defaults": {"deployment_name": "ghost"}}, r"^defaults.deployment_name: 'ghost' is not a deployment .*no deployments yet"),
]


@pytest.mark.parametrize(("fields", "message"), BAD_ENDPOINTS)
def test_bad_endpoints_are_refused(jobs_client, fields, message):  # noqa: F811
    from azure.ai.ml.entities import BatchEndpoint

    with pytest.raises(UserInputError, match=message):
        jobs_client.batch_endpoints.begin_create_or_update(BatchEndpoint(**fields))
    assert list(jobs_client.batch_endpoints.list()) == []


BAD_DEPLOYMENTS = [
    ({"name": "xy"}, r"^name: 'xy' is not a valid batch deployment name"),
    ({"endpoint": "nowhere-ep"}, r"^batch endpoint: 'nowhere-ep' was not found in this workspace \(known: diabetes-ep\)"),
    ({"model": "azureml:nope:1"}, r"^model: .*nope"),
    ({"mini_batch_size": 0}, r"^mini_batch_size: 0 must be 1 or more$"),
    ({"max_concurrency_per_instance": 0}, r"^max_concurrency_per_instance: 0 must be 1 or more$"),
    ({"error_threshold": -2}, r"^error_threshold: -2 must be -1 or more$"),
    ({"retry": {"max_retries": -1, "timeout": 5}}, r"^retry_settings.max_retries: -1 must be 0 or more$"),
    ({"retry": {"max_retries": 1, "timeout": 0}}, r"^retry_settings.timeout: 0 must be 1 or more$"),
    ({"output_action": "summary_only", "output_file_name": "out.csv"}, r"^output_file_name: 'out.csv' is set, but output_action summary_only"),
    ({"output_file_name": "../escape.csv"}, r"^output_file_name: '../escape.csv' must be a file name"),
    ({"logging_level": "chatty"}, r"^logging_level: 'chatty' is not one of debug, info"),
]


@pytest.mark.parametrize(("change", "message"), BAD_DEPLOYMENTS)
def test_bad_deployments_are_refused(ready, change, message):
    change = dict(change)
    name, endpoint, model = change.pop("name", "good-dep"), change.pop("endpoint", "diabetes-ep"), change.pop("model", "azureml:diabetes-lr:1")
    with pytest.raises(UserInputError, match=message):
        ready.batch_deployments.begin_create_or_update(model_deployment(name, endpoint, model, **change))
    assert list(ready.batch_deployments.list("diabetes-ep")) == []
    assert ready.batch_endpoints.get("diabetes-ep").defaults is None


def test_custom_models_need_a_script_and_the_script_must_exist(ready, rule_model_dir, score_code):
    from azure.ai.ml.entities import CodeConfiguration, Model

    ready.models.create_or_update(Model(name="glucose-rule", path=str(rule_model_dir), type="custom_model"))
    with pytest.raises(UserInputError, match=r"^code_configuration: a value is required \(model azureml:glucose-rule:1 is a custom_model"):
        ready.batch_deployments.begin_create_or_update(model_deployment("rule-dep", "diabetes-ep", "azureml:glucose-rule:1"))
    missing = CodeConfiguration(code=str(score_code), scoring_script="nope.py")
    with pytest.raises(UserInputError, match=r"^code_configuration.scoring_script: 'nope.py' is not a file in the code folder"):
        ready.batch_deployments.begin_create_or_update(model_deployment(
            "rule-dep", "diabetes-ep", "azureml:glucose-rule:1", code_configuration=missing, environment="azureml:AzureML-sklearn-1.5@latest"))
    no_env = CodeConfiguration(code=str(score_code), scoring_script="score.py")
    with pytest.raises(UserInputError, match=r"^environment: a value is required"):
        ready.batch_deployments.begin_create_or_update(model_deployment("rule-dep", "diabetes-ep", "azureml:glucose-rule:1", code_configuration=no_env))


def test_bad_invocations_are_refused_before_any_job_exists(ready, input_folder):
    ready.batch_deployments.begin_create_or_update(model_deployment("good-dep", "diabetes-ep", "azureml:diabetes-lr:1"))
    cases = [
        (lambda: ready.batch_endpoints.invoke("ghost-ep", input=_input(str(input_folder))), r"^batch endpoint: 'ghost-ep' was not found"),
        (lambda: ready.batch_endpoints.invoke("diabetes-ep", deployment_name="ghost", input=_input(str(input_folder))),
         r"^deployment_name: 'ghost' was not found .*good-dep"),
        (lambda: ready.batch_endpoints.invoke("diabetes-ep", input=_input(str(input_folder / "missing"))), r"^inputs.input_data: .*missing' does not exist"),
        (lambda: ready.batch_endpoints.invoke("diabetes-ep", input=_input(str(input_folder / "part-0.csv"))),
         r"^inputs.input_data: .*part-0.csv' is a file, but a uri_folder input needs a folder"),
        (lambda: ready.batch_endpoints.invoke("diabetes-ep", input=_input(str(input_folder), "mltable")), r"^inputs.input_data: .*has no MLTable file"),
        (lambda: ready.batch_endpoints.invoke("diabetes-ep", inputs={"a": _input(str(input_folder)), "b": _input(str(input_folder))}),
         r"^inputs: 'a, b' a model deployment takes exactly one input"),
        (lambda: ready.batch_endpoints.invoke("diabetes-ep", input=_input(str(input_folder)), outputs={"other": None}),
         r"^outputs.other: 'other' is not an output of a model deployment"),
        (lambda: ready.batch_endpoints.invoke("diabetes-ep", input=_input(str(input_folder)), job_name="bad name!"), r"^name: 'bad name!' is not a valid job name"),
    ]
    for call, message in cases:
        with pytest.raises(UserInputError, match=message):
            call()
    assert list(ready.jobs.list()) == []
    assert ready.batch_endpoints.list_jobs("diabetes-ep") == []


def test_cli_lists_and_shows_endpoints(ready, cli):
    ready.batch_deployments.begin_create_or_update(model_deployment("good-dep", "diabetes-ep", "azureml:diabetes-lr:1"))
    listed = cli("batch", "list", "--json")
    assert listed.exit_code == 0, listed.output
    assert '"default_deployment": "good-dep"' in listed.output
    shown = cli("batch", "show", "diabetes-ep")
    assert shown.exit_code == 0 and "mini_batch_size: 2" in shown.output, shown.output
    bad = cli("batch", "invoke", "diabetes-ep", "--input", "/no/such/folder")
    assert bad.exit_code == 2 and bad.output.count("\n") == 1 and "does not exist" in bad.output, bad.output


MODEL_DEPLOYMENT_YAML = """\
name: yaml-dep
endpoint_name: yaml-ep
type: model
model: azureml:diabetes-lr:1
compute: azureml:batch-cluster
resources:
  instance_count: 2
settings:
  mini_batch_size: 3
  max_concurrency_per_instance: 2
  output_file_name: scored.csv
  retry_settings:
    max_retries: 2
    timeout: 45
  error_threshold: 1
  logging_level: debug
"""


def test_apply_creates_endpoint_and_model_deployment_from_yaml(jobs_client, mlflow_model_dir, tmp_path, cli):  # noqa: F811
    register_mlflow_model(jobs_client, mlflow_model_dir)
    (tmp_path / "cluster.yml").write_text("name: batch-cluster\ntype: amlcompute\nmax_instances: 2\n")
    (tmp_path / "endpoint.yml").write_text(
        "$schema: https://azuremlschemas.azureedge.net/latest/batchEndpoint.schema.json\nname: yaml-ep\ndescription: from yaml\n")
    (tmp_path / "deployment.yml").write_text(MODEL_DEPLOYMENT_YAML)  # no $schema: known by its shape
    files = [str(tmp_path / f) for f in ("cluster.yml", "endpoint.yml", "deployment.yml")]
    result = cli("apply", *[arg for f in files for arg in ("-f", f)])
    assert result.exit_code == 0, result.output
    assert "batch endpoint yaml-ep created" in result.output and "batch deployment yaml-dep" in result.output
    deployment = jobs_client.batch_deployments.get("yaml-dep", "yaml-ep")
    settings = deployment.settings
    assert (deployment.compute, deployment.instance_count, settings.mini_batch_size, settings.output_file_name) == (
        "batch-cluster", 2, 3, "scored.csv")
    assert (settings.retry_settings.max_retries, settings.retry_settings.timeout, settings.logging_level) == (2, 45, "debug")
    assert jobs_client.batch_endpoints.get("yaml-ep").defaults == {"deployment_name": "yaml-dep"}

    (tmp_path / "too-big.yml").write_text(MODEL_DEPLOYMENT_YAML.replace("instance_count: 2", "instance_count: 3"))
    refused = cli("apply", "-f", str(tmp_path / "too-big.yml"))
    assert refused.exit_code == 2 and "resources.instance_count: 3 is more than compute 'batch-cluster' can run at once (2)" in refused.output
