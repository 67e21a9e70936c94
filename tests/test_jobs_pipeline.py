"""Pipeline jobs: a DAG of command steps, parallel where independent, outputs passed on, steps reused.

No ``from __future__ import annotations`` here: @pipeline reads the parameter annotations as types.
"""

import os
import signal
import textwrap
from pathlib import Path

import pytest

from test_jobs_support import (  # noqa: F401
    cluster, curated, job_log, jobs_client, mlflow_db_template, mlflow_run, wait_for, wait_status, write_script,
)

MAKE = textwrap.dedent(
    """
    import pathlib, sys, time
    n, out = int(sys.argv[1]), pathlib.Path(sys.argv[2])
    start = time.time()
    time.sleep(1.0)  # long enough that two steps started together overlap on a loaded machine
    (out / "n.txt").write_text(str(n))
    (out / "times.txt").write_text(f"{start} {time.time()}")
    print("made", n)
    """
)
JOIN = textwrap.dedent(
    """
    import pathlib, sys
    a, b, out = (pathlib.Path(p) for p in sys.argv[1:4])
    total = int((a / "n.txt").read_text()) + int((b / "n.txt").read_text())
    (out / "total.txt").write_text(str(total))
    print("total", total)
    """
)


@pytest.fixture
def code(tmp_path) -> Path:
    write_script(tmp_path / "src", "make.py", MAKE)
    write_script(tmp_path / "src", "join.py", JOIN)
    return write_script(tmp_path / "src", "fail.py", "raise ValueError('no numbers today')\n")


def _components(code: Path):
    from azure.ai.ml import Input, Output, command

    make = command(
        name="make", code=str(code), command="python make.py ${{inputs.n}} ${{outputs.out}}",
        inputs={"n": Input(type="integer")}, outputs={"out": Output(type="uri_folder")}, environment=curated(),
    )
    join = command(
        name="join", code=str(code), command="python join.py ${{inputs.x}} ${{inputs.y}} ${{outputs.total}}",
        inputs={"x": Input(type="uri_folder"), "y": Input(type="uri_folder")}, outputs={"total": Output(type="uri_folder")},
        environment=curated(),
    )
    return make, join


def _three_steps(code: Path):
    from azure.ai.ml.dsl import pipeline

    make, join = _components(code)

    @pipeline(default_compute="pair", experiment_name="pipelines")
    def numbers(first: int, second: int = 10):
        a = make(n=first)
        b = make(n=second)
        c = join(x=a.outputs.out, y=b.outputs.out)
        return {"total": c.outputs.total}

    return numbers


def _steps(client, name: str) -> dict:
    return {job.display_name: job for job in client.jobs.list(parent_job_name=name)}


def _interval(client, job) -> tuple[float, float]:
    folder = client.datastores.resolve(job.outputs["out"].path)
    start, end = (Path(folder) / "times.txt").read_text().split()
    return float(start), float(end)


def test_three_steps_run_in_parallel_pass_outputs_and_are_reused(jobs_client, code, tmp_path):
    client = jobs_client
    cluster(client, "pair", 2)
    numbers = _three_steps(code)

    first = client.jobs.create_or_update(numbers(first=4)).name
    job = wait_status(client, first, "Completed")
    steps = _steps(client, first)
    assert set(steps) == {"a", "b", "c"} and all(s.status == "Completed" for s in steps.values())
    a, b = _interval(client, steps["a"]), _interval(client, steps["b"])
    assert max(a[0], b[0]) < min(a[1], b[1]), f"independent steps ran one after another: {a} {b}"
    client.jobs.download(first, download_path=tmp_path / "dl", output_name="total")
    assert (tmp_path / "dl" / "named-outputs" / "total" / "total.txt").read_text() == "14"
    for step in steps.values():
        assert mlflow_run(client, step.properties["mlflow.runId"]).data.tags["mlflow.parentRunId"] == job.properties["mlflow.runId"]

    second = client.jobs.create_or_update(numbers(first=4)).name
    again = wait_status(client, second, "Completed")
    reused = _steps(client, second)
    assert {s: j.properties.get("reused_from") for s, j in reused.items()} == {s: j.name for s, j in steps.items()}
    assert all(j.status == "Completed" for j in reused.values()) and again.properties["steps_reused"] == "3"
    assert again.outputs["total"].path == job.outputs["total"].path

    third = client.jobs.create_or_update(numbers(first=5)).name  # a changes, so c must run again; b is reused
    wait_status(client, third, "Completed")
    rerun = _steps(client, third)
    assert {s: bool(j.properties.get("reused_from")) for s, j in rerun.items()} == {"a": False, "b": True, "c": False}
    client.jobs.download(third, download_path=tmp_path / "dl3", output_name="total")
    assert (tmp_path / "dl3" / "named-outputs" / "total" / "total.txt").read_text() == "15"


