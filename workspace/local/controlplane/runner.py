"""The job process: ``python -m workspace.local.controlplane.runner --root DIR --job NAME``.

The control plane starts one per job in a new session, so the runner leads a
process group that holds every process of the job, and cancelling is one
``killpg``. The runner builds (or reuses) the environment, copies the code
snapshot into a working folder, starts the command (once per rank for
distributed jobs) with its output in ``user_logs/std_log.txt``, and finally
writes ``exit_status.json`` itself: a control plane that was killed and
restarted meanwhile still learns how the job ended.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import traceback
from pathlib import Path

from workspace.errors import AmlPilotError
from workspace.local.controlplane import drivers, state
from workspace.local.controlplane.environments import prepare_python
from workspace.local.store import Store, utcnow

EXIT_STATUS = "exit_status.json"


def job_folder(root: Path, name: str) -> Path:
    return Path(root) / "jobs" / name


def std_log(root: Path, name: str) -> Path:
    return job_folder(root, name) / "user_logs" / "std_log.txt"


def read_exit_status(root: Path, name: str) -> dict | None:
    try:
        return json.loads((job_folder(root, name) / EXIT_STATUS).read_text())
    except (OSError, ValueError):
        return None


def last_line(path: Path) -> str | None:
    """The last non-empty line of a log: for a Python failure, the exception itself."""
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, fh.seek(0, os.SEEK_END) - 8192))
            lines = [ln.strip() for ln in fh.read().decode(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return None
    return lines[-1] if lines else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="amlpilot-job-runner")
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--job", required=True)
    args = parser.parse_args(argv)
    store = Store(args.root / "workspace.db")
    state.ensure_schema(store)
    row = state.get_job(store, args.job)
    if row is None:
        return 2
    log_path = std_log(args.root, row.name)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a", buffering=1) as log_file:
        if drivers.is_driven(row.type):  # a sweep or pipeline parent: its driver submits the children
            code, error = drivers.run(args.root, store, row, log_file)
        else:
            code, error = _run_job(args.root, store, row, log_file)
    _write_exit_status(job_folder(args.root, row.name), code, error)
    return 0


def _run_job(root: Path, store: Store, row: state.JobRow, log_file) -> tuple[int, str | None]:
    def log(message: str) -> None:
        log_file.write(message + "\n")
        log_file.flush()

    try:
        bin_dir = prepare_python(root, row.spec["environment"], log, log_file)
        workdir = _prepare_workdir(job_folder(root, row.name), row.spec.get("code"))
        _make_output_folders(row.spec.get("outputs") or {})
        if not state.set_status(store, row.name, state.RUNNING, only_from=(state.PREPARING,), started_at=utcnow()):
            return 1, "the job was cancelled before it started"
        code, failed_log = _run_processes(root, row, bin_dir, workdir)
        if code == 0:
            return 0, None
        return code, last_line(failed_log) or f"the command exited with code {code}"
    except AmlPilotError as exc:
        log(str(exc))
        return 1, str(exc)
    except Exception:  # a bug or an OS error: the traceback stays in the job log only
        log(traceback.format_exc())
        return 1, last_line(std_log(root, row.name))


def _prepare_workdir(folder: Path, code: dict | None) -> Path:
    """A private copy of the code snapshot: the job may write next to its scripts."""
    workdir = folder / "wd"
    shutil.rmtree(workdir, ignore_errors=True)
    source = Path(code["local"]) if code else None
    if source and source.is_dir():
        shutil.copytree(source, workdir)
    else:
        workdir.mkdir(parents=True)
        if source:
            shutil.copy2(source, workdir / source.name)
    return workdir


def _make_output_folders(outputs: dict) -> None:
    for output in outputs.values():
        local = Path(output["local"])
        (local.parent if output["type"] == "uri_file" else local).mkdir(parents=True, exist_ok=True)


def _run_processes(root: Path, row: state.JobRow, bin_dir: Path, workdir: Path) -> tuple[int, Path]:
    """Start one process per rank; returns the first failing exit code (or 0) and that rank's log."""
    spec = row.spec
    world = spec["instance_count"] * spec["process_count_per_instance"]
    port = _free_port() if world > 1 else None
    shell = ["/bin/bash", "-c"] if Path("/bin/bash").exists() else ["/bin/sh", "-c"]
    procs = []
    for rank in range(world):
        log_path = _rank_log(root, row.name, rank)
        with open(log_path, "a") as out:
            env = _job_env(root, row, bin_dir, rank, world, port)
            procs.append((subprocess.Popen([*shell, spec["bound_command"]], cwd=workdir, env=env,
                                           stdout=out, stderr=subprocess.STDOUT), log_path))
    return _wait(procs, (spec.get("limits") or {}).get("timeout"))


