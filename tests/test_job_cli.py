"""`amlpilot job ...`, `amlpilot workspace up|down|status` and `amlpilot apply -f job.yml --stream`."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from test_jobs_support import jobs_client, mlflow_db_template, wait_for, wait_status, write_script  # noqa: F401

SCHEMA = "https://azuremlschemas.azureedge.net/latest"
COMMAND_JOB = "$schema: " + SCHEMA + """/commandJob.schema.json
name: {name}
code: src
command: python hello.py {args} ${{{{outputs.greeting}}}}
outputs:
  greeting:
    type: uri_folder
environment: azureml:AzureML-sklearn-1.5@latest
"""
HELLO = textwrap.dedent(
    """
    import pathlib, sys, time
    if sys.argv[1] == "fail":
        raise SystemExit("hello: asked to fail")
    time.sleep(float(sys.argv[1]))
    pathlib.Path(sys.argv[2], "hello.txt").write_text("hello")
    print("said hello")
    """
)
SWEEP_JOB = "$schema: " + SCHEMA + """/sweepJob.schema.json
type: sweep
name: {name}
trial:
  code: src
  command: python score.py ${{{{search_space.x}}}}
  environment: azureml:AzureML-sklearn-1.5@latest
search_space:
  x:
    type: choice
    values: [1, 3]
sampling_algorithm: grid
objective:
  primary_metric: score
  goal: maximize
limits:
  max_total_trials: 2
  max_concurrent_trials: 2
"""
SCORE = "import sys, mlflow\nmlflow.log_metric('score', float(sys.argv[1]))\n"


@pytest.fixture
def cli(jobs_client):
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, ["--workspace", str(jobs_client.root), *args])

    return run


@pytest.fixture
def project(tmp_path) -> Path:
    write_script(tmp_path / "src", "hello.py", HELLO)
    write_script(tmp_path / "src", "score.py", SCORE)
    return tmp_path


def _job_file(project: Path, name: str, args: str) -> Path:
    path = project / f"{name}.yml"
    path.write_text(COMMAND_JOB.format(name=name, args=args))
    return path


def _ok(result) -> str:
    assert result.exit_code == 0, f"exit {result.exit_code}: {result.output}"
    return result.stdout


def _one_line_error(result, code: int, *fragments: str) -> str:
    assert result.exit_code == code, f"exit {result.exit_code}: {result.output}"
    lines = [line for line in result.stderr.strip().splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    return lines[0]


def test_workspace_up_status_down(cli):
    assert _ok(cli("workspace", "status")).count("running") == 1
    assert json.loads(_ok(cli("workspace", "status", "--json")))["running"] is False
    up = _ok(cli("workspace", "up"))
    assert up.startswith("control plane running (pid ")
    status = json.loads(_ok(cli("workspace", "status", "--json")))
    assert status["running"] is True and str(status["pid"]) in up
    assert _ok(cli("workspace", "down")) == f"control plane stopped (pid {status['pid']})\n"
    assert json.loads(_ok(cli("workspace", "status", "--json")))["running"] is False
    assert _ok(cli("workspace", "down")) == "control plane was not running\n"


def test_apply_stream_list_show_and_download_a_command_job(cli, project, tmp_path):
    streamed = cli("apply", "-f", str(_job_file(project, "hello_1", "0.2")), "--stream")
    out = _ok(streamed)
    assert out.startswith("job hello_1 submitted (")
    assert "said hello" in out and "Execution" not in out
    assert "job hello_1 Completed" in streamed.stderr  # the last progress line

    listed = json.loads(_ok(cli("job", "list", "--json")))
    assert [j["name"] for j in listed] == ["hello_1"] and listed[0]["status"] == "Completed"
    assert "hello_1" in _ok(cli("job", "list"))
    shown = json.loads(_ok(cli("job", "show", "hello_1", "--json")))
    assert shown["status"] == "Completed" and shown["type"] == "command"
    assert "status: Completed" in _ok(cli("job", "show", "hello_1"))

    target = tmp_path / "dl"
    assert "named-outputs/greeting" in _ok(cli("job", "download", "hello_1", "--output", "greeting", "--path", str(target)))
    assert (target / "named-outputs" / "greeting" / "hello.txt").read_text() == "hello"
    _ok(cli("job", "download", "hello_1", "--path", str(target)))
    assert "said hello" in (target / "artifacts" / "user_logs" / "std_log.txt").read_text()
    assert _ok(cli("job", "stream", "hello_1")).count("said hello") == 1  # an ended job streams its log and exits 0


def test_stream_exits_1_for_failed_and_canceled_jobs_and_cancel_works(cli, project, jobs_client):
    assert "job failing_1 submitted" in _ok(cli("apply", "-f", str(_job_file(project, "failing_1", "fail"))))
    _one_line_error(cli("job", "stream", "failing_1"), 1, "job failing_1 failed", "hello: asked to fail")

    _ok(cli("apply", "-f", str(_job_file(project, "sleepy_1", "120"))))
    wait_status(jobs_client, "sleepy_1", "Running")
    assert _ok(cli("job", "cancel", "sleepy_1")) == "job sleepy_1 Canceled\n"
    assert _ok(cli("job", "cancel", "sleepy_1")) == "job sleepy_1 already ended (Canceled)\n"
    _one_line_error(cli("job", "stream", "sleepy_1"), 1, "job sleepy_1 canceled")


def test_bad_input_is_one_line_and_exit_2(cli, project):
    _one_line_error(cli("job", "show", "nope"), 2, "job: 'nope' was not found")
    _one_line_error(cli("job", "stream", "nope"), 2, "job: 'nope' was not found")
    _one_line_error(cli("job", "list", "--parent", "nope"), 2, "job: 'nope' was not found")
    bad = project / "bad_sweep.yml"
    bad.write_text(SWEEP_JOB.format(name="bad_1").replace("values: [1, 3]", "values: [1, 3]\n  y:\n    type: uniform\n    min_value: 0\n    max_value: 1"))
    _one_line_error(cli("apply", "-f", str(bad)), 2, "search_space.y: 'uniform' can't be sampled by grid sampling")
    assert json.loads(_ok(cli("job", "list", "--json"))) == []


def test_apply_stream_of_a_sweep_shows_trials_and_the_best_score(cli, project):
    sweep = project / "sweep.yml"
    sweep.write_text(SWEEP_JOB.format(name="cli_sweep"))
    result = cli("apply", "-f", str(sweep), "--stream")
    assert _ok(result).startswith("job cli_sweep submitted (")
    trials = json.loads(_ok(cli("job", "show", "cli_sweep", "--json")))["trials"]
    assert sorted(t["name"] for t in trials) == ["cli_sweep_0", "cli_sweep_1"]
    assert sorted((t["parameters"]["x"], t["score"]) for t in trials) == [(1, 1.0), (3, 3.0)]
    best = next(t["name"] for t in trials if t["score"] == 3.0)
    assert "trials 2/2 ended" in result.stderr and f"best score 3 ({best})" in result.stderr, result.stderr
    assert f"best trial: {best} with score=3" in result.stdout  # the driver's log

    children = json.loads(_ok(cli("job", "list", "--parent", "cli_sweep", "--json")))
    assert sorted(c["name"] for c in children) == ["cli_sweep_0", "cli_sweep_1"]
    shown = _ok(cli("job", "show", "cli_sweep"))
    assert f"best_child_run_id: {best}" in shown and "trials" in shown and "parameters" in shown


PIPELINE_JOB = "$schema: " + SCHEMA + """/pipelineJob.schema.json
type: pipeline
name: {name}
jobs:
  nap:
    type: command
    component:
      type: command
      code: ./src
      environment: azureml:AzureML-sklearn-1.5@latest
      command: python hello.py 120 .
