"""AutoML jobs run for real on tiny data: classification, regression and forecasting, through the control plane."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_jobs_support import jobs_client, mlflow_db_template, mlflow_run, wait_status  # noqa: F401  (fixtures)

MLTABLE = "paths:\n  - file: ./data.csv\ntransformations:\n  - read_delimited:\n      delimiter: ','\n      encoding: 'utf8'\n"


def register_table(client, frame, name: str, folder: Path):
    """A pandas frame as an mltable data asset (a CSV and its MLTable file)."""
    from azure.ai.ml.entities import Data

    folder.mkdir(parents=True)
    frame.to_csv(folder / "data.csv", index=False)
    (folder / "MLTable").write_text(MLTABLE)
    return client.data.create_or_update(Data(name=name, path=str(folder), type="mltable"))


def submit(client, task: str, data: str, target: str, *, timeout=1, max_trials=None, algorithms=None, **settings):
    from azure.ai.ml import Input, automl

    forecast = settings.pop("forecast", None)
    job = getattr(automl, task)(training_data=Input(type="mltable", path=f"azureml:{data}@latest"), target_column_name=target,
                                experiment_name=f"automl-{task}", **settings)
    job.set_limits(timeout_minutes=timeout, max_trials=max_trials)
    if algorithms:
        job.set_training(allowed_training_algorithms=algorithms)
    if forecast:
        job.set_forecast_settings(**forecast)
    return client.jobs.create_or_update(job)


def child_runs(client, job):
    from mlflow.tracking import MlflowClient

    from workspace.local import mlflow_store

    parent = mlflow_run(client, job.properties["mlflow.runId"])
    mlflow = MlflowClient(tracking_uri=mlflow_store.tracking_uri(client._ctx))
    return mlflow.search_runs([parent.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'")


def load_best(client, job, tmp_path):
    """The job's best model, fetched from its MLflow run and loaded as any MLflow user would."""
    import mlflow.artifacts
    import mlflow.pyfunc

    from workspace.local import mlflow_store

    local = mlflow.artifacts.download_artifacts(artifact_uri=f"runs:/{job.properties['mlflow.runId']}/best_model",
                                                tracking_uri=mlflow_store.tracking_uri(client._ctx), dst_path=str(tmp_path / "model"))
    return mlflow.pyfunc.load_model(local)


def outputs(job, name: str) -> dict:
    return json.loads((Path(job.properties["azureml.jobFolder"]) / "automl" / name).read_text())


@pytest.mark.slow
def test_classification_on_diabetes_beats_090_on_a_held_out_split_and_its_model_loads(jobs_client, diabetes_dir, tmp_path):
    import pandas as pd
    from sklearn.model_selection import train_test_split

    frame = pd.read_csv(diabetes_dir / "diabetes.csv")
    train, held_out = train_test_split(frame, test_size=0.2, random_state=7, stratify=frame["Diabetic"])
    register_table(jobs_client, train, "diabetes-train", tmp_path / "train")
    job = submit(jobs_client, "classification", "diabetes-train", "Diabetic", primary_metric="accuracy", max_trials=20)
    assert type(job).__name__ == "ClassificationJob" and job.status in ("NotStarted", "Queued", "Preparing")
    job = wait_status(jobs_client, job.name, "Completed", timeout=150)

    model = load_best(jobs_client, job, tmp_path)
    predicted = model.predict(held_out.drop(columns=["Diabetic"]))
    accuracy = float((pd.Series(predicted).astype(int).to_numpy() == held_out["Diabetic"].to_numpy()).mean())
    assert accuracy >= 0.9, f"held-out accuracy {accuracy:.3f}"
    assert model.metadata.signature is not None and "PatientID" in model.metadata.signature.inputs.input_names()

    runs = child_runs(jobs_client, job)
    board = outputs(job, "leaderboard.json")
    assert len(runs) == len(board["trials"]) == int(job.properties["azureml.automl.trials"]) > 1
    assert {r.data.tags["algorithm"] for r in runs} <= {"LightGBM", "RandomForest", "ExtremeRandomTrees", "LogisticRegression", "SGD"}
    assert all({"accuracy", "AUC_weighted", "norm_macro_recall"} <= set(r.data.metrics) for r in runs)
    assert all(r.info.status == "FINISHED" and "algorithm" in r.data.params for r in runs)
    scores = [t["score"] for t in board["trials"]]
    assert scores == sorted(scores, reverse=True) and board["trials"][0]["run_id"] == job.properties["azureml.automl.best_child_run_id"]
    summary = {s["RawFeatureName"]: s for s in outputs(job, "featurization_summary.json")}
    assert summary["PatientID"]["Dropped"] == "Yes" and summary["PlasmaGlucose"]["Dropped"] == "No"
    parent = mlflow_run(jobs_client, job.properties["mlflow.runId"])
    assert parent.data.metrics["accuracy"] == pytest.approx(scores[0])


