"""Batch scoring jobs run by the control plane: real worker processes, real MLflow model, real files.

Four CSV files, mini_batch_size 2, 2 workers, one file corrupt: error_threshold
decides whether the job completes (with predictions for the good files,
checked row by row against the model's own predict) or fails naming the file.
"""

from __future__ import annotations

import pytest

from test_batch_support import (  # noqa: F401
    CORRUPT, FEATURES, ROWS_PER_FILE, diabetes_frame, good_files, input_folder, make_endpoint, mlflow_model_dir,
    model_deployment, register_mlflow_model, rule_model_dir, score_code,
)
from test_jobs_support import job_log, jobs_client, mlflow_db_template, wait_status  # noqa: F401

pytestmark = pytest.mark.slow


@pytest.fixture
def endpoint(jobs_client, mlflow_model_dir):  # noqa: F811
    register_mlflow_model(jobs_client, mlflow_model_dir)
    make_endpoint(jobs_client)
    return jobs_client


def _predictions(client, job_name, tmp_path, file_name="predictions.csv"):
    import pandas as pd

    client.jobs.download(job_name, download_path=tmp_path / "dl", output_name="score")
    return pd.read_csv(tmp_path / "dl" / "named-outputs" / "score" / file_name, header=None, names=["row", "prediction", "file_name"])


def test_threshold_allows_the_corrupt_file_and_predictions_match_the_model(endpoint, input_folder, mlflow_model_dir, tmp_path, cli):
    import mlflow.sklearn
    import numpy as np
    import pandas as pd

    endpoint.batch_deployments.begin_create_or_update(model_deployment("lr-dep", "diabetes-ep", "azureml:diabetes-lr:1", error_threshold=1))
    result = cli("batch", "invoke", "diabetes-ep", "--input", str(input_folder), "--stream")
    assert result.exit_code == 0, result.output
    name = result.output.split()[1]
    job = endpoint.jobs.get(name)
    assert (job.type, job.status, job.experiment_name) == ("pipeline", "Completed", "diabetes-ep")
    props = job.properties
    assert (props["azureml.batch.files"], props["azureml.batch.files_failed"], props["azureml.batch.mini_batches"]) == ("4", "1", "2")
    assert props["azureml.batchDeployment"] == "lr-dep" and props["azureml.batch.rows"] == str(3 * ROWS_PER_FILE)
    assert f"{CORRUPT} failed" in job_log(endpoint, name)
    assert [j.name for j in endpoint.jobs.list()] == [name]  # a job like any other

    predictions = _predictions(endpoint, name, tmp_path)
    model = mlflow.sklearn.load_model(str(mlflow_model_dir))
    assert sorted(predictions["file_name"].unique()) == [p.name for p in good_files(input_folder)]
    for path in good_files(input_folder):
        rows = predictions[predictions["file_name"] == path.name].sort_values("row")
        assert list(rows["row"]) == list(range(ROWS_PER_FILE))
        np.testing.assert_array_equal(rows["prediction"].to_numpy(), model.predict(pd.read_csv(path)[FEATURES]))

    listed = [j.name for j in endpoint.batch_endpoints.list_jobs("diabetes-ep")]
    assert listed == [name] and [j.status for j in endpoint.batch_deployments.list_jobs("diabetes-ep", name="lr-dep")] == ["Completed"]
    jobs = cli("batch", "jobs", "diabetes-ep", "--json")
    assert jobs.exit_code == 0 and f'"name": "{name}"' in jobs.output and '"files_failed": "1"' in jobs.output, jobs.output


def test_threshold_exceeded_fails_the_job_naming_the_file(endpoint, input_folder):
    from azure.ai.ml import Input

    endpoint.batch_deployments.begin_create_or_update(model_deployment("strict-dep", "diabetes-ep", "azureml:diabetes-lr:1", error_threshold=0))
    job = endpoint.batch_endpoints.invoke("diabetes-ep", input=Input(type="uri_folder", path=str(input_folder)))
    failed = wait_status(endpoint, job.name, "Failed")
    error = failed.properties["error"]
    assert error.startswith(f"error_threshold: 1 file(s) failed, more than the deployment allows (0); first failure: {CORRUPT}: "), error
    assert "\n" not in error
    score = endpoint.root / "datastores" / "workspaceblobstore" / "azureml" / job.name / "score"
    assert not (score / "predictions.csv").exists()  # a failed job writes no partial output


