"""Turning a submitted job entity into a queued row: everything is checked before the row exists.

Accepts what ``MLClient.jobs.create_or_update`` accepts for command jobs: a
``CommandJob``, the ``Command`` that ``azure.ai.ml.command(...)`` builds, or
what ``load_job`` reads from a command YAML (relative paths resolve against the
YAML's folder, as on Azure ML).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from workspace.errors import NotSupportedLocallyError, UserInputError
from workspace.local import mlflow_store
from workspace.local.context import WorkspaceContext
from workspace.local.controlplane import state
from workspace.local.controlplane.bindings import bind_command, resolve_code, resolve_inputs, resolve_outputs
from workspace.local.controlplane.environments import plan_environment
from workspace.local.controlplane.scheduler import check_compute

JOB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,254}$")
_RESOURCE_FIELDS = ("instance_count", "instance_type", "shm_size", "max_instance_count", "docker_args", "locations")


def normalise(job: Any) -> tuple[Any, Path, dict, set]:
    """(CommandJob, base path, input defaults, declared input names) for any accepted form."""
    from azure.ai.ml.entities import Command, CommandJob

    base_path = Path(getattr(job, "_base_path", None) or Path.cwd())
    defaults: dict = {}
    declared: set = set()
    if isinstance(job, Command):
        # The builder keeps typed inputs with defaults on its component, not on the job.
        for name, spec in (getattr(job.component, "inputs", None) or {}).items():
            declared.add(name)
            if getattr(spec, "default", None) is not None:
                defaults[name] = spec.default
        job = job._to_job()
    parent = _parent_job(job)
    if parent is not None:  # sweep and pipeline jobs: sweep.py and pipeline.py check them
        return parent, base_path, defaults, declared
    from workspace.local.automl import submit as automl_submit

    if automl_submit.is_automl(job):  # AutoML jobs: workspace/local/automl/submit.py checks them
        return job, automl_submit.base_path(job), defaults, declared
    if not isinstance(job, CommandJob):
        kind = getattr(job, "type", None) or type(job).__name__
        raise NotSupportedLocallyError.kind(f"{kind} job", "the pipeline, sweep and AutoML engines (later parts of issue [jobs])")
    declared |= set(job.inputs or {})
    return job, base_path, defaults, declared


def _parent_job(job: Any) -> Any:
    """A SweepJob or PipelineJob (from a ``.sweep(...)`` node too); None for other jobs."""
    from azure.ai.ml.entities import PipelineJob
    from azure.ai.ml.entities._builders.sweep import Sweep
    from azure.ai.ml.sweep import SweepJob

    if isinstance(job, Sweep):
        return job._to_job()
    return job if isinstance(job, (SweepJob, PipelineJob)) else None


def check_job_name(name: str) -> str:
    if not JOB_NAME.match(name):
        raise UserInputError.invalid(
            "name", name, "is not a valid job name: letters, digits, '-' and '_', starting with a letter or digit"
        )
    return name


def new_job_name() -> str:
    from azure.ai.ml.entities._job.job_name_generator import generate_job_name

    return generate_job_name()


def prepare(ctx: WorkspaceContext, job: Any, name: str, base_path: Path, defaults: dict, declared: set) -> dict:
    """The row to insert: validates compute, distribution, code, inputs, outputs, command and environment."""
    if getattr(job, "type", None) in ("sweep", "pipeline"):
        return _prepare_parent(ctx, job, name, base_path)
    if getattr(job, "type", None) == "automl":
        from workspace.local.automl.submit import prepare_automl

        return prepare_automl(ctx, job, name, base_path)
    resources = _resources(job.resources)
    instance_count = int(resources.get("instance_count") or 1)
    distribution = _distribution(job.distribution)
    per_node = _processes_per_node(distribution, instance_count)
    compute = check_compute(ctx.store, job.compute, instance_count)
    code = resolve_code(ctx, job.code, base_path)
    inputs = resolve_inputs(ctx, job.inputs, defaults, base_path)
    outputs = resolve_outputs(ctx, name, job.outputs)
    bound = bind_command(job.command, inputs, outputs, declared)
    environment = plan_environment(ctx, job.environment)
    experiment = job.experiment_name or Path.cwd().resolve().stem.replace(" ", "") or "Default"
    limits = {"timeout": job.limits.timeout} if getattr(job, "limits", None) and job.limits.timeout else {}
    spec = {
        "command": job.command, "bound_command": bound, "code": code, "inputs": inputs, "outputs": outputs,
        "environment": environment, "environment_variables": dict(job.environment_variables or {}),
        "distribution": distribution, "resources": resources, "limits": limits,
        "instance_count": instance_count, "process_count_per_instance": per_node,
        "compute_given": str(job.compute) if job.compute else None, "description": job.description,
        "tags": dict(job.tags or {}), "properties": dict(job.properties or {}),
        "mlflow_tracking_uri": mlflow_store.tracking_uri(ctx),
    }
    return {
        "name": name, "type": "command", "status": state.NOT_STARTED, "compute": compute, "slots": instance_count,
        "spec": spec, "experiment_name": experiment, "display_name": job.display_name or name,
        "parent_job_name": getattr(job, "parent_job_name", None), "created_by": ctx.user,
    }


def _prepare_parent(ctx: WorkspaceContext, job: Any, name: str, base_path: Path) -> dict:
    if job.type == "sweep":
        from workspace.local.controlplane.sweep import prepare_sweep

        return prepare_sweep(ctx, job, name, base_path)
    from workspace.local.controlplane.pipeline import prepare_pipeline

    return prepare_pipeline(ctx, job, name, base_path)


def _resources(resources: Any) -> dict:
    if not resources:
        return {}
    if isinstance(resources, dict):
        return {k: v for k, v in resources.items() if v is not None}
    values = {k: getattr(resources, k, None) for k in _RESOURCE_FIELDS}
    return {k: v for k, v in values.items() if v is not None}


def _distribution(distribution: Any) -> dict | None:
    if distribution is None:
        return None
    if isinstance(distribution, dict):
        return dict(distribution)
    return {k: v for k, v in vars(distribution).items() if not k.startswith("_") and v is not None}


def _processes_per_node(distribution: dict | None, instance_count: int) -> int:
    """Processes per instance; refuses the distributed setups that can't run on this machine."""
    if not distribution:
        return 1
    kind = str(distribution.get("type", "")).lower()
    if kind == "pytorch":
        return int(distribution.get("process_count_per_instance") or 1)
    world = instance_count * int(distribution.get("process_count_per_instance") or distribution.get("worker_count") or 1)
    if world > 1:
        why = {
            "mpi": "MPI jobs need mpirun and an MPI runtime, which local jobs don't provide; use PyTorchDistribution or Azure ML",
            "tensorflow": "multi-worker TensorFlow (TF_CONFIG) isn't set up locally; use one worker or Azure ML",
        }.get(kind, "local jobs run PyTorch distribution only; use Azure ML for this one")
        raise NotSupportedLocallyError.field("distribution", kind, why)
    return 1


