"""AutoML's record in MLflow: a child run per trial, the leaderboard, and the best model.

Trials are read from FLAML's training log while the search runs (a background
thread), so the job log shows progress and MLflow holds each trial soon after
it ends; writing a run costs ~15 ms, which overlaps with training.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from pathlib import Path
from typing import Any

from workspace.local.automl.metrics import value_of
from workspace.local.automl.names import LOWER_IS_BETTER, algorithm_of

LEADERBOARD, FEATURIZATION = "leaderboard.json", "featurization_summary.json"


def write_json(path: Path, data: Any) -> None:
    """Atomically: readers (the tools, the CLI) never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=1, default=str))
    os.replace(tmp, path)


class TrialRecorder:
    """Tails FLAML's log: one MLflow child run and one job-log line per trial, and a live leaderboard file."""

    def __init__(self, client, parent_run_id: str, settings: dict, log_path: Path, folder: Path, job_name: str) -> None:
        self.client, self.parent, self.settings = client, parent_run_id, settings
        self.log_path, self.folder, self.job_name = log_path, folder, job_name
        self.experiment_id = client.get_run(parent_run_id).info.experiment_id
        self.trials: list[dict] = []
        self.started = time.time()
        self._offset, self._stop, self._thread = 0, threading.Event(), None

    def start(self) -> "TrialRecorder":
        self.started = time.time()
        self._thread = threading.Thread(target=self._loop, name="automl-trials", daemon=True)
        self._thread.start()
        return self

    def finish(self) -> list[dict]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.flush()
        return self.trials

    def _loop(self) -> None:
        while not self._stop.wait(1.0):
            try:
                self.flush()
            except Exception as exc:  # tracking trouble must not end the search; the final flush retries
                print(f"WARNING: could not record trials yet: {exc}", flush=True)

    def flush(self) -> None:
        for record in self._new_records():
            if "learner" in record:
                self._record(record)
        write_json(self.folder / LEADERBOARD, leaderboard(self.settings, self.trials))

    def _new_records(self) -> list[dict]:
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(self._offset)
                chunk = fh.read()
        except FileNotFoundError:
            return []
        complete = chunk[: chunk.rfind(b"\n") + 1]  # a line FLAML is still writing waits for the next flush
        self._offset += len(complete)
        return [json.loads(line) for line in complete.splitlines() if line.strip()]

    def _record(self, record: dict) -> None:
        primary, task = self.settings["primary_metric"], self.settings["task"]
        number = len(self.trials)
        scores = {k: float(v) for k, v in (record.get("logged_metric") or {}).items() if isinstance(v, (int, float))}
        scores.setdefault(primary, value_of(primary, record["validation_loss"]))
        trial = {
            "trial": number, "algorithm": algorithm_of(task, record["learner"]), "learner": record["learner"],
            "score": scores[primary], "metrics": scores, "duration_seconds": round(record.get("trial_time", 0.0), 3),
            "hyperparameters": record.get("config") or {}, "run_id": None,
        }
        trial["run_id"] = self._child_run(trial, record)
        self.trials.append(trial)
        best = best_trial(self.settings, self.trials)
        print(f"trial {number:>3}  {trial['algorithm']:<20} {primary}={_fmt(trial['score'])}  "
              f"best={_fmt(best['score'])} (trial {best['trial']}, {best['algorithm']})", flush=True)

    def _child_run(self, trial: dict, record: dict) -> str:
        from mlflow.entities import Metric, Param, RunStatus

        end = int((self.started + record.get("wall_clock_time", 0.0)) * 1000)
        start = end - int(record.get("trial_time", 0.0) * 1000)
        tags = {"mlflow.parentRunId": self.parent, "azureml.trial": str(trial["trial"]), "algorithm": trial["algorithm"],
                "flaml.learner": trial["learner"], "azureml.jobName": self.job_name}
        run = self.client.create_run(self.experiment_id, start_time=start, tags=tags, run_name=f"{self.job_name}_{trial['trial']}")
        metrics = [Metric(k, v, end, 0) for k, v in trial["metrics"].items() if not math.isnan(v)]
        params = [Param("algorithm", trial["algorithm"])] + [Param(k, str(v)[:500]) for k, v in trial["hyperparameters"].items()]
        self.client.log_batch(run.info.run_id, metrics=metrics, params=params)
        self.client.set_terminated(run.info.run_id, RunStatus.to_string(RunStatus.FINISHED), end_time=end)
        return run.info.run_id