def test_score_script_retries_failures_timeouts_and_crashes_then_summary_only(endpoint, input_folder, rule_model_dir, score_code, tmp_path):
    import pandas as pd
    from azure.ai.ml import Input
    from azure.ai.ml.entities import CodeConfiguration, Model

    (input_folder / CORRUPT).unlink()
    marks = tmp_path / "marks"
    marks.mkdir()
    code = CodeConfiguration(code=str(score_code), scoring_script="score.py")
    flaky = model_deployment(
        "flaky-dep", "diabetes-ep", Model(name="glucose-rule", path=str(rule_model_dir)), code_configuration=code,
        environment="azureml:AzureML-sklearn-1.5@latest", retry={"max_retries": 1, "timeout": 4}, error_threshold=0,
        environment_variables={"FLAKY": "1", "MARKS": str(marks)}, mini_batch_size=1,
    )
    summary = model_deployment("summary-dep", "diabetes-ep", "azureml:glucose-rule:1", code_configuration=code,
                               environment="azureml:AzureML-sklearn-1.5@latest", output_action="summary_only")
    endpoint.batch_deployments.begin_create_or_update(flaky)
    endpoint.batch_deployments.begin_create_or_update(summary)
    data = Input(type="uri_folder", path=str(input_folder))
    retried = endpoint.batch_endpoints.invoke("diabetes-ep", deployment_name="flaky-dep", input=data)
    quiet = endpoint.batch_endpoints.invoke("diabetes-ep", deployment_name="summary-dep", input=data)

    done = wait_status(endpoint, retried.name, "Completed")
    log = job_log(endpoint, retried.name)
    assert "mini-batch 0 attempt 1/2 failed: RuntimeError: transient failure on part-0.csv; retrying" in log, log
    assert "mini-batch 1 attempt 1/2 failed: timed out after 4 s (retry_settings.timeout); retrying" in log, log
    assert "mini-batch 2 attempt 1/2 failed: the worker process died while scoring it; retrying" in log, log
    assert done.properties["azureml.batch.files_failed"] == "0"
    endpoint.jobs.download(retried.name, download_path=tmp_path / "dl", output_name="score")
    rows = pd.read_csv(tmp_path / "dl" / "named-outputs" / "score" / "predictions.csv", header=None, names=["file", "prediction"])
    expected = pd.concat([pd.read_csv(p).assign(file=p.name) for p in sorted(input_folder.iterdir())])
    assert list(rows["file"]) == list(expected["file"])
    assert list(rows["prediction"]) == [int(g > 140) for g in expected["PlasmaGlucose"]]

    quiet_done = wait_status(endpoint, quiet.name, "Completed")
    assert quiet_done.properties["azureml.batch.rows"] == str(3 * ROWS_PER_FILE)
    score = endpoint.root / "datastores" / "workspaceblobstore" / "azureml" / quiet.name / "score"
    assert score.is_dir() and list(score.iterdir()) == []  # summary_only writes no file
    assert sorted(j.name for j in endpoint.batch_endpoints.list_jobs("diabetes-ep")) == sorted([retried.name, quiet.name])


PIPELINE_COMPONENT = """\
$schema: https://azuremlschemas.azureedge.net/latest/pipelineComponent.schema.json
type: pipeline
name: upper_pipeline
inputs:
  text:
    type: uri_file
outputs:
  result:
    type: uri_folder
jobs:
  upper:
    type: command
    inputs:
      text: ${{parent.inputs.text}}
    outputs:
      out: ${{parent.outputs.result}}
    component:
      code: src
      environment: azureml:AzureML-sklearn-1.5@latest
      command: python upper.py ${{inputs.text}} ${{outputs.out}}
      inputs:
        text:
          type: uri_file
      outputs:
        out:
          type: uri_folder
"""
UPPER_PY = "import pathlib, sys\npathlib.Path(sys.argv[2], 'out.txt').write_text(pathlib.Path(sys.argv[1]).read_text().upper())\n"


