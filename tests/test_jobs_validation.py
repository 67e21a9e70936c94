"""Submitting a bad job fails with one line naming the field, before anything is queued or started."""

from __future__ import annotations

import pytest

from test_jobs_support import curated, cluster, write_script
from workspace.errors import NotSupportedLocallyError, ResourceNotFoundError, UserInputError


def _command(code, **kwargs):
    from azure.ai.ml import command

    kwargs.setdefault("environment", curated())
    kwargs.setdefault("command", "python run.py")
    return command(code=str(code), **kwargs)


def _input(path, kind="uri_folder"):
    from azure.ai.ml import Input

    return Input(type=kind, path=str(path))


@pytest.fixture
def code(tmp_path):
    return write_script(tmp_path / "src", "run.py", "print('never runs')\n")


CASES = {
    "unknown compute": (
        lambda code, tmp: _command(code, compute="no-such-cluster"),
        ResourceNotFoundError, "compute: 'no-such-cluster' was not found",
    ),
    "missing input path": (
        lambda code, tmp: _command(code, command="python run.py ${{inputs.data}}", inputs={"data": _input(tmp / "nowhere")}),
        UserInputError, "inputs.data: ",
    ),
    "unknown data reference": (
        lambda code, tmp: _command(code, command="python run.py ${{inputs.data}}", inputs={"data": _input("azureml:nope:1", "mltable")}),
        ResourceNotFoundError, "inputs.data: 'azureml:nope:1' was not found in this workspace",
    ),
    "undeclared input": (
        lambda code, tmp: _command(code, command="python run.py ${{inputs.nope}}", inputs={"n": 1}),
        UserInputError, "command: '${{inputs.nope}}' names input 'nope', which the job does not declare (inputs: n)",
    ),
    "undeclared output": (
        lambda code, tmp: _command(code, command="python run.py ${{outputs.model}}"),
        UserInputError, "command: '${{outputs.model}}' names output 'model'",
    ),
    "missing code folder": (
        lambda code, tmp: _command(tmp / "no-src"),
        UserInputError, "code: ",
    ),
    "missing environment": (
        lambda code, tmp: _command(code, environment=None),
        UserInputError, "environment: a value is required",
    ),
    "unknown environment": (
        lambda code, tmp: _command(code, environment="azureml:no-env:3"),
        ResourceNotFoundError, "environment: 'no-env'",
    ),
    "file given for a folder input": (
        lambda code, tmp: _command(code, command="python run.py ${{inputs.data}}", inputs={"data": _input(code / "run.py")}),
        UserInputError, "inputs.data: ",
    ),
    "mpi across processes": (
        lambda code, tmp: _mpi(code),
        NotSupportedLocallyError, "distribution: 'mpi' is not supported on the local workspace",
    ),
    "remote output path": (
        lambda code, tmp: _command(code, command="python run.py ${{outputs.o}}", outputs={"o": _output("https://x.blob.core.windows.net/c/o/")}),
        NotSupportedLocallyError, "outputs.o: ",
    ),
}


def _mpi(code):
    from azure.ai.ml import MpiDistribution

    return _command(code, distribution=MpiDistribution(process_count_per_instance=2))


def _output(path):
    from azure.ai.ml import Output

    return Output(type="uri_folder", path=path)


@pytest.mark.parametrize("case", list(CASES))
def test_bad_job_is_refused_in_one_line_before_queueing(client, code, tmp_path, case):
    from workspace.local.controlplane import controlplane_status

    build, error, message = CASES[case]
    with pytest.raises(error) as info:
        client.jobs.create_or_update(build(code, tmp_path))
    text = str(info.value)
    assert message in text and "\n" not in text
    assert text.split(":")[0] in message.split(":")[0]  # the message starts with the field
    assert list(client.jobs.list()) == []
    assert controlplane_status(client.root)["running"] is False
    assert not (client.root / "controlplane").exists()
    uploads = client.paths.default_datastore / "LocalUpload"
    assert not uploads.exists() or not any(uploads.iterdir())  # a refused job leaves no snapshot behind


def test_job_larger_than_its_cluster_is_refused(client, code):
    cluster(client, "one-node", 1)
    with pytest.raises(UserInputError, match=r"^resources.instance_count: 2 is more than compute 'one-node' can run at once \(1\)$"):
        client.jobs.create_or_update(_command(code, compute="one-node", instance_count=2))
    assert list(client.jobs.list()) == []


def test_conda_environment_with_nothing_installable_is_refused(client, code, tmp_path):
    from azure.ai.ml.entities import Environment

    conda = tmp_path / "conda.yml"
    conda.write_text("dependencies:\n  - python=3.11\n  - cudatoolkit-nonexistent=11.8\n")
    client.environments.create_or_update(Environment(name="conda-only", image="ubuntu:22.04", conda_file=str(conda)))
    with pytest.raises(NotSupportedLocallyError, match=r"^environment.conda_file: 'cudatoolkit-nonexistent=11.8' is not supported"):
        client.jobs.create_or_update(_command(code, environment="azureml:conda-only:1"))


def test_a_pipeline_without_steps_is_refused_clearly(client):
    from azure.ai.ml.entities import PipelineJob

    with pytest.raises(UserInputError, match=r"^jobs: a value is required \(a pipeline needs at least one step\)$"):
        client.jobs.create_or_update(PipelineJob(name="p1", jobs={}))


def test_unknown_job_is_not_found(client):
    with pytest.raises(ResourceNotFoundError, match=r"^job: 'nope' was not found"):
        client.jobs.get("nope")
    with pytest.raises(ResourceNotFoundError):
        client.jobs.begin_cancel("nope")


def test_bad_job_name_is_refused(client, code):
    with pytest.raises(UserInputError, match=r"^name: 'bad name!' is not a valid job name"):
        client.jobs.create_or_update(_command(code, name="bad name!"))