# -- MLflow ------------------------------------------------------------------


def create_mlflow_run(ctx: WorkspaceContext, row: dict) -> str:
    """The job's MLflow run, in its experiment, with artifacts inside the workspace."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient  # noqa: F401  (slow import, before taking the lock)

    # The first MLflow use may create its schema; two processes doing that at once
    # break its migrations, so it happens under the workspace's write lock.
    with ctx.store.transaction():
        client = mlflow_store.mlflow_client(ctx)
    name = row["experiment_name"]
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        location = (ctx.paths.mlflow_artifacts / re.sub(r"[^A-Za-z0-9_.\-]", "_", name)).as_uri()
        try:
            experiment_id = client.create_experiment(name, artifact_location=location)
        except MlflowException:  # created by someone else meanwhile
            experiment_id = client.get_experiment_by_name(name).experiment_id
    else:
        experiment_id = experiment.experiment_id
        if experiment.lifecycle_stage == "deleted":
            client.restore_experiment(experiment_id)
    tags = {str(k): str(v) for k, v in row["spec"]["tags"].items()}
    tags.update({"azureml.jobName": row["name"], "mlflow.user": row["created_by"] or ""})
    run = client.create_run(experiment_id, run_name=row["display_name"], tags=tags)
    return run.info.run_id
