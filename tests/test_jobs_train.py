"""A real command job: scikit-learn on the diabetes MLTable, metrics in MLflow, outputs registered."""

from __future__ import annotations

import textwrap

import pytest

from test_jobs_support import curated, jobs_client, job_log, mlflow_db_template, mlflow_run, write_script  # noqa: F401

TRAIN = textwrap.dedent(
    """
    import argparse, os, pathlib
    import mlflow, mlflow.sklearn, mltable
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    parser = argparse.ArgumentParser()
    parser.add_argument("--data")
    parser.add_argument("--reg", type=float)
    parser.add_argument("--label")
    parser.add_argument("--out")
    parser.add_argument("--model")
    args = parser.parse_args()
    frame = mltable.load(args.data).to_pandas_dataframe()
    features = frame.drop(columns=["PatientID", args.label])
    x_train, x_test, y_train, y_test = train_test_split(features, frame[args.label], test_size=0.3, random_state=0)
    model = LogisticRegression(C=1 / args.reg, solver="liblinear").fit(x_train, y_train)
    accuracy = model.score(x_test, y_test)
    mlflow.log_param("reg", args.reg)
    mlflow.log_metric("accuracy", accuracy)
    out = pathlib.Path(args.out)
    (out / "summary.txt").write_text(f"{accuracy}\\n{len(frame)}\\n{os.environ['GREETING']}\\n")
    # Explicit requirements: inferring them starts a slow subprocess.
    mlflow.sklearn.save_model(model, args.model, pip_requirements=["scikit-learn"])
    print("trained on", len(frame), "rows; accuracy", accuracy)
    """
)


@pytest.mark.slow
def test_logistic_regression_on_diabetes_logs_accuracy_and_registers_outputs(jobs_client, diabetes_dir, tmp_path, capsys):
    from azure.ai.ml import Input, Output, command
    from azure.ai.ml.entities import Data

    client = jobs_client
    client.data.create_or_update(Data(name="diabetes-training", path=str(diabetes_dir), type="mltable"))
    code = write_script(tmp_path / "src", "train.py", TRAIN)
    job = command(
        code=str(code),
        command="python train.py --data ${{inputs.training_data}} --reg ${{inputs.reg_rate}} --label ${{inputs.label}}"
                " --out ${{outputs.summary}} --model ${{outputs.model}}",
        inputs={
            "training_data": Input(type="mltable", path="azureml:diabetes-training@latest"),
            "reg_rate": 0.01,
            "label": "Diabetic",
        },
        outputs={
            "summary": Output(type="uri_folder", name="diabetes-summary"),
            "model": Output(type="mlflow_model", name="diabetes-classifier"),
        },
        environment=curated(),
        environment_variables={"GREETING": "hello from the job"},
        experiment_name="diabetes-training",
        display_name="logistic regression",
    )
    submitted = client.jobs.create_or_update(job)
    assert submitted.status in ("NotStarted", "Queued", "Preparing", "Running")
    assert submitted.name.count("_") == 2  # adjective_noun_suffix, as Azure ML names jobs

    client.jobs.stream(submitted.name)
    streamed = capsys.readouterr().out
    assert "trained on 10000 rows" in streamed and "Status: Completed" in streamed

    done = client.jobs.get(submitted.name)
    assert done.status == "Completed", job_log(client, submitted.name)
    assert (done.experiment_name, done.display_name) == ("diabetes-training", "logistic regression")
    assert done.creation_context.created_by == "tester"
    assert done.studio_url is None and done.services is None
    assert done.inputs["training_data"].path == "azureml:diabetes-training:1"
    assert done.inputs["reg_rate"] == 0.01
    run_id = done.properties["mlflow.runId"]
    assert done.tags["mlflow.runId"] == run_id

    run = mlflow_run(client, run_id)
    assert run.info.status == "FINISHED"
    assert run.data.metrics["accuracy"] > 0.7
    assert run.data.params["reg"] == "0.01"
    assert run.info.artifact_uri.startswith(client.paths.mlflow_artifacts.as_uri())

    summary = client.data.get("diabetes-summary", version="1")
    assert summary.path == done.outputs["summary"].path
    assert summary.path == f"azureml://datastores/workspaceblobstore/paths/azureml/{done.name}/summary/"
    accuracy, rows, greeting = (client.data.local_path("diabetes-summary") / "summary.txt").read_text().splitlines()
    assert float(accuracy) == pytest.approx(run.data.metrics["accuracy"])
    assert (rows, greeting) == ("10000", "hello from the job")

    model = client.models.get("diabetes-classifier", version="1")
    assert model.type == "mlflow_model"
    assert done.outputs["model"].version == "1"
    assert (client.models.local_path("diabetes-classifier", "1") / "MLmodel").is_file()
