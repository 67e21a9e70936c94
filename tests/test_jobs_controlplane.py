"""The control plane: one per workspace, queues honour slots, cancel kills, kill -9 loses nothing."""

from __future__ import annotations

import os
import signal
import textwrap
import threading
import time
from pathlib import Path

import pytest

from test_jobs_support import (  # noqa: F401
    TIMEOUT, cluster, curated, job_log, jobs_client, mlflow_db_template, mlflow_run, wait_for, wait_status, write_script,
)

# Records when it started and ended; optionally its pid, so a test can watch the process.
RECORD = textwrap.dedent(
    """
    import os, pathlib, sys, time
    folder, name, seconds = pathlib.Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    (folder / f"{name}.pid").write_text(str(os.getpid()))
    with open(folder / f"{name}.runs", "a") as fh:
        fh.write("ran\\n")
    (folder / f"{name}.start").write_text(repr(time.time()))
    time.sleep(seconds)
    (folder / f"{name}.end").write_text(repr(time.time()))
    print("finished", name)
    """
)


@pytest.fixture
def record_code(tmp_path) -> Path:
    return write_script(tmp_path / "src", "record.py", RECORD)


@pytest.fixture
def marks(tmp_path) -> Path:
    folder = tmp_path / "marks"
    folder.mkdir()
    return folder


def submit(client, code: Path, marks: Path, name: str, seconds: float, compute: str | None = None):
    from azure.ai.ml import command

    job = command(
        code=str(code), command="python record.py ${{inputs.marks}} ${{inputs.tag}} ${{inputs.seconds}}",
        inputs={"marks": str(marks), "tag": name, "seconds": seconds}, environment=curated(), compute=compute,
    )
    return client.jobs.create_or_update(job).name


def interval(marks: Path, name: str) -> tuple[float, float]:
    return float((marks / f"{name}.start").read_text()), float((marks / f"{name}.end").read_text())


def controlplane_pid(client) -> int:
    from workspace.local.controlplane import controlplane_status

    return controlplane_status(client.root)["pid"]


def test_queues_honour_compute_slots(jobs_client, record_code, marks):
    client = jobs_client
    cluster(client, "one-slot", 1)
    first = submit(client, record_code, marks, "a", 1.5, compute="one-slot")
    second = submit(client, record_code, marks, "b", 1.5, compute="azureml:one-slot")
    pooled = [submit(client, record_code, marks, n, 2.5) for n in ("c", "d")]  # serverless: 2 slots

    seen, deadline = set(), time.monotonic() + TIMEOUT  # the second job's statuses while the first holds the slot
    while client.jobs.get(first).status not in ("Completed", "Failed", "Canceled"):
        assert time.monotonic() < deadline, "the first job never ended"
        seen.add(client.jobs.get(second).status)
    assert "Queued" in seen and not seen & {"Preparing", "Running", "Completed"}, seen
    for name in (first, second, *pooled):
        wait_status(client, name, "Completed")
    a, b = interval(marks, "a"), interval(marks, "b")
    assert a[1] <= b[0], f"jobs on a 1-slot cluster overlapped: {a} {b}"
    c, d = interval(marks, "c"), interval(marks, "d")
    assert max(c[0], d[0]) < min(c[1], d[1]), f"the default pool ran its 2 jobs one after another: {c} {d}"
    assert client.jobs.get(second).compute == "one-slot"  # stored by name, as given with azureml:
    assert client.jobs.get(pooled[0]).compute is None


def test_cancel_kills_a_running_job_and_drops_a_queued_one(jobs_client, record_code, marks):
    import psutil

    client = jobs_client
    cluster(client, "solo", 1)
    running = submit(client, record_code, marks, "sleeper", 120, compute="solo")
    queued = submit(client, record_code, marks, "waiter", 1, compute="solo")
    wait_status(client, running, "Running")
    pid = int(wait_for(lambda: (marks / "sleeper.pid").exists() and (marks / "sleeper.pid").read_text(), what="pid file"))

    client.jobs.begin_cancel(queued).result(timeout=30)
    assert client.jobs.get(queued).status == "Canceled"
    client.jobs.begin_cancel(running).result(timeout=60)

    job = client.jobs.get(running)
    assert job.status == "Canceled"
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert mlflow_run(client, job.properties["mlflow.runId"]).info.status == "KILLED"
    assert not (marks / "waiter.runs").exists()  # the queued job never started
    client.jobs.begin_cancel(running).result()  # cancelling an ended job changes nothing
    assert client.jobs.get(running).status == "Canceled"


@pytest.mark.parametrize(("scenario", "seconds"), [("adopted", 6), ("finished while down", 1), ("died too", 60)])
def test_kill_9_of_the_control_plane_loses_nothing(jobs_client, record_code, marks, scenario, seconds):
    import psutil

    from workspace.local.controlplane import ensure_controlplane, procs

    client = jobs_client
    name = submit(client, record_code, marks, "survivor", seconds)
    wait_status(client, name, "Running")
    wait_for(lambda: (marks / "survivor.start").exists(), what="the job to start")
    old_pid = controlplane_pid(client)
    os.kill(old_pid, signal.SIGKILL)
    wait_for(lambda: not procs.is_alive(old_pid, None), what="the control plane to die")

    row_pid = _runner_pid(client, name)
    if scenario == "died too":
        os.killpg(row_pid, signal.SIGKILL)
        wait_for(lambda: not procs.is_alive(row_pid, None), what="the job to die")
    elif scenario == "finished while down":
        wait_for(lambda: (client.root / "jobs" / name / "exit_status.json").exists(), what="the job to finish")
    else:
        assert psutil.pid_exists(row_pid)
    assert client.jobs.get(name).status == "Running"  # nobody has concluded it yet

    new_pid = ensure_controlplane(client.root)["pid"]
    assert new_pid != old_pid
    if scenario == "died too":
        job = wait_status(client, name, "Failed")
        assert "without recording an exit status" in job.properties["error"]
        assert mlflow_run(client, job.properties["mlflow.runId"]).info.status == "FAILED"
    else:
        wait_status(client, name, "Completed")
        assert (marks / "survivor.runs").read_text() == "ran\n"  # ran once, never restarted
        assert "finished survivor" in job_log(client, name)
    log = (client.root / "controlplane" / "controlplane.log").read_text()
    assert ("adopted running process" in log) == (scenario == "adopted")


def _runner_pid(client, name: str) -> int:
    from workspace.local.controlplane import state

    return state.get_job(client._ctx.store, name).pid


def test_one_control_plane_even_when_two_clients_start_it_at_once(jobs_client):
    import psutil

    from workspace.local.controlplane import controlplane_status, ensure_controlplane, stop_controlplane

    root = jobs_client.root
    results = []
    threads = [threading.Thread(target=lambda: results.append(ensure_controlplane(root)["pid"])) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1
    wait_for(lambda: len(_daemons(root)) == 1, timeout=30, what="the losing daemon to exit")
    status = controlplane_status(root)
    assert status["running"] and status["pid"] == results[0]
    assert status["heartbeat_age_seconds"] < 30
    assert Path(status["log"]).name == "controlplane.log"

    assert stop_controlplane(root) is True
    assert not psutil.pid_exists(results[0]) or psutil.Process(results[0]).status() == psutil.STATUS_ZOMBIE
    assert controlplane_status(root)["running"] is False
    assert stop_controlplane(root) is False


def _daemons(root: Path) -> list[int]:
    import psutil

    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "status"]):
        cmdline = proc.info["cmdline"] or []
        if "workspace.local.controlplane" in cmdline and str(root) in cmdline and proc.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(proc.info["pid"])
    return found
