"""The batch scoring driver: runs one invocation of a model deployment (``drivers.DRIVERS['batch_scoring']``).

It lists the input's files (a folder's top level, as on Azure ML), cuts them
into mini-batches of ``mini_batch_size`` files and hands them to
``instance_count x max_concurrency_per_instance`` workers. A mini-batch that
fails as a whole (``run()`` raised, the worker died, or it ran past
``retry_settings.timeout``) is tried again up to ``retry_settings.max_retries``
times; after that its files count as failed. Once more files have failed than
``error_threshold`` allows (-1: any number), the job stops and fails. Otherwise
the rows go, in input order, into ``output_file_name`` in the job's ``score``
output (``append_row``), or nowhere (``summary_only``); the counts become the
job's properties either way.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import sys
import threading
from pathlib import Path
from typing import Callable

import workspace
from workspace.errors import AmlPilotError
from workspace.local.batch.pool import ForkLauncher, Outcome, SpawnLauncher, Worker
from workspace.local.context import WorkspaceContext
from workspace.local.controlplane import children, state
from workspace.local.controlplane.runner import job_folder, std_log

_LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "critical": 50}


def drive(ctx: WorkspaceContext, row: state.JobRow, log: Callable[[str], None]) -> None:
    BatchRun(ctx, row, log).run()


def input_files(local: Path) -> list[Path]:
    """The files to score: the file itself, or a folder's visible top-level files in name order."""
    if local.is_file():
        return [local]
    return sorted(p for p in local.iterdir() if p.is_file() and not p.name.startswith("."))


