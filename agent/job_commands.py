"""``amlpilot job list|show|stream|cancel|download`` and ``amlpilot workspace up|down|status``.

``register(app)`` adds them to the main typer app (``workspace`` commands join
the app's existing ``workspace`` group). Errors are one line (the app's
``GuardedGroup``); bad input exits 2. ``job stream`` (and ``apply --stream``)
exit 0 when the job Completed and 1 when it Failed or was Canceled. While a
job runs, progress lines on stderr give its status, the elapsed time and, for
a sweep, the trial count and best score (for a pipeline, the steps done).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table or YAML.")]
NameArg = Annotated[str, typer.Argument(help="The job's name.", show_default=False)]
TERMINAL = ("Completed", "Failed", "Canceled")
PROGRESS_EVERY = 15.0  # seconds between progress lines when nothing changes
POLL = 0.5


def register(app: typer.Typer) -> None:
    job_app = typer.Typer(help="Jobs: list, show, stream (follow), cancel, download.", no_args_is_help=True)
    job_app.command("list", help="List jobs, newest first; --parent lists a sweep's trials or a pipeline's steps.")(job_list)
    job_app.command("show", help="Show one job as YAML (a sweep with its trials, a pipeline with its steps).")(job_show)
    job_app.command("stream", help="Follow a job's log until it ends; exit 0 Completed, 1 Failed or Canceled.")(job_stream)
    job_app.command("cancel", help="Cancel a job (and a sweep's trials or a pipeline's steps).")(job_cancel)
    job_app.command("download", help="Download a job's logs, or one named output with --output.")(job_download)
    app.add_typer(job_app, name="job")
    workspace_app = _workspace_group(app)
    workspace_app.command("up", help="Start the workspace's control plane (it also starts on demand).")(workspace_up)
    workspace_app.command("down", help="Stop the control plane; running jobs carry on and are adopted later.")(workspace_down)
    workspace_app.command("status", help="Is the control plane running: pid, heartbeat, jobs by status.")(workspace_status)


def _workspace_group(app: typer.Typer) -> typer.Typer:
    for group in app.registered_groups:
        if group.name == "workspace" and group.typer_instance is not None:
            return group.typer_instance
    workspace_app = typer.Typer(help="The local workspace.", no_args_is_help=True)
    app.add_typer(workspace_app, name="workspace")
    return workspace_app


# -- job commands -------------------------------------------------------------------


def job_list(
    ctx: typer.Context,
    parent: Annotated[Optional[str], typer.Option("--parent", "-p", help="The children of this sweep or pipeline job.", show_default=False)] = None,
    json_out: JsonFlag = False,
) -> None:
    from agent.cli import _open_client
    from agent.render import entity_dict

    with _open_client(ctx) as (_, client):
        if parent is not None:
            client.jobs.get(parent)  # an unknown parent is an error, not an empty list
        jobs = list(client.jobs.list(parent_job_name=parent))
        if json_out:
            _echo_json([entity_dict(j) for j in jobs])
        elif not jobs:
            typer.echo(f"no jobs found{f' under {parent}' if parent else ''}")
        else:
            _print(_table(("name", "type", "status", "compute", "display name", "created"), [_job_row(j) for j in jobs]))


def job_show(ctx: typer.Context, name: NameArg, json_out: JsonFlag = False) -> None:
    from agent.cli import _open_client
    from agent.render import entity_dict, to_yaml

    with _open_client(ctx) as (_, client):
        job = client.jobs.get(name)
        data = entity_dict(job)
        trials = client.jobs.trials(name) if job.type == "sweep" else None
        steps = [_step_row(s) for s in reversed(list(client.jobs.list(parent_job_name=name)))] if job.type == "pipeline" else None
    if json_out:
        _echo_json({**data, **({"trials": trials} if trials is not None else {}), **({"steps": steps} if steps is not None else {})})
        return
    typer.echo(to_yaml(data), nl=False)
    if trials:
        metric = (job.objective.primary_metric if getattr(job, "objective", None) else None) or "metric"
        rows = [[t["name"], t["status"], _params(t["parameters"]), _number(t.get(metric)), t["intervals"], t["reason"]] for t in trials]
        _print(_table(("trial", "status", "parameters", metric, "intervals", "reason"), rows, title="trials"))
    if steps:
        _print(_table(("step", "job", "status", "reused from", "error"), [list(s.values()) for s in steps], title="steps"))


def job_stream(ctx: typer.Context, name: NameArg) -> None:
    from agent.cli import _open_client

    with _open_client(ctx) as (_, client):
        code = follow(client, name)
    raise typer.Exit(code)


def job_cancel(ctx: typer.Context, name: NameArg) -> None:
    from agent.cli import _open_client

    with _open_client(ctx) as (_, client):
        before = client.jobs.get(name).status
        if before in TERMINAL:
            typer.echo(f"job {name} already ended ({before})")
            return
        client.jobs.begin_cancel(name).result(timeout=60)
        typer.echo(f"job {name} {client.jobs.get(name).status}")


def job_download(
    ctx: typer.Context,
    name: NameArg,
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="A named output; without it, the logs.", show_default=False)] = None,
    path: Annotated[Path, typer.Option("--path", help="Folder to download into.")] = Path("."),
) -> None:
    from agent.cli import _open_client

    with _open_client(ctx) as (_, client):
        client.jobs.download(name, download_path=path, output_name=output)
    where = path / "named-outputs" / output if output else path / "artifacts"
    typer.echo(f"downloaded {f'output {output}' if output else 'logs'} of job {name} to {where}")


# -- following a job --------------------------------------------------------------------


def submitted_line(job: Any) -> str:
    return f"job {job.name} submitted ({job.status})"


def follow(client: Any, name: str, out=None, err=None) -> int:
    """Print the job's log as it grows, with progress lines, until it ends; the exit code for its status."""
    from workspace.local.controlplane import ensure_controlplane
    from workspace.local.operations.jobs import print_log_from

    out, err = out or sys.stdout, err or sys.stderr
    job = client.jobs.get(name)
    if job.status not in TERMINAL:
        ensure_controlplane(client.root)
    log, offset, started = client.root / "jobs" / name / "user_logs" / "std_log.txt", 0, time.monotonic()
    last, last_at = None, 0.0
    while True:
        job = client.jobs.get(name)  # before reading the log: no line is missed at the end
        offset = print_log_from(log, offset, out)
        summary = progress(client, job)
        now = time.monotonic()
        if job.status in TERMINAL:
            break
        if summary != last or now - last_at >= PROGRESS_EVERY:
            err.write(f"[{_elapsed(now - started)}] {summary}\n")
            err.flush()
            last, last_at = summary, now
        time.sleep(POLL)
    err.write(f"[{_elapsed(time.monotonic() - started)}] {summary}\n")
    error = (job.properties or {}).get("error")
    if job.status != "Completed":
        err.write(f"error: job {name} {job.status.lower()}{f': {error}' if error else ''}\n")
    err.flush()
    return 0 if job.status == "Completed" else 1


