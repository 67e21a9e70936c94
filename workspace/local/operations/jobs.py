"""``client.jobs``: command jobs run by the workspace's control plane.

``create_or_update`` checks and snapshots everything, creates the job's MLflow
run, inserts the job as NotStarted and makes sure the control plane runs; the
control plane queues it (Queued), starts it when its compute has a free slot
(Preparing, Running) and records how it ended (Completed, Failed, Canceled).
Entities in and out are azure-ai-ml's ``CommandJob``, ``SweepJob`` and
``PipelineJob``; a sweep's trials and a pipeline's steps are child jobs
(``list(parent_job_name=...)``), run by a driver on no compute slot
(``controlplane/drivers.py``).
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import Any, Iterable

from workspace.errors import JobFailedError, ResourceNotFoundError, UserInputError
from workspace.local.context import WorkspaceContext
from workspace.local.controlplane import ensure_controlplane, state
from workspace.local.controlplane.runner import job_folder, std_log
from workspace.local.store import creation_context


class JobPoller:
    """What ``begin_cancel`` returns: ``result()`` waits until the job has ended, like an LROPoller."""

    def __init__(self, operations: "JobOperations", name: str) -> None:
        self._operations, self._name = operations, name

    def done(self) -> bool:
        return self._operations._row(self._name).status in state.TERMINAL

    def status(self) -> str:
        return "Succeeded" if self.done() else "InProgress"

    def wait(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + timeout if timeout is not None else None
        while not self.done():
            if deadline is not None and time.monotonic() > deadline:
                return
            time.sleep(0.1)

    def result(self, timeout: float | None = None) -> None:
        self.wait(timeout)
        return None


class JobOperations:
    def __init__(self, ctx: WorkspaceContext) -> None:
        self._ctx = ctx
        self._store = ctx.store
        state.ensure_schema(self._store)

    # -- azure-ai-ml surface ----------------------------------------------

    def create_or_update(
        self, job: Any, *, description: str | None = None, compute: str | None = None,
        tags: dict | None = None, experiment_name: str | None = None, skip_validation: bool = False, **_: Any,
    ) -> Any:
        from workspace.local.controlplane import submit

        job, base_path, defaults, declared = submit.normalise(job)
        for field, value in (("description", description), ("compute", compute), ("tags", tags), ("experiment_name", experiment_name)):
            if value is not None:
                setattr(job, field, value)
        name = submit.check_job_name(job.name) if job.name else submit.new_job_name()
        if state.get_job(self._store, name) is not None:
            return self._update_metadata(name, job)  # as Azure ML: an existing job only takes new metadata
        # A refused job leaves no snapshot behind (unless something else refers to it).
        with self._ctx.blobstore.removing_new_uploads_on_error(self._is_referenced):
            row = submit.prepare(self._ctx, job, name, base_path, defaults, declared)
            row["mlflow_run_id"] = submit.create_mlflow_run(self._ctx, row)
            self._insert(row)
        ensure_controlplane(self._ctx.root)
        return self.get(name)

    def get(self, name: str) -> Any:
        return _to_entity(self._ctx, self._row(name))

    def list(self, parent_job_name: str | None = None, *, list_view_type: Any = None, **_: Any) -> Iterable[Any]:
        """Newest first, as on Azure ML; top-level jobs unless ``parent_job_name`` is given."""
        from workspace.local.operations._versioned import view_includes

        rows = [r for r in state.list_jobs(self._store) if r.parent_job_name == parent_job_name]
        return [_to_entity(self._ctx, r) for r in reversed(rows) if view_includes(list_view_type, r.archived)]

    def begin_cancel(self, name: str, **_: Any) -> JobPoller:
        """A waiting job is Canceled at once; a running one is killed by the control plane."""
        from workspace.local.controlplane.children import cancel_children
        from workspace.local.controlplane.finish import finish_job

        self._row(name)
        cancel_children(self._ctx, name)  # a sweep's trials, a pipeline's steps; the daemon catches late ones
        if finish_job(self._ctx, name, state.CANCELED, only_from=state.WAITING):
            return JobPoller(self, name)
        # Not waiting (any more): if it runs, the control plane kills its process group.
        if state.set_status(self._store, name, state.CANCEL_REQUESTED, only_from=(state.PREPARING, state.RUNNING)):
            ensure_controlplane(self._ctx.root)
        return JobPoller(self, name)

    def stream(self, name: str) -> None:
        """Print the job's log as it grows until the job ends; raises ``JobFailedError`` if it failed."""
        row = self._row(name)
        if row.status not in state.TERMINAL:
            ensure_controlplane(self._ctx.root)
        out = sys.stdout
        out.write(f"RunId: {name}\nWeb View: None (local workspace; job folder {job_folder(self._ctx.root, name)})\n\n")
        log, offset = std_log(self._ctx.root, name), 0
        while True:
            ended = self._row(name).status in state.TERMINAL  # read before the log: no line is missed
            offset = print_log_from(log, offset, out)
            if ended:
                break
            time.sleep(0.25)
        row = self._row(name)
        out.write(f"\nExecution Summary\n=================\nRunId: {name}\nStatus: {row.status}\n")
        out.flush()
        if row.status == state.FAILED:
            raise JobFailedError(f"job: {name!r} failed: {row.error or 'see its log'}")

    def download(self, name: str, download_path: str | Path = ".", output_name: str | None = None, all: bool = False) -> None:
        """Logs to ``<download_path>/artifacts``, outputs to ``<download_path>/named-outputs/<output>``."""
        row = self._row(name)
        if row.status not in state.TERMINAL:
            raise UserInputError.invalid(
                "name", name, f"is {row.status}; a job's files can be downloaded once it is Completed, Failed or Canceled"
            )
        target, outputs = Path(download_path), row.spec.get("outputs") or {}
        if output_name is not None and output_name not in outputs:
            raise UserInputError.invalid("output_name", output_name, f"is not an output of job {name} (outputs: {', '.join(outputs) or 'none'})")
        wanted = [output_name] if output_name else (list(outputs) if all else [])
        for out in wanted:
            _copy(Path(outputs[out]["local"]), target / "named-outputs" / out)
        if output_name is None:
            _copy(job_folder(self._ctx.root, name) / "user_logs", target / "artifacts" / "user_logs")

    def trials(self, name: str) -> list[dict]:
        """A sweep's trials (not in MLClient): name, status, parameters, primary metric, intervals, reason."""
        from workspace.local.controlplane.sweep import trials

        row = self._row(name)
        if row.type != "sweep":
            raise UserInputError.invalid("name", name, f"is a {row.type} job; only sweep jobs have trials")
        return trials(self._ctx, name)

    def archive(self, name: str, **_: Any) -> None:
        self._row(name)
        state.update_job(self._store, name, archived=1)

    def restore(self, name: str, **_: Any) -> None:
        self._row(name)
        state.update_job(self._store, name, archived=0)

    # -- helpers ------------------------------------------------------------

    def _row(self, name: str) -> state.JobRow:
        row = state.get_job(self._store, name)
        if row is None:
            raise ResourceNotFoundError.of("job", name, known=state.job_names(self._store))
        return row

    def _insert(self, row: dict) -> None:
        import sqlite3

        try:
            state.insert_job(self._store, row)
        except sqlite3.IntegrityError:  # another client took this name a moment ago
            from workspace.local.controlplane.finish import end_mlflow_run

            end_mlflow_run(self._ctx, row["mlflow_run_id"], state.FAILED)
            raise UserInputError.invalid("name", row["name"], "is already the name of another job") from None

    def _is_referenced(self, relpath: str) -> bool:
        return self._store.references_path(relpath) or state.jobs_reference_path(self._store, relpath)

    def _update_metadata(self, name: str, job: Any) -> Any:
        row = self._row(name)
        spec = dict(row.spec)
        if job.description is not None:
            spec["description"] = job.description
        if job.tags:
            spec["tags"] = dict(job.tags)
        state.update_job(self._store, name, spec=spec, display_name=job.display_name or row.display_name)
        return self.get(name)