PIPELINE_YAML = """\
$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
experiment_name: yaml-pipelines
inputs:
  first: 2
outputs:
  total:
    type: uri_folder
settings:
  default_compute: azureml:pair
jobs:
  prep:
    type: pipeline
    component: ./prep.yml
    inputs:
      n: ${{parent.inputs.first}}
  count:
    type: command
    component: azureml:make_number:1
    inputs:
      n: 30
  join:
    type: command
    inputs:
      x: ${{parent.jobs.prep.outputs.made}}
      y: ${{parent.jobs.count.outputs.out}}
    outputs:
      total: ${{parent.outputs.total}}
    component:
      type: command
      code: ./src
      environment: azureml:AzureML-sklearn-1.5@latest
      command: python join.py ${{inputs.x}} ${{inputs.y}} ${{outputs.total}}
      inputs:
        x: {type: uri_folder}
        y: {type: uri_folder}
      outputs:
        total: {type: uri_folder}
"""
PREP_YAML = """\
$schema: https://azuremlschemas.azureedge.net/latest/pipelineComponent.schema.json
type: pipeline
name: prep
inputs:
  n: {type: integer}
outputs:
  made: {type: uri_folder}
jobs:
  make:
    type: command
    component: ./make.yml
    inputs:
      n: ${{parent.inputs.n}}
    outputs:
      out: ${{parent.outputs.made}}
"""
MAKE_YAML = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
type: command
name: make_number
version: "1"
code: ./src
environment: azureml:AzureML-sklearn-1.5@latest
command: python make.py ${{inputs.n}} ${{outputs.out}}
inputs:
  n: {type: integer}
outputs:
  out: {type: uri_folder}