def progress(client: Any, job: Any) -> str:
    """'job sw1 Running · trials 3/6 (1 early-terminated) · best acc 0.91 (sw1_2)'."""
    parts = [f"job {job.name} {job.status}"]
    props = job.properties or {}
    if "azureml.batchEndpoint" in props:  # a batch invocation is a PipelineJob with no child steps
        parts.append(_batch_progress(props))
    elif job.type in ("sweep", "pipeline"):
        kids = list(client.jobs.list(parent_job_name=job.name))
        ended = sum(1 for k in kids if k.status in TERMINAL)
        if job.type == "sweep":
            total = getattr(job.limits, "max_total_trials", None) if getattr(job, "limits", None) else None
            early = sum(1 for k in kids if (k.properties or {}).get("termination_reason", "").startswith("early-terminated"))
            parts.append(f"trials {ended}/{total or len(kids)} ended, {len(kids) - ended} running" + (f" ({early} early-terminated)" if early else ""))
            props = job.properties or {}
            if "score" in props:
                parts.append(f"best {props.get('primary_metric')} {float(props['score']):.4g} ({props.get('best_child_run_id')})")
        else:
            steps = (job.properties or {}).get("steps")
            parts.append(f"steps {ended}/{steps or len(kids)} ended")
    return " · ".join(parts)


def _batch_progress(props: dict) -> str:
    """'batch ep/dep · 3/4 files scored (1 failed) · 1200 rows'; only the target until the summary exists."""
    target = f"batch {props['azureml.batchEndpoint']}/{props.get('azureml.batchDeployment', '?')}"
    if "azureml.batch.files" not in props:
        return target
    files, failed = int(props["azureml.batch.files"]), int(props.get("azureml.batch.files_failed", 0))
    scored = f"{files - failed}/{files} files scored" + (f" ({failed} failed)" if failed else "")
    return f"{target} · {scored} · {props.get('azureml.batch.rows', 0)} rows"


def _elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"


# -- workspace commands --------------------------------------------------------------------


def workspace_up(ctx: typer.Context) -> None:
    from workspace.local.controlplane import ensure_controlplane

    status = ensure_controlplane(_root(ctx))
    typer.echo(f"control plane running (pid {status['pid']}); log: {status['log']}")


def workspace_down(ctx: typer.Context) -> None:
    from workspace.local.controlplane import controlplane_status, stop_controlplane

    root = _root(ctx)
    pid = controlplane_status(root)["pid"]
    typer.echo(f"control plane stopped (pid {pid})" if stop_controlplane(root) else "control plane was not running")


def workspace_status(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    from agent.render import key_value_table
    from workspace.local.controlplane import controlplane_status

    status = controlplane_status(_root(ctx))
    if json_out:
        _echo_json(status)
        return
    shown = {**status, "running": "yes" if status["running"] else "no",
             "jobs": ", ".join(f"{n} {s}" for s, n in sorted(status["jobs"].items())) or "none"}
    _print(key_value_table(shown.items()))


def _root(ctx: typer.Context) -> Path:
    from agent.cli import _settings

    return Path(_settings(ctx).workspace_root)


# -- rendering ----------------------------------------------------------------------------------


def _job_row(job: Any) -> list[Any]:
    created = getattr(job.creation_context, "created_at", None)
    compute = job.compute or getattr(getattr(job, "settings", None), "default_compute", None)  # a pipeline's default
    return [job.name, job.type, job.status, compute, job.display_name, str(created)[:19].replace("T", " ") if created else None]


def _step_row(job: Any) -> dict:
    props = job.properties or {}
    return {"step": job.display_name, "job": job.name, "status": job.status, "reused_from": props.get("reused_from"), "error": props.get("error")}


def _params(parameters: dict) -> str:
    return ", ".join(f"{k}={_number(v)}" for k, v in parameters.items())


def _number(value: Any) -> Any:
    return f"{value:.4g}" if isinstance(value, float) else value


def _table(headers: tuple[str, ...], rows: list[list[Any]], title: str | None = None):
    from rich.table import Table
    from rich.text import Text

    table = Table(*headers, header_style="bold", title=title, title_justify="left")
    for row in rows:
        table.add_row(*(Text("-" if v is None or v == "" else str(v)) for v in row))
    return table


def _print(renderable: Any) -> None:
    from agent.cli import _console

    _console().print(renderable)


def _echo_json(data: Any) -> None:
    from agent.render import to_json

    typer.echo(to_json(data))
