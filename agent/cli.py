"""amlpilot's command line: apply Azure ML YAML, list and show workspace objects.

Only typer and rich are imported at module level; azure.ai.ml and MLflow load
inside the commands that need them, so ``amlpilot --help`` starts at once.
Errors reach the user as one line on stderr (``GuardedGroup``), never a traceback.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Iterator, Optional

import typer
from rich.console import Console

from workspace.errors import AmlPilotError, ResourceNotFoundError, UserInputError

DEBUG_VARIABLE = "AMLPILOT_DEBUG"

# CLI kind → MLClient operation group.
KINDS = {"compute": "compute", "datastore": "datastores", "data": "data",
         "environment": "environments", "component": "components", "model": "models",
         "endpoint": "online_endpoints", "batch-endpoint": "batch_endpoints"}
VERSIONED = ("data", "environment", "component", "model")
_ALIASES = {"env": "environment", "envs": "environment", "data-assets": "data", "datasets": "data",
            "online-endpoint": "endpoint", "online-endpoints": "endpoint"}

HELP = """
Work with an Azure-ML-like workspace on this machine.

The same CLI v2 YAML files that `az ml ... create -f` takes are applied here,
and later run unchanged on Azure ML. With no command, amlpilot opens its terminal UI (or, when not
attached to a terminal, prints a summary of the workspace).

[bold]Examples[/bold]

  amlpilot apply -f cluster.yml -f diabetes-data.yml

  amlpilot list data --name diabetes

  amlpilot show compute cpu-cluster --json

  amlpilot --workspace ./ws workspace info
"""


class GuardedGroup(typer.core.TyperGroup):
    """Every error a command raises becomes one line on stderr and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except _typer_reported():
            raise  # usage errors (exit 2), --help and explicit exits are typer's to report
        except AmlPilotError as exc:
            _fail(f"error: {exc.message}", exc.exit_code)
        except Exception as exc:
            if os.environ.get(DEBUG_VARIABLE):
                raise
            _fail(f"internal error: {type(exc).__name__}: {exc} (set {DEBUG_VARIABLE}=1 to see the traceback)", 1)


def _typer_reported() -> tuple[type[BaseException], ...]:
    """The exceptions typer turns into messages itself: typer >= 0.20 vendors click
    and roots them at TyperException; older versions use click's own."""
    base = getattr(typer, "TyperException", None)
    if base is None:
        import click

        base = click.ClickException
    return (base, typer.Exit, typer.Abort)


def _fail(message: str, code: int) -> None:
    typer.echo(" ".join(message.split()), err=True)  # one line, whatever the message held
    raise typer.Exit(code)


