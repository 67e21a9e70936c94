"""The job view of parent jobs: a sweep's trial table while it runs and when it ends, and an AutoML leaderboard.

Both jobs run for real on the workspace's control plane (Optuna trials as child
jobs, FLAML on a slice of the diabetes data); the ``jobs_root`` fixture stops it
and every job process afterwards. What the screen shows is checked against what
the workspace itself says (``jobs.get``'s best trial, the ``automl-leaderboard``
tool's ranking).
"""

from __future__ import annotations

import pytest
from test_tui_jobs import open_from_panel
from test_tui_support import (  # noqa: F401
    SIZE,
    anyio_backend,
    jobs_root,
    local_client,
    make_app,
    mlflow_template,
    ready,
    tui_root,
    until,
)

pytestmark = pytest.mark.anyio

# Waits for the test's go-ahead, so the table is sure to be seen while the trials run; the metric is a
# plain function of the hyperparameters, so the best trial is known in advance.
TRIAL = """
import argparse, pathlib, time
import mlflow
parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float); parser.add_argument("--depth", type=int); parser.add_argument("--go")
args = parser.parse_args()
print("trial waiting", flush=True)
while not pathlib.Path(args.go).exists():
    time.sleep(0.1)
mlflow.log_metric("acc", args.lr * 10 + args.depth / 100)
"""


def submit_sweep(root, tmp_path, go) -> str:
    from azure.ai.ml import command
    from azure.ai.ml.entities import AmlCompute
    from azure.ai.ml.sweep import Choice

    code = tmp_path / "sweep-src"
    code.mkdir()
    (code / "trial.py").write_text(TRIAL)
    client = local_client(root)
    try:
        client.compute.begin_create_or_update(AmlCompute(name="sweepers", max_instances=2)).result()
        trial = command(code=str(code), command=f"python trial.py --lr ${{{{inputs.lr}}}} --depth ${{{{inputs.depth}}}} --go {go}",
                        inputs={"lr": 0.01, "depth": 2}, environment="azureml:AzureML-sklearn-1.5@latest", compute="sweepers")
        sweep = trial(lr=Choice([0.01, 0.05]), depth=Choice([2, 4])).sweep(
            primary_metric="acc", goal="maximize", sampling_algorithm="grid", compute="sweepers")
        sweep.set_limits(max_total_trials=4, max_concurrent_trials=2)
        return client.jobs.create_or_update(sweep).name
    finally:
        client.close()


@pytest.mark.slow
async def test_a_sweep_shows_its_trials_while_running_and_marks_the_best(jobs_root, tmp_path):
    from tui.widgets.sweep_trials import SweepTrialTable

    go = tmp_path / "go"
    name = submit_sweep(jobs_root, tmp_path, go)
    app = make_app(jobs_root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await open_from_panel(pilot, name)
        table = screen.query_one(SweepTrialTable)
        await until(pilot, lambda: table.display and table.trials and len(table.trials.rows) == 2,
                    "the first two trials in the table", timeout=90)
        assert table.best_name is None and "no completed trial yet" in str(table.border_title)
        assert {r.status for r in table.trials.rows} <= {"NotStarted", "Queued", "Starting", "Preparing", "Running"}
        assert [str(c.label) for c in table.columns.values()][1:] == ["trial", "status", "lr", "depth", "acc", "stopped because"]
        go.write_text("go")
        await until(pilot, lambda: screen.state is not None and screen.state.terminal, f"sweep {name} to end", timeout=120)
        assert screen.state.status == "Completed"
        rows = table.trials.rows
        assert [r.name for r in rows] == [f"{name}_{i}" for i in range(4)] and {r.status for r in rows} == {"Completed"}
        assert sorted((dict(r.parameters)["lr"], dict(r.parameters)["depth"]) for r in rows) == [(0.01, 2), (0.01, 4), (0.05, 2), (0.05, 4)]
        best = table.trials.best
        assert dict(best.parameters) == {"lr": 0.05, "depth": 4} and best.value == pytest.approx(0.54)
        assert table.get_row(best.name)[0].plain == "★" and table.get_row(rows[0].name)[0].plain.strip() == ""
        assert f"best {best.name} = 0.54" in str(table.border_title)
        chart = screen.query_one("MetricsChart")  # a sweep charts each trial's primary metric from MLflow
        assert chart.title == "acc by trial" and sorted(chart.metrics) == [f"trial {i}" for i in range(4)]
        assert {round(points[-1][1], 4) for points in chart.metrics.values()} == {0.12, 0.14, 0.52, 0.54}
    client = local_client(jobs_root)
    try:
        assert client.jobs.get(name).properties["best_child_run_id"] == best.name  # the sweep driver agrees
    finally:
        client.close()


def register_diabetes_slice(root, tmp_path, rows: int = 300) -> str:
    import pandas as pd
    from azure.ai.ml.entities import Data
    from conftest import SHARED_DATA

    folder = tmp_path / "diabetes-slice"
    folder.mkdir()
    pd.read_csv(SHARED_DATA / "diabetes" / "diabetes.csv", nrows=rows).to_csv(folder / "data.csv", index=False)
    (folder / "MLTable").write_text("paths:\n  - file: ./data.csv\ntransformations:\n  - read_delimited:\n      delimiter: ','\n")
    client = local_client(root)
    try:
        return client.data.create_or_update(Data(name="diabetes-slice", path=str(folder), type="mltable")).name
    finally:
        client.close()


def submit_automl(root, data: str) -> str:
    from azure.ai.ml import Input, automl

    job = automl.classification(training_data=Input(type="mltable", path=f"azureml:{data}@latest"),
                                target_column_name="Diabetic", primary_metric="accuracy", n_cross_validations=2)
    job.set_limits(timeout_minutes=1, max_trials=4)
    job.set_training(allowed_training_algorithms=["LightGBM", "LogisticRegression"])
    client = local_client(root)
    try:
        return client.jobs.create_or_update(job).name
    finally:
        client.close()


@pytest.mark.slow
async def test_an_automl_job_shows_its_leaderboard_best_first(jobs_root, tmp_path):
    from tools.automl import leaderboard_rows
    from tui.widgets.automl_leaderboard import AutoMLLeaderboard

    name = submit_automl(jobs_root, register_diabetes_slice(jobs_root, tmp_path))
    app = make_app(jobs_root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await open_from_panel(pilot, name)
        board = screen.query_one(AutoMLLeaderboard)
        await until(pilot, lambda: screen.state is not None and screen.state.terminal, f"automl job {name} to end", timeout=150)
        assert screen.state.status == "Completed", screen.state.error
        assert board.display and board.board.metric == "accuracy"
        rows = board.board.rows
        assert len(rows) >= 2 and [r.rank for r in rows] == list(range(1, len(rows) + 1))
        scores = [r.score for r in rows]
        assert scores == sorted(scores, reverse=True)  # accuracy: higher is better, best first
        assert {r.algorithm for r in rows} <= {"LightGBM", "LogisticRegression"}
        assert board.get_row_at(0)[0].plain == "★" and f"best {rows[0].algorithm}" in str(board.border_title)
        assert not screen.query_one("#job-children").display
    client = local_client(jobs_root)
    try:
        expected = leaderboard_rows(client, client.jobs.get(name), 50)  # what the agent's tool would answer
    finally:
        client.close()
    assert [(r.trial, r.algorithm) for r in rows] == [(e["trial"], e["algorithm"]) for e in expected]
    assert rows[0].score == pytest.approx(expected[0]["score"])
