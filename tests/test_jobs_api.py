"""client.jobs beyond the happy path: failures, YAML jobs, download, list/archive, optional inputs, timeouts."""

from __future__ import annotations

import textwrap

import pytest

from test_jobs_support import curated, job_log, jobs_client, mlflow_db_template, mlflow_run, wait_status, write_script  # noqa: F401

JOB_YAML = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
name: {name}
code: src
command: python total.py --numbers ${{{{inputs.numbers}}}} --times ${{{{inputs.times}}}} --out ${{{{outputs.total}}}}
inputs:
  numbers:
    type: uri_file
    path: ./data/numbers.csv
  times: 3
outputs:
  total:
    type: uri_file
    name: number-total
environment: azureml:AzureML-sklearn-1.5@latest
experiment_name: yaml-jobs
tags:
  team: local
"""

TOTAL = textwrap.dedent(
    """
    import argparse, pathlib
    parser = argparse.ArgumentParser()
    parser.add_argument("--numbers"); parser.add_argument("--times", type=int); parser.add_argument("--out")
    args = parser.parse_args()
    total = sum(int(x) for x in pathlib.Path(args.numbers).read_text().split()) * args.times
    pathlib.Path(args.out).write_text(str(total))
    print("total", total)
    """
)


def test_failed_job_keeps_the_traceback_in_its_log_and_the_last_line_as_its_error(jobs_client, tmp_path, capsys):
    from azure.ai.ml import Output, command

    from workspace.local.operations.jobs import JobFailedError

    client = jobs_client
    code = write_script(tmp_path / "src", "fail.py", "def train():\n    raise ValueError('bad learning rate: -1')\n\ntrain()\n")
    name = client.jobs.create_or_update(command(code=str(code), command="python fail.py", environment=curated())).name
    # An output that can't become the asset it names fails its job too (an mltable needs an MLTable file).
    unregistrable = client.jobs.create_or_update(command(
        code=str(code), command="echo no table here > ${{outputs.table}}/data.csv", environment=curated(),
        outputs={"table": Output(type="mltable", name="never-registered")},
    )).name
    job = wait_status(client, name, "Failed")
    assert job.properties["error"] == "ValueError: bad learning rate: -1"
    assert "Traceback (most recent call last)" in job_log(client, name)
    with pytest.raises(JobFailedError) as info:
        client.jobs.stream(name)
    assert str(info.value) == f"job: {name!r} failed: ValueError: bad learning rate: -1"
    assert "Traceback" in capsys.readouterr().out  # stream shows the log; the error itself is one line
    assert mlflow_run(client, job.properties["mlflow.runId"]).info.status == "FAILED"

    refused = wait_status(client, unregistrable, "Failed")
    assert refused.properties["error"].startswith("outputs.table: could not be registered as 'never-registered': ")
    assert "MLTable" in refused.properties["error"] and "\n" not in refused.properties["error"]
    assert job_log(client, unregistrable).strip().splitlines()[-1] == refused.properties["error"]
    assert list(client.data.list()) == []


def test_yaml_job_runs_with_paths_relative_to_its_file_and_downloads(jobs_client, tmp_path):
    from azure.ai.ml import load_job

    client = jobs_client
    project = tmp_path / "project"
    write_script(project / "src", "total.py", TOTAL)
    write_script(project / "data", "numbers.csv", "1\n2\n3\n")
    (project / "job.yml").write_text(JOB_YAML.format(name="yaml_total_1"))
    submitted = client.jobs.create_or_update(load_job(project / "job.yml"))
    (project / "data" / "numbers.csv").write_text("100\n")  # the job reads its snapshot, not this
    job = wait_status(client, submitted.name, "Completed")

    assert job.name == "yaml_total_1" and job.experiment_name == "yaml-jobs" and job.tags["team"] == "local"
    assert job.inputs["numbers"].path.startswith("azureml://datastores/workspaceblobstore/paths/LocalUpload/")
    assert job.code.startswith("azureml://datastores/workspaceblobstore/paths/LocalUpload/")
    assert client.data.get("number-total", version="1").type == "uri_file"
    assert client.data.local_path("number-total").read_text() == "18"

    target = tmp_path / "downloads"
    client.jobs.download(job.name, download_path=target)
    assert "total 18" in (target / "artifacts" / "user_logs" / "std_log.txt").read_text()
    client.jobs.download(job.name, download_path=target, output_name="total")
    assert (target / "named-outputs" / "total" / "total").read_text() == "18"
    with pytest.raises(Exception, match=r"^output_name: 'nope' is not an output of job yaml_total_1 \(outputs: total\)$"):
        client.jobs.download(job.name, download_path=target, output_name="nope")

    updated = client.jobs.create_or_update(load_job(project / "job.yml"), tags={"team": "gold"})
    assert updated.tags["team"] == "gold" and updated.status == "Completed"  # metadata only, no second run
    assert [j.name for j in client.jobs.list()] == ["yaml_total_1"]
    client.jobs.archive(job.name)
    assert list(client.jobs.list()) == []
    client.jobs.restore(job.name)
    assert [j.name for j in client.jobs.list()] == ["yaml_total_1"]


def test_optional_blocks_defaults_and_timeouts(jobs_client, tmp_path):
    from azure.ai.ml import Input, command
    from azure.ai.ml.entities import CommandJobLimits

    client = jobs_client
    code = write_script(tmp_path / "src", "args.py", "import sys, time\nprint('args', sys.argv[1:])\ntime.sleep(float(sys.argv[-1]))\n")
    job = command(
        code=str(code), command="python args.py $[[--flag ${{inputs.flag}}]] --n ${{inputs.n}} ${{inputs.pause}}",
        inputs={"flag": Input(type="string", optional=True), "n": Input(type="integer", default=3), "pause": 0},
        environment=curated(),
    )
    quick = client.jobs.create_or_update(job).name
    slow_job = command(code=str(code), command="python args.py ${{inputs.pause}}", inputs={"pause": 60},
                       environment=curated())
    slow_job = slow_job._to_job()
    slow_job.limits = CommandJobLimits(timeout=1)
    slow = client.jobs.create_or_update(slow_job).name

    wait_status(client, quick, "Completed")
    assert "args ['--n', '3', '0']" in job_log(client, quick)
    failed = wait_status(client, slow, "Failed")
    assert failed.properties["error"] == "limits.timeout: the job ran longer than 1 seconds and was stopped"