app = typer.Typer(
    cls=GuardedGroup,
    help=HELP,
    invoke_without_command=True,
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
workspace_app = typer.Typer(help="The local workspace: where its files live.", no_args_is_help=True)
app.add_typer(workspace_app, name="workspace")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON (entity._to_dict()) instead of a table.")]
KindArg = Annotated[str, typer.Argument(help=f"What to work with: {', '.join(KINDS)} (singular or plural).", show_default=False)]


@dataclass
class GlobalOptions:
    workspace: Path | None = None
    user: str | None = None


@app.callback()
def root(
    ctx: typer.Context,
    workspace: Annotated[Optional[Path], typer.Option(
        "--workspace", "-w", help="Workspace folder (overrides AMLPILOT_WORKSPACE).", show_default=False)] = None,
    user: Annotated[Optional[str], typer.Option(
        "--as", help="Act as this identity (overrides AMLPILOT_USER).", show_default=False)] = None,
    config: Annotated[Optional[Path], typer.Option(
        "--config", help="Settings file to read (overrides AMLPILOT_CONFIG).", show_default=False)] = None,
    model: Annotated[Optional[str], typer.Option(
        "--model", help="Chat model for the terminal UI (overrides AMLPILOT_MODEL).", show_default=False)] = None,
    read_only: Annotated[bool, typer.Option("--read-only", help="Terminal UI: offer and allow only tools that change nothing.")] = False,
    resume: Annotated[Optional[str], typer.Option("--resume", help="Terminal UI: continue a saved session by id.", show_default=False)] = None,
) -> None:
    if config is not None:
        if not config.expanduser().is_file():
            raise UserInputError.missing_path("--config", config)
        # agent.config reads AMLPILOT_CONFIG when settings load; set it before they do.
        os.environ["AMLPILOT_CONFIG"] = str(config.expanduser().resolve())
    ctx.obj = GlobalOptions(workspace=workspace, user=user)
    if ctx.invoked_subcommand is None:
        if sys.stdin.isatty() and sys.stdout.isatty():  # a person at a terminal: open the terminal UI
            from tui.app import run_tui

            raise typer.Exit(run_tui(workspace=workspace, user=user, model=model, read_only=read_only or None, resume=resume))
        _print_summary(ctx)


# -- shared helpers -------------------------------------------------------------


def _settings(ctx: typer.Context):
    from agent.config import load_settings

    options: GlobalOptions = ctx.obj or GlobalOptions()
    return load_settings(workspace=options.workspace, user=options.user)


@contextmanager
def _open_client(ctx: typer.Context) -> Iterator[tuple[Any, Any]]:
    settings = _settings(ctx)
    if settings.backend == "azure":
        raise UserInputError(
            "backend: 'azure' is not available yet; the Azure ML backend arrives later (use AMLPILOT_BACKEND=local)",
            field="backend", value="azure",
        )
    from workspace.local import LocalMLClient

    client = LocalMLClient(settings.workspace_root, user=settings.user, secrets_backend=settings.secrets_backend)
    try:
        yield settings, client
    finally:
        client.close()


def _console() -> Console:
    # Off a terminal (pipes, tests) rich would wrap at 80 columns and split values.
    return Console(highlight=False, width=None if sys.stdout.isatty() else 200)


def _kind(text: str) -> str:
    kind = _ALIASES.get(text.strip().lower(), text.strip().lower())
    if kind not in KINDS and kind.endswith("s") and kind[:-1] in KINDS:
        kind = kind[:-1]
    if kind not in KINDS:
        raise UserInputError.invalid("kind", text, f"is not one of {', '.join(KINDS)}")
    return kind


def _versioned_only(kind: str, option: str, value: Any) -> None:
    if value and kind not in VERSIONED:
        raise UserInputError.invalid(option, value, f"applies to versioned kinds only ({', '.join(VERSIONED)}), not {kind}")


def _echo_json(data: Any) -> None:
    from agent.render import to_json

    typer.echo(to_json(data))


# -- apply ----------------------------------------------------------------------


@app.command()
def apply(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Option(
        "--file", "-f", help="An Azure ML CLI v2 YAML file; repeat for several.", show_default=False)],
    json_out: JsonFlag = False,
    stream: Annotated[bool, typer.Option(
        "--stream", help="Follow each submitted job until it ends; exit 1 if one fails or is canceled.")] = False,
) -> None:
    """Create or update workspace objects from Azure ML YAML files; jobs are submitted.

    Every file is loaded and checked before anything is written.
    """
    from agent.job_commands import follow, submitted_line
    from agent.render import applied_line, entity_dict
    from workspace.loaders import apply_entity, check_supported, load_entity

    entities = [load_entity(path) for path in files]
    kinds = [check_supported(entity) for entity in entities]
    results, jobs, code = [], [], 0
    with _open_client(ctx) as (_, client):
        for kind, entity in zip(kinds, entities):
            existed = _exists(client, kind, entity)
            stored = apply_entity(client, entity)
            results.append(entity_dict(stored))
            jobs += [stored.name] if kind == "job" else []
            if not json_out:
                typer.echo(submitted_line(stored) if kind == "job" else applied_line(kind, stored, existed))
        if json_out:
            _echo_json(results)
        for name in jobs if stream else []:  # with --json the logs go to stderr: stdout stays JSON
            code = max(code, follow(client, name, out=sys.stderr if json_out else None))
    if code:
        raise typer.Exit(code)


