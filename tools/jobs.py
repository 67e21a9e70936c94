"""jobs-*: submitted jobs of every type: list them, look at one (status, metrics, log), submit command jobs, cancel, download.

Metrics come from the job's MLflow run (the workspace is an MLflow server, as
Azure ML is); AutoML jobs also show their best trials.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field

from tools.base import ML, Plan, ToolCall, ToolPlugin, one_of, tool
from workspace.errors import UserInputError

READ, WRITE = f"{ML}/jobs/read", f"{ML}/jobs/write"
STATUSES = ("NotStarted", "Queued", "Preparing", "Running", "CancelRequested", "Completed", "Failed", "Canceled")
TERMINAL = ("Completed", "Failed", "Canceled")
DEFAULT_ENVIRONMENT = "azureml:AzureML-sklearn-1.5@latest"

JobName = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$"), "Name of the job (as jobs-list shows it)"]
NewJobName = Annotated[str | None, Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$"),
                       "Name for the new job; omit for a generated one (naming it makes the submission undoable by cancelling)"]
Compute = Annotated[str | None, Field(min_length=1, max_length=64), "Compute to run on; omit for serverless"]
Experiment = Annotated[str | None, Field(min_length=1, max_length=255), "Experiment the job is filed under (its MLflow experiment)"]
Status = Annotated[Literal[STATUSES] | None, one_of(*STATUSES), "Only jobs in this status; omit for all"]


def job_summary(job: Any) -> dict:
    props = dict(getattr(job, "properties", None) or {})
    summary = {
        "name": job.name, "type": str(getattr(job, "type", "") or ""), "status": str(job.status),
        "display_name": job.display_name, "experiment": job.experiment_name,
        "compute": str(job.compute).removeprefix("azureml:") if getattr(job, "compute", None) else "serverless",
        "started": props.get("StartTimeUtc"), "ended": props.get("EndTimeUtc"), "error": props.get("error"),
    }
    if summary["type"] == "automl":
        summary.update({k.removeprefix("azureml.automl."): v for k, v in props.items() if k.startswith("azureml.automl.")})
        summary["task"] = str(getattr(job, "task_type", "") or "").split(".")[-1].lower()
    return {k: v for k, v in summary.items() if v not in (None, "", {})}


def tracking_uri(client: Any) -> str | None:
    paths = getattr(client, "paths", None)
    if paths is not None and hasattr(paths, "mlflow_db"):
        return f"sqlite:///{paths.mlflow_db}"
    return client.workspaces.get(client.workspace_name).mlflow_tracking_uri


def run_metrics(client: Any, job: Any) -> dict[str, float]:
    """The latest value of each metric the job logged to its MLflow run."""
    run_id = (getattr(job, "properties", None) or {}).get("mlflow.runId") or job.name
    from mlflow.tracking import MlflowClient

    try:
        return dict(MlflowClient(tracking_uri=tracking_uri(client)).get_run(run_id).data.metrics)
    except Exception:  # a job whose run is gone (or not yet made) simply shows no metrics
        return {}


def log_tail(job: Any, lines: int) -> list[str]:
    folder = (getattr(job, "properties", None) or {}).get("azureml.jobFolder")
    if not folder:
        return []
    path = Path(folder) / "user_logs" / "std_log.txt"
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, fh.seek(0, 2) - 64 * 1024))  # a long log: only its end is read
            text = fh.read().decode(errors="replace")
    except OSError:
        return []
    return text.splitlines()[-lines:]


class JobsPlugin(ToolPlugin):
    plugin_name = "jobs"
    description = "Jobs: list them, see one's status, metrics and log, submit command jobs, cancel, download outputs."

    def _job(self, name: str) -> Any:
        return self.client.jobs.get(name)

    @tool(effect="read", permission=READ, examples=[
        "what jobs are running?", "list my jobs", "show failed jobs", "which jobs finished today?",
        "list the last 5 jobs", "what's in the queue?",
    ])
    def list(
        self, status: Status = None,
        limit: Annotated[int, Field(ge=1, le=100), "At most this many jobs, newest first"] = 20,
        experiment: Annotated[str | None, Field(max_length=255), "Only jobs of this experiment"] = None,
    ) -> list[dict]:
        """List jobs newest first with type, status, experiment and compute; filter by status or experiment.

        Use it to find a job's name before jobs-get, jobs-logs or jobs-cancel.
        """
        jobs = [job_summary(j) for j in self.client.jobs.list()]
        jobs = [j for j in jobs if (status is None or j["status"] == status) and (experiment is None or j.get("experiment") == experiment)]
        return jobs[:limit]

    @tool(effect="read", permission=READ, examples=[
        "how is job sleepy_cat_123 doing?", "show job sleepy_cat_123", "what metrics did my last job log?",
        "why did job sleepy_cat_123 fail?", "what's the best model of my automl job?", "status of the training run",
    ])
    def get(self, name: JobName, log_lines: Annotated[int, Field(ge=0, le=200), "How many of the log's last lines to include"] = 20) -> dict:
        """Show one job: status, times, error, the metrics it logged to MLflow, the end of its log and, for AutoML, the best trials."""
        job = self._job(name)
        result = {**job_summary(job), "metrics": run_metrics(self.client, job), "log_tail": log_tail(job, log_lines)}
        if result["type"] == "automl":
            from tools.automl import leaderboard_rows

            result["leaderboard"] = leaderboard_rows(self.client, job, 5)
        return result

    @tool(effect="read", permission=READ, examples=[
        "show the log of sleepy_cat_123", "tail the output of my job", "what did job sleepy_cat_123 print?",
        "last 50 lines of the training log", "stream the logs of sleepy_cat_123",
    ])
    def logs(self, name: JobName, lines: Annotated[int, Field(ge=1, le=500), "How many of the last lines to show"] = 50) -> dict:
        """Show the last lines of a job's log (user_logs/std_log.txt) and its status; call again to follow a running job."""
        job = self._job(name)
        return {"name": job.name, "status": str(job.status), "lines": log_tail(job, lines)}

    @tool(effect="write", permission=WRITE, examples=[
        "run python train.py on cpu-cluster", "submit a job that runs train.py from ./src with diabetes as input",
        "train with ./src/train.py --data ${{inputs.data}} using diabetes@latest", "run echo hello as a job",
        "start a command job called nightly-train", "launch python score.py in experiment scoring",
    ])
    def create_command(
        self,
        command: Annotated[str, Field(min_length=1, max_length=4000), "Shell command; use ${{inputs.<name>}} for inputs, e.g. python train.py --data ${{inputs.data}}"],
        code: Annotated[str | None, Field(max_length=2048), "Local folder with the scripts (snapshotted); omit when the command needs none"] = None,
        inputs: Annotated[dict[str, str] | None, Field(max_length=20), "Inputs by name: a data reference (azureml:diabetes@latest), a local path, or a literal value"] = None,
        environment: Annotated[str, Field(min_length=1, max_length=300), "Environment reference, e.g. azureml:AzureML-sklearn-1.5@latest"] = DEFAULT_ENVIRONMENT,
        compute: Compute = None, experiment_name: Experiment = None, name: NewJobName = None,
        display_name: Annotated[str | None, Field(max_length=255), "A readable title for the job"] = None,
    ) -> dict:
        """Submit a command job: a shell command run with its code folder, inputs and environment on a compute. Returns the job's name and status."""
        plan = self.preview_create_command(command, code, inputs, environment, compute, experiment_name, name, display_name)
        from azure.ai.ml import command as command_job

        job = command_job(command=command, code=code, inputs=_inputs(self.client, inputs), environment=environment, compute=compute,
                          experiment_name=experiment_name, name=name, display_name=display_name)
        created = self.client.jobs.create_or_update(job)
        return {"status": "submitted", "job": job_summary(created), "summary": plan.summary}

    def preview_create_command(self, command: str, code: str | None = None, inputs: dict[str, str] | None = None,
                               environment: str = DEFAULT_ENVIRONMENT, compute: str | None = None,
                               experiment_name: str | None = None, name: str | None = None, display_name: str | None = None) -> Plan:
        self._check_new_name(name)
        if compute:
            self.client.compute.get(compute)  # raises, naming the known computes
        if code and not Path(code).expanduser().exists():
            raise UserInputError.missing_path("code", code)
        get_reference(self.client.environments, environment)
        for input_name, value in (inputs or {}).items():
            self._check_input(input_name, value)
        _check_placeholders(command, inputs or {})
        desired = {"command": command, "code": code, "inputs": inputs or {}, "environment": environment,
                   "compute": compute or "serverless", "experiment_name": experiment_name, "name": name}
        return Plan(
            action="submit job", target=f"job/{name or '(new)'}", current=None, desired={k: v for k, v in desired.items() if v},
            summary=f"job {name or '(generated name)'}: absent -> command `{command[:80]}` on {compute or 'serverless'}",
            resource_name=name, inverse=ToolCall(tool="jobs-cancel", arguments={"name": name}) if name else None,
        )

    def _check_new_name(self, name: str | None) -> None:
        if name is None:
            return
        from tools.assets import not_found_errors

        try:
            existing = self._job(name)
        except not_found_errors():
            return
        raise UserInputError.invalid("name", name, f"is already a job ({existing.status}); pick another name")

    def _check_input(self, input_name: str, value: str) -> None:
        if value.startswith("azureml:") and not value.startswith("azureml://"):
            get_reference(self.client.data, value)
        elif value.startswith(("./", "/", "~")) and not Path(value).expanduser().exists():
            raise UserInputError.missing_path(f"inputs.{input_name}", value)

    @tool(effect="write", permission=WRITE, examples=[
        "cancel job sleepy_cat_123", "stop the running job", "kill my training job", "abort sleepy_cat_123",
        "cancel the automl run",
    ])
    def cancel(self, name: JobName) -> dict:
        """Cancel a queued or running job (a running one is stopped). A job that already ended is left as it is."""
        plan = self.preview_cancel(name)
        if plan.warnings:
            return {"status": plan.current["status"], "name": name, "summary": plan.summary}
        self.client.jobs.begin_cancel(name).result(timeout=30)
        return {"status": str(self._job(name).status), "name": name, "summary": plan.summary}

    def preview_cancel(self, name: JobName) -> Plan:
        current = job_summary(self._job(name))
        ended = current["status"] in TERMINAL
        return Plan(
            action="cancel job", target=f"job/{name}", current=current, desired={**current, "status": "Canceled"},
            summary=f"job {name}: {current['status']} -> {current['status'] if ended else 'Canceled'}", resource_name=name,
            warnings=[f"{name} already ended ({current['status']}); nothing to cancel"] if ended else [],
        )

    @tool(effect="write", permission=READ, examples=[
        "download the outputs of sleepy_cat_123", "get the model my job produced into ./out",
        "download job sleepy_cat_123's logs", "save the best_model output of my automl job locally",
        "fetch all outputs of the training run",
    ])
    def download(
        self, name: JobName,
        output_name: Annotated[str | None, Field(max_length=255), "One output (e.g. best_model); omit for the logs"] = None,
        all: Annotated[bool, "Every output and the logs"] = False,
        download_path: Annotated[str, Field(min_length=1, max_length=2048), "Folder to download into"] = ".",
    ) -> dict:
        """Download a finished job's logs or outputs to a folder on this machine (outputs go to <folder>/named-outputs/<output>)."""
        plan = self.preview_download(name, output_name, all, download_path)
        self.client.jobs.download(name, download_path=download_path, output_name=output_name, all=all)
        return {"status": "downloaded", "path": plan.desired["path"], "summary": plan.summary}

    def preview_download(self, name: JobName, output_name: str | None = None, all: bool = False, download_path: str = ".") -> Plan:
        job = self._job(name)
        if str(job.status) not in TERMINAL:
            raise UserInputError.invalid("name", name, f"is {job.status}; download once it has ended")
        outputs = sorted(job.outputs or {})
        if output_name is not None and output_name not in outputs:
            raise UserInputError.invalid("output_name", output_name, f"is not an output of {name} (outputs: {', '.join(outputs) or 'none'})")
        folder = Path(download_path).expanduser()
        if folder.exists() and not folder.is_dir():
            raise UserInputError.invalid("download_path", download_path, "is a file; give a folder")
        what = f"output {output_name}" if output_name else ("all outputs and logs" if all else "logs")
        target = folder / "named-outputs" / output_name if output_name else folder
        return Plan(action="download job files", target=f"job/{name}", current=None,
                    desired={"name": name, "what": what, "path": str(target)},
                    summary=f"job {name}: {what} -> files in {target}", resource_name=name)


