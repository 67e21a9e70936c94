"""``amlpilot endpoint invoke|traffic|metrics|logs|keys``: online endpoints from the command line.

``register(app)`` adds the group to the main typer app. Errors are one line
(the app's ``GuardedGroup``); bad input exits 2. Keys are printed only when
asked for with ``keys --show``; everything else names them without values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from workspace.errors import UserInputError

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
EndpointArg = Annotated[str, typer.Argument(help="The online endpoint's name.", show_default=False)]
METRIC_COLUMNS = ("request_count", "error_count", "p50_ms", "p95_ms", "p99_ms")


def register(app: typer.Typer) -> None:
    endpoint_app = typer.Typer(help="Online endpoints: invoke, traffic, metrics, logs, keys.", no_args_is_help=True)
    endpoint_app.command("invoke", help="Score a JSON request file; prints the response.")(endpoint_invoke)
    endpoint_app.command("traffic", help="Show traffic, or set it: blue=90 green=10 (and --mirror green=10).")(endpoint_traffic)
    endpoint_app.command("metrics", help="Per-deployment requests, errors and latency p50/p95/p99.")(endpoint_metrics)
    endpoint_app.command("logs", help="The last lines a deployment's instances wrote.")(endpoint_logs)
    endpoint_app.command("keys", help="Key status; --show prints them, --regenerate replaces one.")(endpoint_keys)
    app.add_typer(endpoint_app, name="endpoint")


def endpoint_invoke(
    ctx: typer.Context,
    name: EndpointArg,
    file: Annotated[Path, typer.Option("--file", "-f", help="The request body, a JSON file.", show_default=False)],
    deployment: Annotated[Optional[str], typer.Option("--deployment", "-d", help="Send to this deployment only.", show_default=False)] = None,
) -> None:
    from agent.cli import _open_client

    with _open_client(ctx) as (_, client):
        typer.echo(client.online_endpoints.invoke(name, request_file=str(file), deployment_name=deployment))


def parse_weights(assignments: list[str], field: str) -> dict[str, int]:
    weights: dict[str, int] = {}
    for text in assignments:
        deployment, sep, value = text.partition("=")
        if not sep or not deployment or not value.strip().isdigit():
            raise UserInputError.invalid(field, text, "is not deployment=percent, e.g. blue=90")
        weights[deployment.strip()] = int(value)
    return weights


def endpoint_traffic(
    ctx: typer.Context,
    name: EndpointArg,
    weights: Annotated[Optional[list[str]], typer.Argument(help="deployment=percent pairs summing to 100; omitted deployments get 0.", show_default=False)] = None,
    mirror: Annotated[Optional[list[str]], typer.Option("--mirror", help="deployment=percent copied to a shadow (0 stops mirroring).", show_default=False)] = None,
    json_out: JsonFlag = False,
) -> None:
    from agent.cli import _open_client
    from agent.job_commands import _echo_json

    with _open_client(ctx) as (_, client):
        endpoint = client.online_endpoints.get(name)
        if weights or mirror:
            if weights:
                endpoint.traffic = parse_weights(weights, "traffic")
            if mirror:
                endpoint.mirror_traffic = parse_weights(mirror, "mirror_traffic")
            endpoint = client.online_endpoints.begin_create_or_update(endpoint).result()
    shown = {"traffic": dict(endpoint.traffic or {}), "mirror_traffic": dict(endpoint.mirror_traffic or {})}
    if json_out:
        _echo_json(shown)
        return
    traffic = ", ".join(f"{k}={v}" for k, v in shown["traffic"].items()) or "none"
    mirrored = ", ".join(f"{k}={v}" for k, v in shown["mirror_traffic"].items() if v)
    typer.echo(f"endpoint {name} traffic: {traffic}" + (f"; mirror: {mirrored}" if mirrored else ""))


def endpoint_metrics(ctx: typer.Context, name: EndpointArg, json_out: JsonFlag = False) -> None:
    from agent.cli import _open_client
    from agent.job_commands import _echo_json, _print, _table

    with _open_client(ctx) as (_, client):
        metrics = client.online_endpoints.get_metrics(name)
    if json_out:
        _echo_json(metrics)
        return
    if not metrics:
        typer.echo(f"endpoint {name} has no deployments")
        return
    rows = [[deployment, *(values[c] if values[c] is not None else "-" for c in METRIC_COLUMNS)] for deployment, values in metrics.items()]
    _print(_table(("deployment", "requests", "errors", "p50 ms", "p95 ms", "p99 ms"), rows))


def endpoint_logs(
    ctx: typer.Context,
    name: EndpointArg,
    deployment: Annotated[str, typer.Option("--deployment", "-d", help="The deployment.", show_default=False)],
    lines: Annotated[int, typer.Option("--lines", "-n", help="How many lines, from the end.")] = 100,
) -> None:
    from agent.cli import _open_client

    with _open_client(ctx) as (_, client):
        typer.echo(client.online_deployments.get_logs(deployment, name, lines))


def endpoint_keys(
    ctx: typer.Context,
    name: EndpointArg,
    regenerate: Annotated[Optional[str], typer.Option("--regenerate", help="primary or secondary.", show_default=False)] = None,
    show: Annotated[bool, typer.Option("--show", help="Print the keys (or a fresh token) themselves.")] = False,
) -> None:
    from agent.cli import _open_client

    with _open_client(ctx) as (_, client):
        if regenerate:
            client.online_endpoints.begin_regenerate_keys(name, key_type=regenerate).result()
            typer.echo(f"endpoint {name}: {regenerate} key regenerated")
        credentials = client.online_endpoints.get_keys(name)
    if hasattr(credentials, "access_token"):
        from datetime import datetime, timezone

        expiry = datetime.fromtimestamp(credentials.expiry_time_utc, timezone.utc).isoformat(timespec="seconds")
        typer.echo(f"token: {credentials.access_token if show else '(hidden; --show prints it)'}  expires {expiry}")
        return
    for key_type in ("primary", "secondary"):
        value = getattr(credentials, f"{key_type}_key")
        typer.echo(f"{key_type}: {value if show else '(set; --show prints it)'}")
