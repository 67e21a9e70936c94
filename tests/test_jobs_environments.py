"""Environments: pip/conda specs become a venv built once and reused; image-only runs here with a warning;
PyTorch distribution starts one process per rank."""

from __future__ import annotations

import textwrap

import pytest

from test_jobs_support import curated, job_log, jobs_client, mlflow_db_template, wait_status, write_script  # noqa: F401

WHERE = textwrap.dedent(
    """
    import os, pathlib, sys
    import yaml  # the pip dependency: satisfied by the packages the venv can see
    pathlib.Path(sys.argv[1], "prefix.txt").write_text(sys.prefix)
    print("python", sys.executable)
    """
)


def _job(code, environment, command="python where.py ${{outputs.out}}", **kwargs):
    from azure.ai.ml import Output, command as build

    return build(code=str(code), command=command, environment=environment,
                 outputs={"out": Output(type="uri_folder")}, **kwargs)


@pytest.mark.slow
def test_pip_environment_venv_is_built_once_and_reused(jobs_client, tmp_path):
    from azure.ai.ml.entities import Environment

    client = jobs_client
    conda = tmp_path / "conda.yml"
    conda.write_text("name: t\ndependencies:\n  - python=3.11\n  - pip\n  - nonexistent-conda-lib=1.0\n  - pip:\n    - pyyaml\n")
    client.environments.create_or_update(Environment(name="pip-env", image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04", conda_file=str(conda)))
    code = write_script(tmp_path / "src", "where.py", WHERE)
    # Two at once on the 2-slot default pool: one builds, the other waits for the lock and reuses.
    names = [client.jobs.create_or_update(_job(code, "azureml:pip-env@latest")).name for _ in range(2)]
    jobs = [wait_status(client, n, "Completed") for n in names]

    prefixes = {(client.root / "datastores" / "workspaceblobstore" / "azureml" / j.name / "out" / "prefix.txt").read_text() for j in jobs}
    assert len(prefixes) == 1
    venv = prefixes.pop()
    assert venv.startswith(str(client.root / "envs"))
    logs = [job_log(client, n) for n in names]
    assert sum("Building environment" in log for log in logs) == 1
    assert sum("Using cached environment" in log for log in logs) == 1
    assert all("nonexistent-conda-lib=1.0 can't be installed without conda; skipped" in log for log in logs)
    built = [p for p in (client.root / "envs").iterdir() if p.is_dir()]
    assert len(built) == 1

    third = client.jobs.create_or_update(_job(code, "azureml:pip-env:1")).name
    wait_status(client, third, "Completed")
    assert "Using cached environment" in job_log(client, third)


def test_image_only_environment_runs_here_with_a_visible_warning(jobs_client, tmp_path):
    from azure.ai.ml.entities import Environment

    client = jobs_client
    client.environments.create_or_update(Environment(name="image-env", image="mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference"))
    code = write_script(tmp_path / "src", "where.py", WHERE)
    name = client.jobs.create_or_update(_job(code, "azureml:image-env:1")).name
    wait_status(client, name, "Completed")
    log = job_log(client, name)
    assert "WARNING: environment azureml:image-env:1 is image-only (mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference)" in log
    assert not (client.root / "envs").exists()


def test_pytorch_distribution_starts_one_process_per_rank(jobs_client, tmp_path):
    from azure.ai.ml import PyTorchDistribution

    client = jobs_client
    code = write_script(tmp_path / "src", "rank.py", textwrap.dedent(
        """
        import os, pathlib, sys
        names = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
        values = " ".join(os.environ[n] for n in names)
        pathlib.Path(sys.argv[1], f"rank{os.environ['RANK']}.txt").write_text(values)
        """
    ))
    job = _job(code, curated(), command="python rank.py ${{outputs.out}}",
               distribution=PyTorchDistribution(process_count_per_instance=2))
    name = client.jobs.create_or_update(job).name
    done = wait_status(client, name, "Completed")
    out = client.root / "datastores" / "workspaceblobstore" / "azureml" / name / "out"
    ranks = sorted(p.read_text().split() for p in out.glob("rank*.txt"))
    assert [r[:4] for r in ranks] == [["0", "2", "0", "127.0.0.1"], ["1", "2", "1", "127.0.0.1"]]
    assert ranks[0][4] == ranks[1][4] and int(ranks[0][4]) > 0  # one MASTER_PORT for all ranks
    assert (client.root / "jobs" / name / "user_logs" / "std_log_process_1.txt").exists()
    assert done.distribution.process_count_per_instance == 2
