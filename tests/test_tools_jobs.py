"""jobs-*, automl-* and schedules-* through the tool catalog: previews change nothing, real jobs run, results read back."""

from __future__ import annotations

import pytest

from test_jobs_support import curated, jobs_client, mlflow_db_template, wait_status, write_script  # noqa: F401  (fixtures)
from test_tools_support import Workspace, state
from tools.base import ToolContext
from tools.catalog import build_plugins
from workspace.errors import NotSupportedLocallyError, ResourceNotFoundError, UserInputError


def test_every_job_automl_and_schedule_write_is_covered_here():
    from tools.catalog import all_specs

    writes = {name for name, spec in all_specs().items() if spec.effect != "read" and name.startswith(("jobs-", "automl-", "schedules-"))}
    assert writes == {"jobs-create_command", "jobs-cancel", "jobs-download", "automl-create", "schedules-create",
                      "schedules-enable", "schedules-disable", "schedules-trigger", "schedules-delete"}


@pytest.fixture
def tws(jobs_client, tmp_path, diabetes_dir):
    ws = Workspace(jobs_client, build_plugins(jobs_client, ToolContext(user="tester")), tmp_path)
    ws.call("data-create", name="diabetes", path=str(diabetes_dir))
    return ws


def test_command_jobs_list_get_logs_cancel_and_download(tws, tmp_path):
    code = write_script(tmp_path / "src", "run.py", "import mlflow, sys\nmlflow.log_metric('rmse', 0.25)\nprint('hello from', sys.argv[1])\n")
    before = state(tws.client)
    plan = tws.preview("jobs-create_command", command="python run.py ${{inputs.greeting}}", code=str(code),
                       inputs={"greeting": "tools"}, environment=curated(), name="hello-tools")
    assert state(tws.client) == before
    assert plan.summary == "job hello-tools: absent -> command `python run.py ${{inputs.greeting}}` on serverless"
    assert (plan.inverse.tool, plan.inverse.arguments) == ("jobs-cancel", {"name": "hello-tools"})
    with pytest.raises(UserInputError, match="command: '\\$\\{\\{inputs.nope\\}\\}' uses input 'nope', which is not given"):
        tws.preview("jobs-create_command", command="python run.py ${{inputs.nope}}", code=str(code), environment=curated())
    with pytest.raises(ResourceNotFoundError, match="compute: 'gpu-farm'"):
        tws.preview("jobs-create_command", command="echo", compute="gpu-farm", environment=curated())

    submitted = tws.call("jobs-create_command", command="python run.py ${{inputs.greeting}}", code=str(code),
                         inputs={"greeting": "tools"}, environment=curated(), name="hello-tools")
    assert submitted["job"]["name"] == "hello-tools"
    wait_status(tws.client, "hello-tools", "Completed")
    got = tws.call("jobs-get", name="hello-tools")
    assert got["status"] == "Completed" and got["metrics"] == {"rmse": 0.25} and "hello from tools" in got["log_tail"]
    assert tws.call("jobs-logs", name="hello-tools", lines=5)["lines"][-1] == "hello from tools"
    assert [j["name"] for j in tws.call("jobs-list", status="Completed")] == ["hello-tools"]
    assert tws.preview("jobs-cancel", name="hello-tools").warnings == ["hello-tools already ended (Completed); nothing to cancel"]

    tws.call("jobs-download", name="hello-tools", download_path=str(tmp_path / "out"))
    assert "hello from tools" in (tmp_path / "out" / "artifacts" / "user_logs" / "std_log.txt").read_text()

    sleeper = tws.call("jobs-create_command", command="sleep 60", environment=curated())["job"]["name"]
    wait_status(tws.client, sleeper, "Running")
    plan = tws.preview("jobs-cancel", name=sleeper)
    assert plan.summary == f"job {sleeper}: Running -> Canceled" and not plan.warnings
    assert tws.call("jobs-cancel", name=sleeper)["status"] == "Canceled"