def test_apply_pipeline_component_deployment_and_invoke_it(jobs_client, tmp_path, cli):  # noqa: F811
    from azure.ai.ml import Input

    (tmp_path / "pc" / "src").mkdir(parents=True)
    (tmp_path / "pc" / "src" / "upper.py").write_text(UPPER_PY)
    (tmp_path / "pc" / "upper.yml").write_text(PIPELINE_COMPONENT)
    (tmp_path / "pc" / "endpoint.yml").write_text(
        "$schema: https://azuremlschemas.azureedge.net/latest/batchEndpoint.schema.json\nname: upper-ep\n")
    (tmp_path / "pc" / "deployment.yml").write_text(
        "$schema: https://azuremlschemas.azureedge.net/latest/pipelineComponentBatchDeployment.schema.json\n"
        "name: upper-dep\nendpoint_name: upper-ep\ntype: pipeline\ncomponent: upper.yml\nsettings:\n  default_compute: serverless\n")
    applied = cli("apply", "-f", str(tmp_path / "pc" / "endpoint.yml"), "-f", str(tmp_path / "pc" / "deployment.yml"))
    assert applied.exit_code == 0, applied.output
    assert "batch endpoint upper-ep created" in applied.output and "batch deployment upper-dep" in applied.output
    (tmp_path / "pc" / "src" / "upper.py").write_text("raise SystemExit('the snapshot should run, not this')\n")

    (tmp_path / "note.txt").write_text("hello batch")
    job = jobs_client.batch_endpoints.invoke("upper-ep", inputs={"text": Input(type="uri_file", path=str(tmp_path / "note.txt"))})
    done = wait_status(jobs_client, job.name, "Completed")
    assert done.type == "pipeline" and done.properties["azureml.batchDeployment"] == "upper-dep"
    jobs_client.jobs.download(job.name, download_path=tmp_path / "dl", output_name="result")
    assert (tmp_path / "dl" / "named-outputs" / "result" / "out.txt").read_text() == "HELLO BATCH"
    assert [j.name for j in jobs_client.batch_endpoints.list_jobs("upper-ep")] == [job.name]


def test_a_failing_init_fails_the_job_with_its_error(endpoint, input_folder, rule_model_dir, score_code):
    from azure.ai.ml import Input
    from azure.ai.ml.entities import CodeConfiguration, Model

    (score_code / "broken.py").write_text("def init():\n    raise ValueError('no model here')\n\ndef run(mini_batch):\n    return mini_batch\n")
    endpoint.batch_deployments.begin_create_or_update(model_deployment(
        "broken-dep", "diabetes-ep", Model(name="glucose-rule", path=str(rule_model_dir)),
        code_configuration=CodeConfiguration(code=str(score_code), scoring_script="broken.py"),
        environment="azureml:AzureML-sklearn-1.5@latest", max_concurrency_per_instance=1))
    job = endpoint.batch_endpoints.invoke("diabetes-ep", input=Input(type="uri_folder", path=str(input_folder)))
    error = wait_status(endpoint, job.name, "Failed").properties["error"]
    assert error == "init: worker 0 could not start scoring: ValueError: no model here (see user_logs/worker_0.txt)", error
    assert "no model here" in (endpoint.root / "jobs" / job.name / "user_logs" / "worker_0.txt").read_text()


FLAKY_MODEL = '''
import os, pathlib
import mlflow.pyfunc


class CrashOnce(mlflow.pyfunc.PythonModel):
    """Doubles column x; a file with a 'crash' column kills its worker the first time it is scored."""

    def predict(self, context, model_input, params=None):
        mark = pathlib.Path(os.environ["MARKS"], "crashed")
        if "crash" in model_input.columns and not mark.exists():
            mark.write_text("once")
            os._exit(5)
        return model_input["x"] * 2
'''