def _exists(client: Any, kind: str, entity: Any) -> bool:
    """Whether an unversioned object (compute, datastore) is already there: 'created' or 'updated'."""
    if kind in VERSIONED or kind not in KINDS:  # jobs are submitted, pipeline components versioned
        return False
    try:
        getattr(client, KINDS[kind]).get(entity.name)
    except ResourceNotFoundError:
        return False
    return True


# -- list / show ------------------------------------------------------------------


@app.command("list")
def list_(
    ctx: typer.Context,
    kind: KindArg,
    name: Annotated[Optional[str], typer.Option(
        "--name", "-n", help="Every version of this asset (versioned kinds only).", show_default=False)] = None,
    archived: Annotated[bool, typer.Option("--archived", help="Archived assets only (versioned kinds only).")] = False,
    json_out: JsonFlag = False,
) -> None:
    """List computes, datastores, data, environments, components, models, endpoints or batch endpoints."""
    kind = _kind(kind)
    _versioned_only(kind, "--name", name)
    _versioned_only(kind, "--archived", archived)
    with _open_client(ctx) as (_, client):
        entities = list(_list_entities(getattr(client, KINDS[kind]), kind, name, archived))
        _print_entities(kind, entities, json_out)


def _list_entities(group: Any, kind: str, name: str | None, archived: bool) -> Any:
    if kind not in VERSIONED:
        return group.list()
    from azure.ai.ml.constants import ListViewType

    view = ListViewType.ARCHIVED_ONLY if archived else ListViewType.ACTIVE_ONLY
    return group.list(name=name, list_view_type=view)


def _print_entities(kind: str, entities: list[Any], json_out: bool) -> None:
    from agent.render import entity_dict, entity_table

    if json_out:
        _echo_json([entity_dict(e) for e in entities])
    elif not entities:
        typer.echo(f"no {kind} found")
    else:
        _console().print(entity_table(kind, entities))


@app.command()
def show(
    ctx: typer.Context,
    kind: KindArg,
    name: Annotated[str, typer.Argument(help="The object's name.", show_default=False)],
    version: Annotated[Optional[str], typer.Option(
        "--version", "-v", help="Asset version (versioned kinds; default: latest).", show_default=False)] = None,
    json_out: JsonFlag = False,
) -> None:
    """Show one object as YAML (secrets are never shown)."""
    from agent.render import entity_dict, to_yaml

    kind = _kind(kind)
    _versioned_only(kind, "--version", version)
    with _open_client(ctx) as (_, client):
        group = getattr(client, KINDS[kind])
        if kind not in VERSIONED:
            entity = group.get(name)
        elif version is not None:
            entity = group.get(name, version=version)
        else:
            entity = group.get(name, label="latest")
        data = entity_dict(entity)
    if json_out:
        _echo_json(data)
    else:
        typer.echo(to_yaml(data), nl=False)


# -- workspace / config -----------------------------------------------------------


