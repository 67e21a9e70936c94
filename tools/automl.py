"""automl-*: Automated ML on tabular data: start a classification, regression or forecasting run, read its leaderboard and best model.

The settings use Azure ML's names (metrics such as AUC_weighted, algorithms
such as LightGBM), so the same request runs on Azure ML unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field

from tools.base import ML, Plan, ToolCall, ToolPlugin, one_of, tool
from tools.jobs import Compute, Experiment, JobName, NewJobName, get_reference, job_summary
from workspace.errors import UserInputError
from workspace.local.automl.names import ALGORITHMS, CLASSIFICATION_METRICS, REGRESSION_METRICS, UNAVAILABLE

READ, WRITE = f"{ML}/jobs/read", f"{ML}/jobs/write"
TASKS = ("classification", "regression", "forecasting")
METRICS = CLASSIFICATION_METRICS + REGRESSION_METRICS
ALGORITHM_NAMES = tuple(dict.fromkeys([*ALGORITHMS["classification"], *ALGORITHMS["regression"], *ALGORITHMS["forecasting"], *UNAVAILABLE]))

Task = Annotated[Literal[TASKS], one_of(*TASKS), "classification (predict a category), regression (a number) or forecasting (future values of a time series)"]
Metric = Annotated[Literal[METRICS] | None, one_of(*METRICS),
                   "Azure's primary metric: accuracy, AUC_weighted, norm_macro_recall, average_precision_score_weighted, precision_score_weighted "
                   "(classification); spearman_correlation, normalized_root_mean_squared_error, r2_score, normalized_mean_absolute_error "
                   "(regression, forecasting); omit for the task's default"]
Algorithms = Annotated[list[Annotated[Literal[ALGORITHM_NAMES], one_of(*ALGORITHM_NAMES)]] | None, Field(max_length=20),
                       "Azure algorithm names, e.g. LightGBM, RandomForest, ExtremeRandomTrees, LogisticRegression, DecisionTree, KNN"]
DataReference = Annotated[str, Field(min_length=1, max_length=300), "An mltable data asset: name, name:version or azureml:name@latest"]


class AutoMLPlugin(ToolPlugin):
    plugin_name = "automl"
    description = "Automated ML: train and compare many models on tabular data, then read the leaderboard and the best model."

    @tool(effect="write", permission=WRITE, examples=[
        "run AutoML on diabetes-training predicting Diabetic", "train a classifier on diabetes for Diabetic with AUC_weighted",
        "automl regression on housing predicting price for 30 minutes", "forecast sales 14 days ahead with automl",
        "find the best model for churn using only LightGBM and RandomForest", "start an automl job on cpu-cluster with 5-fold cross validation",
    ])
    def create(
        self, task: Task, training_data: DataReference,
        target_column: Annotated[str, Field(min_length=1, max_length=255), "The column to predict"],
        primary_metric: Metric = None,
        timeout_minutes: Annotated[int, Field(ge=1, le=10080), "Longest the whole search may run"] = 15,
        max_trials: Annotated[int | None, Field(ge=1, le=1000), "Most models to try; omit for no limit but time"] = None,
        n_cross_validations: Annotated[int | None, Field(ge=2, le=20), "Cross-validation folds; omit to let AutoML choose"] = None,
        validation_data: Annotated[str | None, Field(max_length=300), "A separate mltable data asset to validate on"] = None,
        allowed_algorithms: Algorithms = None, blocked_algorithms: Algorithms = None,
        featurization: Annotated[Literal["auto", "off"], one_of("auto", "off"), "auto (impute, encode, date parts, drop IDs) or off"] = "auto",
        enable_early_termination: Annotated[bool, "Stop early when the search stops improving"] = True,
        time_column: Annotated[str | None, Field(max_length=255), "Forecasting: the column holding each row's time"] = None,
        forecast_horizon: Annotated[int | None, Field(ge=1, le=1000), "Forecasting: how many periods ahead to predict"] = None,
        time_series_ids: Annotated[list[str] | None, Field(max_length=10), "Forecasting: columns that tell series apart (e.g. store)"] = None,
        compute: Compute = None, experiment_name: Experiment = None, name: NewJobName = None,
    ) -> dict:
        """Start an AutoML job that featurizes an mltable data asset and tries many algorithms within a time budget; the best becomes an MLflow model.

        Check progress with jobs-get and the results with automl-leaderboard and automl-best_model.
        """
        args = locals().copy()
        args.pop("self")
        plan = self.preview_create(**args)
        created = self.client.jobs.create_or_update(_entity(self.client, **args))
        return {"status": "submitted", "job": job_summary(created), "summary": plan.summary}

    def preview_create(
        self, task: Task, training_data: DataReference, target_column: str, primary_metric: Metric = None,
        timeout_minutes: int = 15, max_trials: int | None = None, n_cross_validations: int | None = None,
        validation_data: str | None = None, allowed_algorithms: Algorithms = None, blocked_algorithms: Algorithms = None,
        featurization: str = "auto", enable_early_termination: bool = True, time_column: str | None = None,
        forecast_horizon: int | None = None, time_series_ids: list[str] | None = None, compute: str | None = None,
        experiment_name: str | None = None, name: str | None = None,
    ) -> Plan:
        from workspace.local.automl.names import check_metric, choose_algorithms

        metric = check_metric(task, primary_metric)
        algorithms = choose_algorithms(task, allowed_algorithms, blocked_algorithms)
        if task == "forecasting" and not time_column:
            raise UserInputError.missing("time_column", "forecasting needs the column holding each row's time")
        if compute:
            self.client.compute.get(compute)
        if name:
            self._check_new_name(name)
        data = self._check_data("training_data", training_data, [target_column, *([time_column] if time_column else []), *(time_series_ids or [])])
        if validation_data:
            self._check_data("validation_data", validation_data, [target_column])
        budget = f"{timeout_minutes} min" + (f", {max_trials} trials" if max_trials else "")
        desired = {"task": task, "training_data": f"{data.name}:{data.version}", "target_column": target_column,
                   "primary_metric": metric, "algorithms": algorithms, "timeout_minutes": timeout_minutes,
                   "max_trials": max_trials, "compute": compute or "serverless", "name": name}
        return Plan(
            action="submit automl job", target=f"job/{name or '(new)'}", current=None,
            desired={k: v for k, v in desired.items() if v is not None},
            summary=f"automl job {name or '(generated name)'}: absent -> {task} of {target_column} on {data.name}:{data.version} "
                    f"by {metric}, {budget}, trying {', '.join(algorithms)}",
            resource_name=name, inverse=ToolCall(tool="jobs-cancel", arguments={"name": name}) if name else None,
        )

    def _check_new_name(self, name: str) -> None:
        from tools.jobs import JobsPlugin

        JobsPlugin(self.client, self.context)._check_new_name(name)

    def _check_data(self, field: str, reference: str, columns: list[str]) -> Any:
        data = get_reference(self.client.data, reference)
        if str(data.type) != "mltable":
            raise UserInputError.invalid(field, reference, f"is a {data.type} asset; AutoML reads mltable data")
        load = getattr(self.client.data, "load_dataframe", None)  # the local backend can look inside; Azure checks itself
        if load is not None:
            present = list(load(data.name, version=str(data.version)).columns)
            for column in columns:
                if column not in present:
                    shown = ", ".join(map(str, present[:8])) + (", ..." if len(present) > 8 else "")
                    raise UserInputError.invalid("target_column" if column == columns[0] else "time_column", column,
                                                 f"is not a column of {data.name}:{data.version} (columns: {shown})")
        return data

    @tool(effect="read", permission=READ, examples=[
        "show the leaderboard of my automl job", "which models did automl try?", "rank the trials of bright_owl_42",
        "top 5 models of the automl run", "compare the algorithms automl tried",
    ])
    def leaderboard(self, name: JobName, top: Annotated[int, Field(ge=1, le=100), "How many of the best trials to show"] = 10) -> dict:
        """Show an AutoML job's trials ranked by its primary metric: algorithm, score, other metrics, duration."""
        job = self._automl_job(name)
        return {"name": name, "status": str(job.status), "primary_metric": _metric(job), "trials": leaderboard_rows(self.client, job, top)}

    @tool(effect="read", permission=READ, examples=[
        "what's the best model of my automl job?", "which algorithm won?", "where is the model automl trained?",
        "best model of bright_owl_42", "how good is the automl winner?",
    ])
    def best_model(self, name: JobName) -> dict:
        """Show the best model of a finished AutoML job: algorithm, score, metrics, hyperparameters, and where the MLflow model is (to register or deploy it)."""
        job = self._automl_job(name)
        rows = leaderboard_rows(self.client, job, 1)
        if not rows:
            raise UserInputError.invalid("name", name, f"has no finished trial yet ({job.status})")
        props = job.properties or {}
        output = (job.outputs or {}).get("best_model")
        model = {"run_uri": f"runs:/{props.get('mlflow.runId') or name}/best_model", "output": getattr(output, "path", None)}
        ready = str(job.status) == "Completed"
        return {"name": name, "status": str(job.status), "primary_metric": _metric(job), "best": rows[0],
                "model": model if ready else None,
                "next": f"register it with models-create name=<model name> path={model['run_uri']}" if ready else "wait for the job to complete"}

    def _automl_job(self, name: str) -> Any:
        job = self.client.jobs.get(name)
        if str(getattr(job, "type", "")) != "automl":
            raise UserInputError.invalid("name", name, f"is a {job.type} job, not an AutoML job")
        return job