def _to_entity(ctx: WorkspaceContext, row: state.JobRow) -> Any:
    if row.type in ("sweep", "pipeline", "batch_scoring"):  # batch_scoring: shown as Azure shows it, a PipelineJob
        from workspace.local.controlplane.parents import to_entity

        return to_entity(row, _properties(ctx, row), creation_context(row.created_by, row.created_at, row.updated_at))
    if row.type == "automl":
        from workspace.local.automl.entity import to_entity as automl_entity

        return automl_entity(row, _properties(ctx, row), creation_context(row.created_by, row.created_at, row.updated_at))
    from azure.ai.ml import Input, Output
    from azure.ai.ml.entities import CommandJob, CommandJobLimits, JobResourceConfiguration
    spec = row.spec
    inputs = {
        n: b["value"] if b["type"] == "literal" else Input(type=b["type"], path=b["path"], mode=b.get("mode"))
        for n, b in (spec.get("inputs") or {}).items()
    }
    outputs = {
        n: Output(type=o["type"], path=o["path"], name=o.get("name"), version=o.get("version"), mode=o.get("mode"))
        for n, o in (spec.get("outputs") or {}).items()
    }
    run_id = row.mlflow_run_id
    properties = _properties(ctx, row)
    job = CommandJob(
        name=row.name, display_name=row.display_name, description=spec.get("description"),
        tags={**spec.get("tags", {}), "mlflow.runId": run_id}, properties=properties,
        experiment_name=row.experiment_name, compute=row.compute if spec.get("compute_given") else None, command=spec["command"],
        code=(spec.get("code") or {}).get("path"), environment=_environment(spec["environment"]),
        inputs=inputs, outputs=outputs, environment_variables=spec.get("environment_variables") or {},
        distribution=spec.get("distribution"), resources=JobResourceConfiguration(**spec.get("resources", {})),
        limits=CommandJobLimits(**spec["limits"]) if spec.get("limits") else None,
        parent_job_name=row.parent_job_name, status=row.status,
        creation_context=creation_context(row.created_by, row.created_at, row.updated_at),
    )
    return job


def _properties(ctx: WorkspaceContext, row: state.JobRow) -> dict:
    properties = {**row.spec.get("properties", {}), "mlflow.runId": row.mlflow_run_id, "azureml.jobFolder": str(job_folder(ctx.root, row.name))}
    properties.update({k: v for k, v in (("StartTimeUtc", row.started_at), ("EndTimeUtc", row.ended_at), ("error", row.error)) if v})
    return properties


def _environment(plan: dict) -> Any:
    if plan.get("ref"):
        return plan["ref"]
    from azure.ai.ml.entities import Environment

    return Environment._load(data=plan["spec"])


def print_log_from(log: Path, offset: int, out) -> int:
    """Write what the log gained since ``offset``; returns the new offset."""
    try:
        with open(log, "rb") as fh:
            fh.seek(offset)
            chunk = fh.read()
    except FileNotFoundError:
        return offset
    if chunk:
        out.write(chunk.decode(errors="replace"))
        out.flush()
    return offset + len(chunk)


def _copy(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    elif source.is_file():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / source.name)