def get_reference(group: Any, text: str) -> Any:
    """An asset by reference: 'azureml:name:3', 'azureml:name@latest' or a bare name (its latest version)."""
    body = text.removeprefix("azureml:")
    if ":" in body and "@" not in body:
        name, version = body.split(":", 1)
        return group.get(name, version=version)
    return group.get(body.split("@", 1)[0], label="latest")


def _inputs(client: Any, inputs: dict[str, str] | None) -> dict:
    """Each input as the job wants it: data references and paths keep their kind, anything else is a literal."""
    from azure.ai.ml import Input

    result: dict[str, Any] = {}
    for name, value in (inputs or {}).items():
        if value.startswith("azureml:") and not value.startswith("azureml://"):
            result[name] = Input(type=str(get_reference(client.data, value).type), path=value)
        elif value.startswith(("./", "/", "~", "azureml://")):
            local = Path(value).expanduser()
            kind = "uri_file" if local.is_file() else "mltable" if (local / "MLTable").is_file() else "uri_folder"
            result[name] = Input(type=kind, path=value if value.startswith("azureml://") else str(local))
        else:
            result[name] = value  # a literal: substituted into the command as typed
    return result


def _check_placeholders(command: str, inputs: dict) -> None:
    import re

    for used in re.findall(r"\$\{\{\s*inputs\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", command):
        if used not in inputs:
            raise UserInputError.invalid("command", f"${{{{inputs.{used}}}}}", f"uses input {used!r}, which is not given (inputs: {', '.join(inputs) or 'none'})")
