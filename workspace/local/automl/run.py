"""The AutoML job process: ``python -m workspace.local.automl.run --root DIR --job NAME``.

The control plane's runner starts it like a command job's command, in the
job's process group and slot, with ``MLFLOW_RUN_ID`` set to the job's run.
It reads the settings stored on the job, featurizes the training data, lets
FLAML search within what is left of ``timeout_minutes``, then logs the best
model (featurizer included) and the leaderboard. Its output is the job log.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime
from pathlib import Path

from workspace.errors import AmlPilotError
from workspace.local.automl import tracking, trainer
from workspace.local.automl.problem import Problem
from workspace.local.controlplane import state
from workspace.local.controlplane.runner import job_folder
from workspace.local.store import Store

RESERVE_SHARE, RESERVE_MAX = 0.05, 10.0  # of the timeout, kept for exporting and logging the best model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workspace.local.automl.run")
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--job", required=True)
    args = parser.parse_args(argv)
    store = Store(args.root / "workspace.db")
    row = state.get_job(store, args.job)
    try:
        properties = run(args.root, row)
    except AmlPilotError as exc:  # a problem with the data or settings: one line, no traceback
        print(str(exc), flush=True)
        return 1
    spec = state.get_job(store, row.name).spec
    spec["properties"] = {**spec.get("properties", {}), **properties}
    state.update_job(store, row.name, spec=spec)
    return 0


def run(root: Path, row: state.JobRow) -> dict:
    from mlflow.tracking import MlflowClient

    settings, spec = row.spec["automl"], row.spec
    deadline = _started(row) + settings["limits"]["timeout_minutes"] * 60
    _announce(row.name, settings)
    frames = {name: read_table(Path(binding["local"])) for name, binding in (spec.get("inputs") or {}).items()}
    problem = Problem(settings, frames)
    print(f"featurized {problem.X.shape[0]} rows into {problem.X.shape[1]} features ({_since(row)})", flush=True)
    client = MlflowClient(tracking_uri=spec["mlflow_tracking_uri"])
    parent = os.environ.get("MLFLOW_RUN_ID") or row.mlflow_run_id
    folder = job_folder(root, row.name) / "automl"
    tracking.write_json(folder / tracking.FEATURIZATION, problem.summary)
    recorder = tracking.TrialRecorder(client, parent, settings, folder / "flaml.log", folder, row.name)
    budget = deadline - time.time() - min(RESERVE_MAX, RESERVE_SHARE * settings["limits"]["timeout_minutes"] * 60)
    print(f"searching for {budget:.0f} s at most, {settings['limits']['max_trials']} trials at most", flush=True)
    recorder.start()
    try:
        automl = trainer.search(settings, problem.X, problem.y, budget=budget, log_path=str(folder / "flaml.log"),
                                objective=problem.objective(), X_val=problem.X_val, y_val=problem.y_val, weights=problem.weights)
    finally:
        trials = recorder.finish()
    print(f"search done: {len(trials)} trials ({_since(row)})", flush=True)
    model = problem.export(automl)
    model_folder = _save(spec, model, problem, automl.best_estimator, folder)
    properties = tracking.log_outcome(client, parent, settings, trials, folder, model_folder)
    properties.update(problem.test_scores(model, client, parent))
    best = tracking.best_trial(settings, trials)
    print(f"best: trial {best['trial']} {best['algorithm']} {settings['primary_metric']}={best['score']:.4f} "
          f"after {len(trials)} trials; model in {model_folder} ({_since(row)})", flush=True)
    return properties


def _started(row: state.JobRow) -> float:
    """When the job started running: setting up counts against the experiment timeout, as on Azure."""
    if row.started_at:
        return datetime.fromisoformat(row.started_at).timestamp()
    return time.time()


def _since(row: state.JobRow) -> str:
    return f"{time.time() - _started(row):.1f} s since the job started"


def _announce(name: str, settings: dict) -> None:
    print(f"AutoML {settings['task']} job {name}: target {settings['target']!r}, primary metric {settings['primary_metric']}, "
          f"algorithms {', '.join(settings['algorithms'])}", flush=True)
    for warning in settings.get("warnings") or []:
        print(f"WARNING: {warning}", flush=True)


def read_table(path: Path):
    """An MLTable folder (or a folder of files, or one file) as a pandas frame."""
    if path.is_dir() and (path / "MLTable").is_file():
        import mltable

        return mltable.load(str(path)).to_pandas_dataframe()
    from workspace.local.operations.data import _read_table

    return _read_table(path)


def _save(spec: dict, model, problem: Problem, learner: str, job_dir: Path) -> Path:
    output = (spec.get("outputs") or {}).get("best_model")
    folder = Path(output["local"]) if output else job_dir / "best_model"
    if folder.exists() and any(folder.iterdir()):
        import shutil

        shutil.rmtree(folder)  # a retried job writes its model afresh
    tracking.save_model(model, folder, problem.example, learner)
    return folder

if __name__ == "__main__":
    sys.exit(main())