def _wait(procs: list, timeout: float | None) -> tuple[int, Path]:
    deadline = time.monotonic() + float(timeout) if timeout else None
    while True:
        codes = [(proc.poll(), log) for proc, log in procs]
        failed = [(c, log) for c, log in codes if c not in (None, 0)]
        if failed or all(c == 0 for c, _ in codes):
            break
        if deadline and time.monotonic() > deadline:
            _kill_all(procs)
            with open(procs[0][1], "a") as out:
                out.write(f"limits.timeout: the job ran longer than {timeout} seconds and was stopped\n")
            return 1, procs[0][1]
        time.sleep(0.1)
    if failed:
        _kill_all(procs)  # one rank failing ends the others, as torchrun does
        return failed[0]
    return 0, procs[0][1]


def _kill_all(procs: list) -> None:
    import psutil

    for proc, _ in procs:
        try:
            family = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        for member in family:
            try:
                member.kill()
            except psutil.NoSuchProcess:
                pass
        proc.wait()


def _rank_log(root: Path, name: str, rank: int) -> Path:
    folder = job_folder(root, name) / "user_logs"
    return folder / ("std_log.txt" if rank == 0 else f"std_log_process_{rank}.txt")


def _job_env(root: Path, row: state.JobRow, bin_dir: Path, rank: int, world: int, port: int | None) -> dict:
    spec = row.spec
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "AZUREML_", "AZURE_ML_"))}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    if bin_dir != Path(sys.executable).parent:
        env["VIRTUAL_ENV"] = str(bin_dir.parent)
    env.update(
        PYTHONUNBUFFERED="1",
        MLFLOW_TRACKING_URI=spec["mlflow_tracking_uri"],
        MLFLOW_EXPERIMENT_NAME=row.experiment_name,
        MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="true",
        AZUREML_RUN_ID=row.name,
        AZUREML_EXPERIMENT_NAME=row.experiment_name,
    )
    if row.mlflow_run_id:
        env["MLFLOW_RUN_ID"] = row.mlflow_run_id
    for name, binding in (spec.get("inputs") or {}).items():
        env[f"AZURE_ML_INPUT_{name}"] = str(binding.get("local", binding.get("value")))
    for name, binding in (spec.get("outputs") or {}).items():
        env[f"AZURE_ML_OUTPUT_{name}"] = binding["local"]
    if world > 1 or spec.get("distribution"):
        per_node = spec["process_count_per_instance"]
        env.update(
            RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank % per_node),
            LOCAL_WORLD_SIZE=str(per_node), NODE_RANK=str(rank // per_node),
            MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port or _free_port()),
        )
    env.update({k: str(v) for k, v in (spec.get("environment_variables") or {}).items()})
    return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_exit_status(folder: Path, code: int, error: str | None) -> None:
    tmp = folder / f".{EXIT_STATUS}.tmp"
    tmp.write_text(json.dumps({"exit_code": code, "error": error, "finished_at": utcnow()}))
    os.replace(tmp, folder / EXIT_STATUS)


if __name__ == "__main__":
    sys.exit(main())