"""


def test_cancelling_a_pipeline_from_the_cli_cancels_its_running_step(cli, project, jobs_client):
    path = project / "pipeline.yml"
    path.write_text(PIPELINE_JOB.format(name="napping_1"))
    assert _ok(cli("apply", "-f", str(path))).startswith("job napping_1 submitted (")
    step = wait_for(lambda: list(jobs_client.jobs.list(parent_job_name="napping_1")), what="the step").pop().name
    wait_status(jobs_client, step, "Running")
    assert _ok(cli("job", "cancel", "napping_1")) == "job napping_1 Canceled\n"
    wait_status(jobs_client, step, "Canceled")
    steps = json.loads(_ok(cli("job", "show", "napping_1", "--json")))["steps"]
    assert [(s["step"], s["status"]) for s in steps] == [("nap", "Canceled")]
    _one_line_error(cli("job", "stream", "napping_1"), 1, "job napping_1 canceled")


def test_batch_job_progress_names_its_endpoint_and_counts_files():
    from types import SimpleNamespace

    from agent.job_commands import progress

    running = SimpleNamespace(name="b1", status="Running", type="pipeline",
                              properties={"azureml.batchEndpoint": "ep", "azureml.batchDeployment": "d"})
    assert progress(None, running) == "job b1 Running · batch ep/d"  # no child lookup: the client is never asked
    done = SimpleNamespace(**{**vars(running), "status": "Completed", "properties": {
        **running.properties, "azureml.batch.files": "4", "azureml.batch.files_failed": "1", "azureml.batch.rows": "30"}})
    assert progress(None, done) == "job b1 Completed · batch ep/d · 3/4 files scored (1 failed) · 30 rows"