def _metric(job: Any) -> str:
    from workspace.local.automl.names import check_metric, check_task

    task = check_task(str(job.task_type).split(".")[-1])
    return check_metric(task, job.primary_metric)


def leaderboard_rows(client: Any, job: Any, top: int) -> list[dict]:
    """The best trials first: from the job's leaderboard file locally, else from its MLflow child runs."""
    folder = (job.properties or {}).get("azureml.jobFolder")
    path = Path(folder) / "automl" / "leaderboard.json" if folder else None
    if path is not None and path.is_file():
        rows = json.loads(path.read_text())["trials"]
    else:
        rows = _child_runs(client, job)
    return [{k: r.get(k) for k in ("rank", "trial", "algorithm", "score", "metrics", "duration_seconds", "hyperparameters", "run_id")}
            for r in rows[:top]]


def _child_runs(client: Any, job: Any) -> list[dict]:
    from mlflow.tracking import MlflowClient

    from tools.jobs import tracking_uri

    run_id = (job.properties or {}).get("mlflow.runId") or job.name
    mlflow = MlflowClient(tracking_uri=tracking_uri(client))
    try:
        parent = mlflow.get_run(run_id)
    except Exception:  # no run yet: no trials yet
        return []
    metric, lower = _metric(job), "error" in _metric(job)
    runs = mlflow.search_runs([parent.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{run_id}'", max_results=1000)
    rows = [{"trial": int(r.data.tags.get("azureml.trial", 0)), "algorithm": r.data.tags.get("algorithm"),
             "score": r.data.metrics.get(metric), "metrics": dict(r.data.metrics), "run_id": r.info.run_id,
             "hyperparameters": {k: v for k, v in r.data.params.items() if k != "algorithm"}} for r in runs]
    rows = sorted((r for r in rows if r["score"] is not None), key=lambda r: r["score"] if lower else -r["score"])
    return [{**r, "rank": i + 1} for i, r in enumerate(rows)]


def _entity(client: Any, *, task: str, training_data: str, target_column: str, primary_metric: str | None,
            timeout_minutes: int, max_trials: int | None, n_cross_validations: int | None, validation_data: str | None,
            allowed_algorithms: list | None, blocked_algorithms: list | None, featurization: str,
            enable_early_termination: bool, time_column: str | None, forecast_horizon: int | None,
            time_series_ids: list | None, compute: str | None, experiment_name: str | None, name: str | None) -> Any:
    """The azure-ai-ml AutoML job the tool submits (what a script for MLClient would build)."""
    from azure.ai.ml import Input, automl

    from workspace.local.automl.names import check_metric

    def data_input(reference: str) -> Any:
        asset = get_reference(client.data, reference)
        return Input(type="mltable", path=f"azureml:{asset.name}:{asset.version}")

    factory = getattr(automl, task)
    job = factory(training_data=data_input(training_data), target_column_name=target_column,
                  primary_metric=check_metric(task, primary_metric), compute=compute, experiment_name=experiment_name,
                  validation_data=data_input(validation_data) if validation_data else None,
                  n_cross_validations=n_cross_validations, name=name)
    job.set_limits(timeout_minutes=timeout_minutes, max_trials=max_trials, enable_early_termination=enable_early_termination)
    job.set_training(allowed_training_algorithms=allowed_algorithms, blocked_training_algorithms=blocked_algorithms)
    job.set_featurization(mode=featurization)
    if task == "forecasting":
        job.set_forecast_settings(time_column_name=time_column, forecast_horizon=forecast_horizon or 1,
                                  time_series_id_column_names=time_series_ids)
    return job