def test_a_forked_mlflow_worker_that_dies_is_replaced_and_the_mini_batch_retried(jobs_client, tmp_path):  # noqa: F811
    import importlib
    import sys

    import mlflow.pyfunc
    import pandas as pd
    from azure.ai.ml import Input
    from azure.ai.ml.entities import Model

    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "crash_once_model.py").write_text(FLAKY_MODEL)
    sys.path.insert(0, str(tmp_path / "code"))
    try:
        module = importlib.import_module("crash_once_model")
        mlflow.pyfunc.save_model(str(tmp_path / "model"), python_model=module.CrashOnce(),
                                 code_paths=[str(tmp_path / "code" / "crash_once_model.py")])
    finally:
        sys.path.remove(str(tmp_path / "code"))
        sys.modules.pop("crash_once_model", None)
    (tmp_path / "in").mkdir()
    pd.DataFrame({"x": [1, 2]}).to_csv(tmp_path / "in" / "a.csv", index=False)
    pd.DataFrame({"x": [5], "crash": [1]}).to_csv(tmp_path / "in" / "b.csv", index=False)
    (tmp_path / "marks").mkdir()
    jobs_client.models.create_or_update(Model(name="crash-once", path=str(tmp_path / "model"), type="mlflow_model"))
    make_endpoint(jobs_client, "crash-ep")
    jobs_client.batch_deployments.begin_create_or_update(model_deployment(
        "crash-dep", "crash-ep", "azureml:crash-once:1", mini_batch_size=1, error_threshold=0,
        retry={"max_retries": 1, "timeout": 60}, environment_variables={"MARKS": str(tmp_path / "marks")}))
    job = jobs_client.batch_endpoints.invoke("crash-ep", input=Input(type="uri_folder", path=str(tmp_path / "in")))
    wait_status(jobs_client, job.name, "Completed")
    assert "mini-batch 1 attempt 1/2 failed: the worker process died while scoring it; retrying" in job_log(jobs_client, job.name)
    predictions = (jobs_client.root / "datastores" / "workspaceblobstore" / "azureml" / job.name / "score" / "predictions.csv").read_text()
    assert predictions == "0,2,a.csv\n1,4,a.csv\n0,10,b.csv\n"


def test_cancelling_a_batch_job_stops_its_workers(endpoint, input_folder, rule_model_dir, score_code, tmp_path):
    import psutil
    from azure.ai.ml import Input
    from azure.ai.ml.entities import CodeConfiguration, Model

    from test_jobs_support import wait_for

    (tmp_path / "marks").mkdir()
    (input_folder / CORRUPT).unlink()
    for name in ("part-0.csv", "part-3.csv"):
        (input_folder / name).unlink()  # only part-1 is left: its first attempt hangs
    endpoint.batch_deployments.begin_create_or_update(model_deployment(
        "hang-dep", "diabetes-ep", Model(name="glucose-rule", path=str(rule_model_dir)),
        code_configuration=CodeConfiguration(code=str(score_code), scoring_script="score.py"),
        environment="azureml:AzureML-sklearn-1.5@latest", retry={"max_retries": 0, "timeout": 600},
        environment_variables={"FLAKY": "1", "MARKS": str(tmp_path / "marks")}))
    job = endpoint.batch_endpoints.invoke("diabetes-ep", input=Input(type="uri_folder", path=str(input_folder)))
    wait_for(lambda: (tmp_path / "marks" / "part-1.csv.tried").exists(), what="the worker to start scoring")
    config = str(endpoint.root / "jobs" / job.name / "batch_worker.json")
    workers = [p for p in psutil.process_iter(["cmdline"]) if config in (p.info["cmdline"] or [])]
    assert len(workers) == 1
    endpoint.jobs.begin_cancel(job.name).result(timeout=60)
    assert endpoint.jobs.get(job.name).status == "Canceled"
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert alive == []