@workspace_app.command("info")
def workspace_info(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """Where everything lives: root, database, datastore folder, MLflow, secrets, config."""
    from agent.render import key_value_table

    with _open_client(ctx) as (settings, client):
        info = _workspace_facts(settings, client)
    if json_out:
        _echo_json(info)
    else:
        _console().print(key_value_table(info.items()))


def _workspace_facts(settings: Any, client: Any) -> dict[str, str]:
    from agent.config import config_file
    from workspace.local.secrets import SecretStore

    paths = client.paths
    secrets = SecretStore(paths.secrets, settings.secrets_backend)
    where = f"0600 file {secrets.file}" if secrets.backend == "file" else "OS keyring"
    config = config_file()
    return {
        "name": client.workspace_name,
        "root": str(client.root),
        "database": str(paths.db),
        "default datastore": f"workspaceblobstore → {paths.default_datastore}",
        "mlflow tracking uri": client.workspaces.get().mlflow_tracking_uri,
        "mlflow artifact root": str(paths.mlflow_artifacts),
        "secrets": where if settings.secrets_backend == secrets.backend else f"{settings.secrets_backend} → {where}",
        "config file": f"{config}" + ("" if config.is_file() else " (not found; defaults in force)"),
        "user": settings.user,
        "backend": settings.backend,
    }


@app.command("config")
def config_cmd(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """Every setting: its variable, current value, default and meaning (secrets masked)."""
    from rich.table import Table
    from rich.text import Text

    from agent.config import config_file

    rows = _settings_rows(_settings(ctx))
    if json_out:
        _echo_json(rows)
        return
    table = Table("variable", "value", "default", "meaning", header_style="bold")
    for row in rows:
        table.add_row(*(Text(row[key]) for key in ("variable", "value", "default", "doc")))
    console = _console()
    console.print(Text(f"config file: {config_file()}"))
    console.print(table)


def _settings_rows(settings: Any) -> list[dict[str, str]]:
    from pydantic import SecretStr

    from agent.config import ENV_PREFIX, describe_settings

    rows = []
    for row in describe_settings():
        value = getattr(settings, row["variable"].removeprefix(ENV_PREFIX).lower())
        if isinstance(value, SecretStr):
            shown = "********" if value.get_secret_value() else "(not set)"
        elif isinstance(value, list):
            shown = ", ".join(map(str, value))
        elif value is None and row["variable"] == f"{ENV_PREFIX}WORKSPACE":
            shown = f"(default) {settings.workspace_root}"
        else:
            shown = "(not set)" if value is None else str(value)
        rows.append({**row, "value": shown})
    return rows


# -- no command: the summary ---------------------------------------------------------


def _print_summary(ctx: typer.Context) -> None:
    from agent.render import key_value_table

    with _open_client(ctx) as (_, client):
        facts = {
            "workspace": client.workspace_name,
            "root": str(client.root),
            "mlflow": client.workspaces.get().mlflow_tracking_uri,
            "holds": _counts(client),
        }
    console = _console()
    console.print(key_value_table(facts.items()))
    console.print(
        "\nTry: amlpilot chat · amlpilot ask \"list my computes\" · amlpilot apply -f compute.yml · amlpilot --help",
        markup=False,
    )


def _counts(client: Any) -> str:
    parts = []
    for kind, attribute in KINDS.items():
        entities = list(getattr(client, attribute).list())
        if kind == "environment":
            entities = [e for e in entities if (e.tags or {}).get("curated") != "true"]
        if kind == "datastore":
            entities = [d for d in entities if (d.tags or {}).get("is_default") != "true"]
        parts.append(f"{len(entities)} {kind if kind == 'data' or len(entities) == 1 else kind + 's'}")
    return ", ".join(parts) + " (not counting the default datastore and curated environments)"


def _register_agent_commands() -> None:
    from agent.batch_commands import register as register_batch_commands
    from agent.chat_commands import register
    from agent.endpoint_commands import register as register_endpoint_commands
    from agent.job_commands import register as register_job_commands
    from agent.rai_commands import register as register_rai_commands
    from evals.commands import register as register_evals

    register(app)
    register_job_commands(app)  # job list|show|stream|cancel|download, workspace up|down|status
    register_batch_commands(app)  # batch list|show|invoke|jobs
    register_endpoint_commands(app)  # endpoint invoke|traffic|metrics|logs|keys
    register_rai_commands(app)  # rai list|show|open
    register_evals(app)


_register_agent_commands()


def main() -> None:
    _quiet_libraries()
    app()


def _quiet_libraries() -> None:
    """Library chatter on stderr would bury our one-line messages; the process entry point owns logging."""
    import logging

    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")  # read when mlflow is imported
    logging.getLogger("azure.ai.ml._utils._experimental").setLevel(logging.ERROR)  # "experimental class" notes


if __name__ == "__main__":
    main()