def test_automl_create_previews_refuses_bad_input_and_runs_end_to_end(tws):
    before = state(tws.client)
    plan = tws.preview("automl-create", task="classification", training_data="diabetes", target_column="Diabetic",
                       primary_metric="AUC_weighted", timeout_minutes=1, max_trials=3, name="automl-tools")
    assert state(tws.client) == before
    assert plan.summary == ("automl job automl-tools: absent -> classification of Diabetic on diabetes:1 by AUC_weighted, "
                            "1 min, 3 trials, trying LightGBM, RandomForest, ExtremeRandomTrees, LogisticRegression, SGD")
    assert plan.inverse.tool == "jobs-cancel"
    bad = [
        (dict(primary_metric="f1"), UserInputError, "primary_metric: 'f1' is invalid: Input should be 'accuracy', 'AUC_weighted'"),
        (dict(primary_metric="r2_score"), UserInputError, "primary_metric: 'r2_score' is not a classification metric; use one of: accuracy"),
        (dict(target_column="Diabetc"), UserInputError, "target_column: 'Diabetc' is not a column of diabetes:1 \\(columns: PatientID, "),
        (dict(allowed_algorithms=["XGBoostClassifier"]), NotSupportedLocallyError, "xgboost isn't installed locally"),
        (dict(blocked_algorithms=["LightGBM", "RandomForest", "ExtremeRandomTrees", "LogisticRegression", "SGD", "KNN",
                                  "DecisionTree", "GradientBoosting"]), UserInputError, "leaves no algorithm to try"),
        (dict(training_data="nope"), ResourceNotFoundError, "nope"),
    ]
    for change, error, message in bad:
        arguments = {**dict(task="classification", training_data="diabetes", target_column="Diabetic"), **change}
        with pytest.raises(error, match=message):
            tws.preview("automl-create", **arguments)
    assert state(tws.client) == before

    result = tws.call("automl-create", task="classification", training_data="diabetes", target_column="Diabetic",
                      primary_metric="AUC_weighted", timeout_minutes=1, max_trials=3, name="automl-tools",
                      allowed_algorithms=["LightGBM"])
    assert result["job"]["type"] == "automl"
    wait_status(tws.client, "automl-tools", "Completed", timeout=120)
    board = tws.call("automl-leaderboard", name="automl-tools", top=2)
    assert board["primary_metric"] == "AUC_weighted" and len(board["trials"]) == 2
    assert board["trials"][0]["score"] >= board["trials"][1]["score"] and board["trials"][0]["algorithm"] == "LightGBM"
    best = tws.call("automl-best_model", name="automl-tools")
    assert best["best"]["rank"] == 1 and best["model"]["run_uri"].endswith("/best_model")
    got = tws.call("jobs-get", name="automl-tools")
    assert got["task"] == "classification" and got["metrics"]["AUC_weighted"] == pytest.approx(best["best"]["score"])
    assert got["leaderboard"][0]["trial"] == best["best"]["trial"]
    tws.call("jobs-create_command", command="echo hi", environment=curated(), name="plain")
    with pytest.raises(UserInputError, match="name: 'plain' is a command job, not an AutoML job"):
        tws.call("automl-leaderboard", name="plain")


def test_schedules_tools_create_switch_and_delete(tws):
    tws.call("jobs-create_command", command="echo hi", environment=curated(), name="to-repeat")
    before = state(tws.client)
    plan = tws.preview("schedules-create", name="nightly", job_name="to-repeat", cron="0 2 * * *")
    assert state(tws.client) == before
    assert plan.summary == "schedule nightly: absent -> a copy of command job to-repeat cron 0 2 * * * (UTC)"
    assert (plan.inverse.tool, plan.inverse.arguments) == ("schedules-delete", {"name": "nightly"})
    with pytest.raises(UserInputError, match="give a frequency \\(with interval\\) or a cron expression, not both"):
        tws.preview("schedules-create", name="x", job_name="to-repeat")
    with pytest.raises(UserInputError, match="trigger.expression: '0 2 \\* \\*' needs five fields"):
        tws.preview("schedules-create", name="x", job_name="to-repeat", cron="0 2 * *")

    created = tws.call("schedules-create", name="nightly", job_name="to-repeat", frequency="day", hours=[2], minutes=[30])
    assert created["schedule"]["trigger"] == "every 1 day(s) at hours [2] minutes [30]" and created["schedule"]["enabled"]
    off = tws.preview("schedules-disable", name="nightly")
    assert off.summary == "schedule nightly: enabled -> disabled" and off.inverse.tool == "schedules-enable"
    assert tws.call("schedules-disable", name="nightly")["status"] == "disabled"
    assert [s["name"] for s in tws.call("schedules-list", include_disabled=False)] == []
    tws.call("schedules-enable", name="nightly")
    fired = tws.call("schedules-trigger", name="nightly")
    wait_status(tws.client, fired["job_name"], "Completed")
    shown = tws.call("schedules-get", name="nightly")
    assert shown["fires"] == 1 and shown["recent_fires"][0]["job_name"] == fired["job_name"]
    assert tws.preview("schedules-delete", name="nightly").resource_name == "nightly"
    tws.call("schedules-delete", name="nightly")
    assert tws.call("schedules-list") == []


def test_schedule_writes_are_undone_by_their_inverse(tws, tmp_path):
    schema = "$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json"
    (tmp_path / "job.yml").write_text(f"{schema}\ncommand: echo from a file\nenvironment: {curated()}\n")

    def schedules():
        return sorted((s["name"], s["enabled"], s["trigger"]) for s in tws.call("schedules-list"))

    before = schedules()
    plan = tws.preview("schedules-create", name="hourly", job_file=str(tmp_path / "job.yml"), frequency="hour", interval=2)
    tws.call("schedules-create", name="hourly", job_file=str(tmp_path / "job.yml"), frequency="hour", interval=2)
    created = schedules()
    assert created == [("hourly", True, "every 2 hour(s)")]
    tws.call(plan.inverse.tool, **plan.inverse.arguments)
    assert schedules() == before

    tws.call("schedules-create", name="hourly", job_file=str(tmp_path / "job.yml"), frequency="hour", interval=2)
    off = tws.preview("schedules-disable", name="hourly")
    tws.call("schedules-disable", name="hourly")
    assert schedules() == [("hourly", False, "every 2 hour(s)")]
    tws.call(off.inverse.tool, **off.inverse.arguments)
    assert schedules() == created
