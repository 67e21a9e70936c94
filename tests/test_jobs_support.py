"""Fixtures and helpers shared by the tests/test_jobs_*.py files (this module holds no tests).

Every test that starts a control plane uses ``jobs_client``: its finalizer stops
the daemon by its pid and kills any job process group still alive, so no test
leaves processes behind, even when it fails half-way.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pytest

TIMEOUT = 90  # seconds; generous, for loaded CI machines


_templates: list[Path] = []  # this module is imported once per worker; the fixture once per test module


@pytest.fixture(scope="session")
def mlflow_db_template(tmp_path_factory) -> Path:
    """An MLflow database with its schema migrated, made once per worker (migrating costs seconds)."""
    if _templates:
        return _templates[0]
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    folder = tmp_path_factory.mktemp("mlflow-template")
    SqlAlchemyStore(f"sqlite:///{folder / 'mlflow.db'}", (folder / "artifacts").as_uri())
    _templates.append(folder / "mlflow.db")
    return _templates[0]


@pytest.fixture
def jobs_client(client, mlflow_db_template):
    client.paths.mlflow_db.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(mlflow_db_template, client.paths.mlflow_db)
    yield client
    stop_all(client.root)


def stop_all(root: Path) -> None:
    """Stop the control plane by its pid, then every job process group, then any stray daemon."""
    import psutil

    from workspace.local.controlplane import stop_controlplane
    from workspace.local.controlplane import procs, state
    from workspace.local.store import Store

    stop_controlplane(root, timeout=5)
    store = Store(Path(root) / "workspace.db")
    try:
        for row in state.list_jobs(store):
            procs.terminate_group(row.pid, row.pid_started, grace=2)
    finally:
        store.close()
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if "workspace.local.controlplane" in cmdline and str(root) in cmdline:
            os.kill(proc.info["pid"], signal.SIGKILL)


def wait_for(predicate, timeout: float = TIMEOUT, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def wait_status(client, name: str, *statuses: str, timeout: float = TIMEOUT):
    """The job once its status is one of ``statuses``; fails fast if it ends otherwise."""
    terminal = {"Completed", "Failed", "Canceled"}

    def reached():
        job = client.jobs.get(name)
        if job.status in statuses:
            return job
        if job.status in terminal:
            log = job_log(client, name)
            raise AssertionError(f"job {name} ended {job.status}, expected {statuses}; log:\n{log}")
        return None

    return wait_for(reached, timeout, f"job {name} to reach {statuses}")


def job_log(client, name: str) -> str:
    path = client.root / "jobs" / name / "user_logs" / "std_log.txt"
    return path.read_text() if path.exists() else ""


def write_script(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder


def curated() -> str:
    return "azureml:AzureML-sklearn-1.5@latest"


def cluster(client, name: str, max_instances: int):
    from azure.ai.ml.entities import AmlCompute

    return client.compute.begin_create_or_update(AmlCompute(name=name, max_instances=max_instances)).result()


def mlflow_run(client, run_id: str):
    from mlflow.tracking import MlflowClient

    from workspace.local import mlflow_store

    uri = mlflow_store.tracking_uri(client._ctx)
    return MlflowClient(tracking_uri=uri).get_run(run_id)
