"""``amlpilot rai list|show|open``: Responsible AI dashboards of the workspace's models.

``rai list`` shows every dashboard (``--model`` narrows it), ``rai show NAME``
prints a terminal summary (top error cohorts, top features, causal effects),
``rai open NAME`` serves the HTML dashboard on 127.0.0.1 and prints its URL.
NAME is the pipeline job that built the dashboard.
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

NameArg = Annotated[str, typer.Argument(help="The dashboard: the name of the pipeline job that built it.", show_default=False)]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
TOP = 5


def register(app: typer.Typer) -> None:
    rai_app = typer.Typer(help="Responsible AI dashboards: list, show (summary), open (in a browser).", no_args_is_help=True)
    rai_app.command("list", help="List Responsible AI dashboards, newest first; --model narrows to one model.")(rai_list)
    rai_app.command("show", help="Summarise a dashboard: metrics, top error cohorts, top features, causal effects.")(rai_show)
    rai_app.command("open", help="Serve a dashboard on 127.0.0.1 and print its URL; Ctrl-C stops it.")(rai_open)
    app.add_typer(rai_app, name="rai")


def rai_list(
    ctx: typer.Context,
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="Only this model (name or name:version).", show_default=False)] = None,
    json_out: JsonFlag = False,
) -> None:
    from agent.cli import _open_client
    from workspace.local.rai import registry

    with _open_client(ctx) as (_, client):
        found = registry.list_insights(client, model)
    if json_out:
        _echo_json([{k: d[k] for k in ("name", "model_id", "title", "insights", "task_type", "step_job")} | {"dashboard_path": str(d["dashboard_path"])}
                    for d in found])
        return
    if not found:
        typer.echo("no Responsible AI dashboards" + (f" for model {model}" if model else ""))
        return
    _print(_table(("name", "model", "title", "insights", "task"),
                  [[d["name"], d["model_id"] or "-", d["title"], ", ".join(d["insights"]) or "overview", d["task_type"]] for d in found]))


def rai_show(ctx: typer.Context, name: NameArg, json_out: JsonFlag = False) -> None:
    from agent.cli import _open_client
    from workspace.local.rai import registry

    with _open_client(ctx) as (_, client):
        data = registry.load_dashboard(client, name)
    if json_out:
        from tools.rai import dashboard_summary

        _echo_json(dashboard_summary(data))
        return
    for renderable in summary(data):
        _print(renderable)


def rai_open(
    ctx: typer.Context,
    name: NameArg,
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1; 0 picks a free one.", min=0, max=65535)] = 0,
    browser: Annotated[bool, typer.Option("--browser", help="Also open the page in the default web browser.")] = False,
) -> None:
    from agent.cli import _open_client
    from workspace.local.rai import registry, server

    with _open_client(ctx) as (_, client):
        found = registry.find(client, name)
    httpd, url = server.start(found["dashboard_path"], port, found.get("scorecard_path"))
    typer.echo(url, err=False)
    if found.get("scorecard_path"):
        typer.echo(f"{url}scorecard (PDF: {url}scorecard.pdf)")
    if browser:
        import webbrowser

        webbrowser.open(url)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        typer.echo("stopped")
    finally:
        httpd.server_close()


def summary(data: dict) -> list[Any]:
    """Rich renderables: header, metrics, error cohorts, features, causal effects, counterfactuals."""
    config, insights = data["config"], data["insights"]
    from rich.text import Text

    parts: list[Any] = [Text(f"{config['title']}: {config['task_type']} of {config['target_column']}, "
                             f"model {config.get('model_id') or '(unregistered)'}, {config['rows']['test']} test rows", style="bold")]
    metrics = data["overview"]["metrics"]
    parts.append(_table(list(metrics), [[_number(v) for v in metrics.values()]], title="metrics"))
    if (ea := insights.get("error_analysis")):
        rows = [[c["description"], c["size"], _number(c["error_rate"])] for c in ea["top_cohorts"][:TOP]]
        parts.append(_table(("cohort", "size", ea["metric"]), rows, title=f"top error cohorts (overall {_number(ea['overall_error_rate'])})"))
    if (ex := insights.get("explanation")):
        ranked = sorted(ex["global_importance"].items(), key=lambda kv: -kv[1])[:TOP]
        parts.append(_table(("feature", "importance"), [[f, _number(v)] for f, v in ranked], title=f"top features ({ex['method']})"))
    if (ca := insights.get("causal")):
        rows = [[t["feature"], _number(t["point"]), f"[{_number(t['ci_lower'])}, {_number(t['ci_upper'])}]", _number(t["p_value"])]
                for t in ca["treatments"]]
        parts.append(_table(("treatment", "effect", "confidence interval", "p-value"), rows, title=f"causal effects on {ca['outcome']}"))
    if (cf := insights.get("counterfactual")):
        found = sum(r["found"] for r in cf["rows"])
        parts.append(f"counterfactuals: {found} for {len(cf['rows'])} test rows")
    return parts


def _number(value: Any) -> str:
    return "-" if value is None else f"{value:.4g}" if isinstance(value, float) else str(value)


def _table(header, rows, title: str | None = None):
    from rich.table import Table
    from rich.text import Text

    table = Table(*header, header_style="bold", title=title, title_justify="left")
    for row in rows:
        table.add_row(*(Text(str(v)) for v in row))
    return table


def _print(renderable: Any) -> None:
    from agent.cli import _console

    _console().print(renderable)


def _echo_json(data: Any) -> None:
    from agent.render import to_json

    typer.echo(to_json(data))
