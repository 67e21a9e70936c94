"""``amlpilot batch list|show|invoke|jobs``: batch endpoints from the command line.

``register(app)`` adds the group to the main typer app. Errors are one line
(the app's ``GuardedGroup``); bad input exits 2. ``batch invoke --stream``
follows the scoring job like ``job stream`` and exits 0 when it Completed,
1 when it Failed or was Canceled.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table or YAML.")]
EndpointArg = Annotated[str, typer.Argument(help="The batch endpoint's name.", show_default=False)]
DeploymentOption = Annotated[Optional[str], typer.Option(
    "--deployment", "-d", help="A deployment of the endpoint (default: the endpoint's default deployment).", show_default=False)]
INPUT_TYPES = ("uri_folder", "uri_file")


def register(app: typer.Typer) -> None:
    batch_app = typer.Typer(help="Batch endpoints: list, show, invoke (score files), jobs.", no_args_is_help=True)
    batch_app.command("list", help="List batch endpoints with their deployments.")(batch_list)
    batch_app.command("show", help="Show a batch endpoint and its deployments as YAML.")(batch_show)
    batch_app.command("invoke", help="Score a file or folder: starts a batch scoring job.")(batch_invoke)
    batch_app.command("jobs", help="List the jobs an endpoint's invocations started, newest first.")(batch_jobs)
    app.add_typer(batch_app, name="batch")


def batch_list(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    from agent.cli import _open_client
    from agent.job_commands import _echo_json, _print, _table

    with _open_client(ctx) as (_, client):
        endpoints = list(client.batch_endpoints.list())
        rows = [[e.name, (e.defaults or {}).get("deployment_name"),
                 ", ".join(d.name for d in client.batch_deployments.list(e.name))] for e in endpoints]
    if json_out:
        _echo_json([{"name": n, "default_deployment": d, "deployments": [x for x in ds.split(", ") if x]} for n, d, ds in rows])
    elif not rows:
        typer.echo("no batch endpoints found")
    else:
        _print(_table(("name", "default deployment", "deployments"), rows))


def batch_show(ctx: typer.Context, name: EndpointArg, json_out: JsonFlag = False) -> None:
    from agent.cli import _open_client
    from agent.job_commands import _echo_json
    from agent.render import entity_dict, to_yaml

    with _open_client(ctx) as (_, client):
        data = entity_dict(client.batch_endpoints.get(name))
        data["deployments"] = [entity_dict(d) for d in client.batch_deployments.list(name)]
    if json_out:
        _echo_json(data)
    else:
        typer.echo(to_yaml(data).rstrip())


def batch_invoke(
    ctx: typer.Context,
    name: EndpointArg,
    input_path: Annotated[str, typer.Option(
        "--input", "-i", help="A local file or folder, azureml:<data>:<version> or azureml://datastores/<name>/paths/<path>.",
        show_default=False)],
    deployment: DeploymentOption = None,
    input_type: Annotated[Optional[str], typer.Option(
        "--type", help="uri_folder or uri_file (default: from the local path; uri_folder otherwise).", show_default=False)] = None,
    input_name: Annotated[Optional[str], typer.Option(
        "--input-name", help="Pass the data as this named input (pipeline-component deployments).", show_default=False)] = None,
    job_name: Annotated[Optional[str], typer.Option("--job-name", help="Name the job (default: a generated name).", show_default=False)] = None,
    stream: Annotated[bool, typer.Option("--stream", help="Follow the job until it ends; exit 1 if it fails.")] = False,
) -> None:
    from azure.ai.ml import Input

    from agent.cli import _open_client
    from agent.job_commands import follow
    from workspace.errors import UserInputError

    kind = input_type or _input_type(input_path)
    if kind not in INPUT_TYPES:
        raise UserInputError.invalid("--type", kind, f"is not one of {', '.join(INPUT_TYPES)}")
    data = Input(type=kind, path=input_path)
    with _open_client(ctx) as (_, client):
        if input_name:
            job = client.batch_endpoints.invoke(name, deployment_name=deployment, inputs={input_name: data}, job_name=job_name)
        else:
            job = client.batch_endpoints.invoke(name, deployment_name=deployment, input=data, job_name=job_name)
        typer.echo(f"job {job.name} submitted ({job.status})")
        code = follow(client, job.name) if stream else 0
    if code:
        raise typer.Exit(code)


def _input_type(path: str) -> str:
    local = Path(path).expanduser()
    return "uri_file" if "://" not in path and not path.startswith("azureml:") and local.is_file() else "uri_folder"


def batch_jobs(ctx: typer.Context, name: EndpointArg, deployment: DeploymentOption = None, json_out: JsonFlag = False) -> None:
    from agent.cli import _open_client
    from agent.job_commands import _echo_json, _print, _table

    with _open_client(ctx) as (_, client):
        found = client.batch_deployments.list_jobs(name, name=deployment) if deployment else client.batch_endpoints.list_jobs(name)
        rows = [_job_row(client.jobs.get(j.name)) for j in found]
    if json_out:
        _echo_json([dict(zip(_HEADERS, row)) for row in rows])
    elif not rows:
        typer.echo(f"no jobs found for batch endpoint {name}{f' deployment {deployment}' if deployment else ''}")
    else:
        _print(_table(_HEADERS, rows))


_HEADERS = ("name", "deployment", "status", "files", "files_failed", "created")


def _job_row(job: Any) -> list[Any]:
    props = job.properties or {}
    created = getattr(job.creation_context, "created_at", None)
    return [job.name, props.get("azureml.batchDeployment"), job.status, props.get("azureml.batch.files"),
            props.get("azureml.batch.files_failed"), str(created)[:19].replace("T", " ") if created else None]