class BatchRun:
    def __init__(self, ctx: WorkspaceContext, row: state.JobRow, log: Callable[[str], None]) -> None:
        self.ctx, self.row, self._log = ctx, row, log
        self.batch = row.spec["batch"]
        self.settings = self.batch["settings"]
        self.folder = job_folder(ctx.root, row.name)
        self.parts = self.folder / "batch_parts"
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.failed: list[list[str]] = []  # [[file, reason], ...]
        self.failed_batches = 0
        self.rows = 0
        self.error: AmlPilotError | None = None

    def log(self, message: str, level: str = "info") -> None:
        if _LEVELS[level] >= _LEVELS[self.settings["logging_level"]]:
            self._log(message if level == "info" else f"{level.upper()}: {message}")

    def run(self) -> None:
        files = input_files(Path(self.row.spec["inputs"]["input_data"]["local"]))
        if not files:
            raise AmlPilotError(f"inputs.input_data: {self.row.spec['inputs']['input_data']['path']!r} holds no files to score")
        size = self.settings["mini_batch_size"]
        batches = [[str(f) for f in files[i:i + size]] for i in range(0, len(files), size)]
        workers = min(len(batches), self.settings["instance_count"] * self.settings["max_concurrency_per_instance"])
        self.log(f"batch scoring: {len(files)} file(s) in {len(batches)} mini-batch(es) of up to {size}, {workers} worker(s)")
        shutil.rmtree(self.parts, ignore_errors=True)
        self.parts.mkdir(parents=True)
        Path(self.row.spec["outputs"]["score"]["local"]).mkdir(parents=True, exist_ok=True)  # AZUREML_BI_OUTPUT_PATH
        launcher = self._launcher()
        try:
            logs = self.folder / "user_logs"
            self._score_all(batches, [Worker(n, launcher, logs / f"worker_{n}.txt") for n in range(workers)])
        finally:
            launcher.close()
        if self.error is not None:
            shutil.rmtree(self.parts, ignore_errors=True)  # a failed job writes no partial output
            raise self.error
        self._conclude(files, batches)

    # -- workers ------------------------------------------------------------------------------

    def _launcher(self) -> SpawnLauncher | ForkLauncher:
        """Script deployments spawn each worker (each runs ``init()``); MLflow ones fork from a loaded model."""
        from workspace.local.controlplane.environments import prepare_python

        with open(std_log(self.ctx.root, self.row.name), "a") as log_file:
            bin_dir = prepare_python(self.ctx.root, self.batch["environment"], self._log, log_file)
        config = {"logging_level": self.settings["logging_level"], "model_path": self.batch["model"]["local"]}
        cwd = self.folder
        code = self.batch.get("code_configuration")
        if code:
            cwd = self.folder / "wd"
            shutil.rmtree(cwd, ignore_errors=True)
            shutil.copytree(code["local"], cwd)  # a private copy: a script may write next to itself
            config.update(code_dir=str(cwd), scoring_script=code["scoring_script"])
        config_path = self.folder / "batch_worker.json"
        config_path.write_text(json.dumps(config))
        command = [str(bin_dir / "python"), "-m", "workspace.local.batch.worker", str(config_path)]
        if not (bin_dir / "python").exists():
            command[0] = sys.executable
        env = self._env(bin_dir)
        if code:
            return SpawnLauncher(command, env, cwd)
        return ForkLauncher(command, env, cwd, self.folder, self.folder / "user_logs" / "worker_host.txt")

    def _env(self, bin_dir: Path) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AZUREML_", "AZURE_ML_"))}
        project = str(Path(workspace.__file__).resolve().parent.parent)  # the worker imports this amlpilot
        env.update(
            PYTHONPATH=os.pathsep.join(p for p in (project, env.get("PYTHONPATH")) if p), PYTHONUNBUFFERED="1",
            PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true",
            AZUREML_MODEL_DIR=str(Path(self.batch["model"]["local"]).parent),
            AZUREML_BI_OUTPUT_PATH=self.row.spec["outputs"]["score"]["local"], AZUREML_RUN_ID=self.row.name,
        )
        env.update(self.settings["environment_variables"])
        return env

    def _score_all(self, batches: list[list[str]], workers: list[Worker]) -> None:
        tasks: queue.Queue = queue.Queue()
        for index in range(len(batches)):
            tasks.put(index)
        threads = [threading.Thread(target=self._serve, args=(w, tasks, batches), daemon=True) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _serve(self, worker: Worker, tasks: queue.Queue, batches: list[list[str]]) -> None:
        try:
            worker.start()
            while not self.stopping.is_set() and not children.is_ending(self.ctx.store, self.row.name):
                try:
                    index = tasks.get_nowait()
                except queue.Empty:
                    return
                self._record(index, batches[index], self._attempts(worker, index, batches[index]))
        except AmlPilotError as exc:
            with self.lock:
                self.error = self.error or exc
            self.stopping.set()
        finally:
            worker.close()

    def _attempts(self, worker: Worker, index: int, files: list[str]) -> Outcome:
        part = self.parts / f"part-{index:06d}.csv"
        attempts = self.settings["max_retries"] + 1
        for attempt in range(1, attempts + 1):
            outcome = worker.score(index, files, part, float(self.settings["timeout"]))
            if outcome.ok or self.stopping.is_set():
                return outcome
            more = "; retrying" if attempt < attempts else ""
            self.log(f"mini-batch {index} attempt {attempt}/{attempts} failed: {outcome.error}{more}", "warning")
        return outcome

    def _record(self, index: int, files: list[str], outcome: Outcome) -> None:
        with self.lock:
            if outcome.ok:
                self.rows += outcome.rows
                lost = outcome.failed or []
                for name, reason in lost:
                    self.log(f"mini-batch {index}: {name or 'a file'} failed: {reason}", "warning")
            else:
                self.failed_batches += 1
                lost = [[Path(f).name, outcome.error] for f in files]
            self.failed.extend(lost)
            self.log(f"mini-batch {index}: {len(files) - len(lost)}/{len(files)} file(s) scored", "debug")
            threshold = self.settings["error_threshold"]
            if threshold != -1 and len(self.failed) > threshold and self.error is None:
                first = self.failed[0]
                self.error = AmlPilotError(
                    f"error_threshold: {len(self.failed)} file(s) failed, more than the deployment allows ({threshold}); "
                    f"first failure: {first[0] or 'a file'}: {first[1]}"
                )
                self.stopping.set()

    # -- the end ------------------------------------------------------------------------------

    def _conclude(self, files: list[Path], batches: list[list[str]]) -> None:
        output = Path(self.row.spec["outputs"]["score"]["local"])
        output.mkdir(parents=True, exist_ok=True)
        if self.settings["output_action"] == "append_row":
            target = output / self.settings["output_file_name"]
            tmp = target.with_name(f".{target.name}.tmp")
            with open(tmp, "wb") as out:
                for index in range(len(batches)):
                    part = self.parts / f"part-{index:06d}.csv"
                    if part.exists():
                        _append(part, out)
            os.replace(tmp, target)
        shutil.rmtree(self.parts, ignore_errors=True)
        summary = {
            "azureml.batch.files": str(len(files)), "azureml.batch.files_failed": str(len(self.failed)),
            "azureml.batch.mini_batches": str(len(batches)), "azureml.batch.mini_batches_failed": str(self.failed_batches),
            "azureml.batch.rows": str(self.rows),
        }
        children.update_spec(self.ctx.store, self.row.name, lambda spec: spec.setdefault("properties", {}).update(summary))
        self.log(f"batch scoring completed: {len(files) - len(self.failed)}/{len(files)} file(s) scored, "
                 f"{self.rows} row(s) written ({self.settings['output_action']})")


def _append(part: Path, out) -> None:
    """Copy a part file onto the end of ``out``; in the kernel where it can (no trip through Python)."""
    with open(part, "rb") as source:
        size = os.fstat(source.fileno()).st_size
        copy = getattr(os, "copy_file_range", None)
        if copy is None:
            shutil.copyfileobj(source, out, 1 << 20)
            return
        out.flush()
        done = 0
        try:
            while done < size:
                sent = copy(source.fileno(), out.fileno(), size - done)
                if sent == 0:
                    break
                done += sent
        except OSError:  # e.g. a filesystem that can't: finish the copy in Python
            os.lseek(out.fileno(), 0, os.SEEK_END)
            source.seek(done)
            shutil.copyfileobj(source, out, 1 << 20)