"""


def test_yaml_pipeline_with_a_nested_pipeline_component_a_file_and_a_registered_component(jobs_client, code, tmp_path):
    from azure.ai.ml import load_component, load_job

    client = jobs_client
    cluster(client, "pair", 2)
    project = tmp_path
    for name, text in (("pipeline.yml", PIPELINE_YAML), ("prep.yml", PREP_YAML), ("make.yml", MAKE_YAML)):
        (project / name).write_text(text)
    client.components.create_or_update(load_component(project / "make.yml"))

    name = client.jobs.create_or_update(load_job(project / "pipeline.yml")).name
    job = wait_status(client, name, "Completed")
    steps = _steps(client, name)
    assert set(steps) == {"prep/make", "count", "join"}
    assert all(s.compute == "pair" for s in steps.values())
    client.jobs.download(name, download_path=tmp_path / "dl", output_name="total")
    assert (tmp_path / "dl" / "named-outputs" / "total" / "total.txt").read_text() == "32"
    assert job.experiment_name == "yaml-pipelines" and job.type == "pipeline"


def test_a_failing_step_fails_the_pipeline_naming_the_step_and_cancels_the_rest(jobs_client, code):
    from azure.ai.ml import Input, Output, command
    from azure.ai.ml.dsl import pipeline

    client = jobs_client
    cluster(client, "pair", 2)
    _, join = _components(code)
    broken = command(name="broken", code=str(code), command="python fail.py ${{inputs.n}}",
                     inputs={"n": Input(type="integer")}, outputs={"out": Output(type="uri_folder")}, environment=curated())
    slow = command(name="slow", code=str(code), command="sleep 120", environment=curated())

    @pipeline(default_compute="pair")
    def doomed():
        bad = broken(n=1)
        slow()
        join(x=bad.outputs.out, y=bad.outputs.out)

    name = client.jobs.create_or_update(doomed()).name
    job = wait_status(client, name, "Failed")
    steps = _steps(client, name)
    assert job.properties["error"] == f"step 'bad' (job {steps['bad'].name}) failed: ValueError: no numbers today"
    assert steps["bad"].status == "Failed"
    assert wait_status(client, steps["slow"].name, "Canceled")
    assert "join" not in steps  # it waited for the failed step and never started


@pytest.mark.parametrize("case", ["unknown step", "cycle", "unknown compute", "unbound output", "unknown component"])
def test_bad_pipelines_are_refused_before_anything_is_queued(jobs_client, code, case):
    import yaml
    from azure.ai.ml import load_component, load_job

    from workspace.errors import UserInputError
    from workspace.local.controlplane import controlplane_status

    client = jobs_client
    cluster(client, "pair", 2)
    document = yaml.safe_load(PIPELINE_YAML)
    document["jobs"] = {
        "a": {"type": "command", "component": "azureml:make_number:1", "inputs": {"n": 1}},
        "b": {"type": "command", "component": "azureml:make_number:1", "inputs": {"n": 2}},
    }
    document["outputs"] = {}
    expected = {
        "unknown step": "jobs.b.inputs.n: '${{parent.jobs.zz.outputs.out}}' names step 'zz', which the pipeline does not have (steps: a, b)",
        "cycle": "jobs: 'a -> b -> a' form a cycle",
        "unknown compute": "jobs.b.compute: 'nowhere' was not found in this workspace",
        "unbound output": "outputs.total: 'total' is written by no step",
        "unknown component": "jobs.a.component: 'missing' was not found in this workspace (known: make_number)",
    }[case]
    client.components.create_or_update(load_component(_write(code.parent / "make.yml", MAKE_YAML)))
    if case == "unknown step":
        document["jobs"]["b"]["inputs"]["n"] = "${{parent.jobs.zz.outputs.out}}"
    elif case == "cycle":
        document["jobs"]["a"]["inputs"]["n"] = "${{parent.jobs.b.outputs.out}}"
        document["jobs"]["b"]["inputs"]["n"] = "${{parent.jobs.a.outputs.out}}"
    elif case == "unknown compute":
        document["jobs"]["b"]["compute"] = "azureml:nowhere"
    elif case == "unbound output":
        document["outputs"] = {"total": {"type": "uri_folder"}}
    else:
        document["jobs"]["a"]["component"] = "azureml:missing:3"
    job = load_job(_write(code.parent / "bad.yml", yaml.safe_dump(document)))
    with pytest.raises(UserInputError) as info:
        client.jobs.create_or_update(job)
    assert str(info.value).startswith(expected), str(info.value)
    assert list(client.jobs.list()) == [] and not controlplane_status(client.root)["running"]


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("driver_dies", [False, True])
def test_kill_9_of_the_control_plane_keeps_parent_and_steps_consistent(jobs_client, code, driver_dies):
    from azure.ai.ml import command
    from azure.ai.ml.dsl import pipeline

    from workspace.local.controlplane import controlplane_status, ensure_controlplane, procs, state

    client = jobs_client
    step = command(name="nap", code=str(code), command="sleep 3 && echo rested", environment=curated())

    @pipeline()
    def napping():
        step()

    name = client.jobs.create_or_update(napping()).name
    child = wait_for(lambda: list(client.jobs.list(parent_job_name=name)), what="the step").pop().name
    wait_status(client, child, "Running")
    daemon = controlplane_status(client.root)["pid"]
    os.kill(daemon, signal.SIGKILL)
    wait_for(lambda: not procs.is_alive(daemon, None), what="the control plane to die")
    if driver_dies:
        driver = state.get_job(client._ctx.store, name)
        os.killpg(driver.pid, signal.SIGKILL)
        wait_for(lambda: not procs.is_alive(driver.pid, None), what="the driver to die")
    ensure_controlplane(client.root)
    if driver_dies:
        parent = wait_status(client, name, "Failed")
        assert "without recording an exit status" in parent.properties["error"]
        wait_status(client, child, "Canceled")  # the orphaned step does not run on
    else:
        wait_status(client, name, "Completed")
        assert "rested" in job_log(client, child)