def _fmt(value: float) -> str:
    return "nan" if value is None or math.isnan(value) else f"{value:.4f}"


def best_trial(settings: dict, trials: list[dict]) -> dict | None:
    ranked = rank(settings, trials)
    return ranked[0] if ranked else None


def rank(settings: dict, trials: list[dict]) -> list[dict]:
    lower = settings["primary_metric"] in LOWER_IS_BETTER

    def order(trial: dict) -> tuple:
        score = trial["score"]
        missing = score is None or math.isnan(score)
        return (missing, 0.0 if missing else score if lower else -score, trial["trial"])

    return sorted(trials, key=order)


def leaderboard(settings: dict, trials: list[dict]) -> dict:
    """The trials best first, as Azure's studio lists an AutoML job's models."""
    primary = settings["primary_metric"]
    rows = [{"rank": i + 1, **{k: t[k] for k in ("trial", "run_id", "algorithm", "score", "duration_seconds")},
             "metrics": t["metrics"], "hyperparameters": t["hyperparameters"]} for i, t in enumerate(rank(settings, trials))]
    return {"task": settings["task"], "primary_metric": primary,
            "goal": "minimize" if primary in LOWER_IS_BETTER else "maximize", "trials": rows}


# -- the best model -------------------------------------------------------------


def requirements(learner: str) -> list[str]:
    """Pinned pip requirements of the logged model; listing them saves MLflow's slow inference step."""
    from importlib.metadata import version

    packages = ["mlflow", "scikit-learn", "pandas", "numpy", "scipy", "cloudpickle"] + (["lightgbm"] if learner == "lgbm" else [])
    return [f"{p}=={version(p)}" for p in packages]


def save_model(model: Any, folder: Path, example, learner: str) -> None:
    """An MLflow model (sklearn flavour, pyfunc loadable) with its signature and an input example.

    The model's own module is pickled by value, so loading needs no amlpilot.
    """
    import cloudpickle
    import mlflow.sklearn
    from mlflow.models import infer_signature

    from workspace.local.automl import model as model_module

    signature = infer_signature(example, model.predict(example))
    cloudpickle.register_pickle_by_value(model_module)
    quiet = logging.getLogger("mlflow.sklearn")  # its pickle-safety advice is for models from strangers
    level, quiet.level = quiet.level, logging.ERROR
    try:
        mlflow.sklearn.save_model(model, str(folder), serialization_format="cloudpickle", signature=signature,
                                  input_example=example, pip_requirements=requirements(learner))
    finally:
        cloudpickle.unregister_pickle_by_value(model_module)
        quiet.setLevel(level)


def log_outcome(client, parent_run_id: str, settings: dict, trials: list[dict], folder: Path, model_folder: Path | None) -> dict:
    """The parent run's best metrics, tags and artifacts; returns the job properties to store."""
    from mlflow.entities import Metric

    best = best_trial(settings, trials)
    now = int(time.time() * 1000)
    metrics = [Metric(k, v, now, 0) for k, v in best["metrics"].items() if not math.isnan(v)]
    client.log_batch(parent_run_id, metrics=metrics + [Metric("trials", float(len(trials)), now, 0)])
    properties = {
        "azureml.automl.primary_metric": settings["primary_metric"], "azureml.automl.best_score": f"{best['score']:.6g}",
        "azureml.automl.best_algorithm": best["algorithm"], "azureml.automl.best_child_run_id": best["run_id"],
        "azureml.automl.trials": str(len(trials)),
    }
    for key, value in properties.items():
        client.set_tag(parent_run_id, key, value)
    client.set_tag(best["run_id"], "azureml.automl.best", "true")
    for name in (LEADERBOARD, FEATURIZATION):
        client.log_artifact(parent_run_id, str(folder / name))
    if model_folder is not None:
        client.log_artifacts(parent_run_id, str(model_folder), "best_model")
    return properties