def test_regression_smoke_with_text_categories_and_dates(jobs_client, tmp_path):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(3)
    rows = 300
    frame = pd.DataFrame({"size": rng.uniform(20, 200, rows), "rooms": rng.integers(1, 6, rows),
                          "district": rng.choice(["north", "south", "east"], rows),
                          "listed": pd.date_range("2023-01-01", periods=rows, freq="D").astype(str)})
    frame["price"] = 3 * frame["size"] + 10 * frame["rooms"] + frame["district"].map({"north": 50, "south": 0, "east": 20}) + rng.normal(0, 5, rows)
    register_table(jobs_client, frame, "houses", tmp_path / "houses")
    job = submit(jobs_client, "regression", "houses", "price", primary_metric="r2_score", max_trials=4,
                 algorithms=["LightGBM", "ElasticNet"], n_cross_validations=3)
    job = wait_status(jobs_client, job.name, "Completed", timeout=120)
    assert float(job.properties["azureml.automl.best_score"]) > 0.8
    summary = {s["RawFeatureName"]: s for s in outputs(job, "featurization_summary.json")}
    assert summary["district"]["Transformations"][-1] == "OneHotEncoder"
    assert summary["listed"]["TypeDetected"] == "DateTime" and summary["listed"]["EngineeredFeatureCount"] >= 3
    import mlflow.pyfunc

    model = mlflow.pyfunc.load_model(job.outputs["best_model"].path.replace("azureml://datastores/workspaceblobstore/paths/",
                                                                           f"{jobs_client.paths.default_datastore}/"))
    request = frame.drop(columns=["price"]).head(20).assign(listed=lambda f: pd.to_datetime(f["listed"]))  # as MLTable typed it
    predicted = model.predict(request)
    assert np.corrcoef(predicted, frame["price"].head(20))[0, 1] > 0.9


def test_forecasting_a_small_generated_series(jobs_client, tmp_path):
    import numpy as np
    import pandas as pd

    days = pd.date_range("2024-01-01", periods=120, freq="D")
    frames = []
    for store, level in (("A", 100.0), ("B", 40.0)):
        weekly = 10 * np.sin(2 * np.pi * np.arange(len(days)) / 7)
        frames.append(pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "store": store, "sales": level + weekly + 0.2 * np.arange(len(days))}))
    register_table(jobs_client, pd.concat(frames), "sales", tmp_path / "sales")
    job = submit(jobs_client, "forecasting", "sales", "sales", primary_metric="normalized_root_mean_squared_error",
                 max_trials=5, algorithms=["LightGBM", "ElasticNet"],
                 forecast={"time_column_name": "date", "forecast_horizon": 7, "time_series_id_column_names": ["store"]})
    job = wait_status(jobs_client, job.name, "Completed", timeout=120)
    assert type(job).__name__ == "ForecastingJob"
    assert float(job.properties["azureml.automl.best_score"]) < 0.1  # normalised RMSE on the latest periods
    model = load_best(jobs_client, job, tmp_path)
    future = pd.DataFrame({"date": list(pd.date_range("2024-04-30", periods=7, freq="D")) * 2,
                           "store": ["A"] * 7 + ["B"] * 7})
    forecast = np.asarray(model.predict(future))
    assert forecast.shape == (14,) and np.isfinite(forecast).all()
    t = np.arange(120, 127)
    truth = np.concatenate([level + 10 * np.sin(2 * np.pi * t / 7) + 0.2 * t for level in (100.0, 40.0)])
    error = float(np.abs(forecast - truth).mean())
    print(f"forecast MAE {error:.2f}: {np.round(forecast, 1)}")
    assert error < 6, f"mean absolute error {error:.2f} over the 7-day horizon"  # the weekly swing alone is +-10
