"""The amlpilot command line: list, show, workspace info, config, errors, and a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app

SCHEMA = "https://azuremlschemas.azureedge.net/latest"
CLUSTER = f"$schema: {SCHEMA}/amlCompute.schema.json\nname: cpu-cluster\ntype: amlcompute\nmax_instances: 2\n"


@pytest.fixture
def data_yaml(tmp_path):
    """Write a uri_file data asset YAML whose file holds ``content``; returns its path."""

    def _write(name: str, content: str, version: str | None = None) -> Path:
        csv = tmp_path / f"{name}-{abs(hash(content))}.csv"
        csv.write_text(content)
        version_line = f"version: '{version}'\n" if version else ""
        path = tmp_path / f"{name}.yml"
        path.write_text(f"$schema: {SCHEMA}/data.schema.json\nname: {name}\n{version_line}type: uri_file\npath: {csv}\n")
        return path

    return _write


def ok(result) -> str:
    assert result.exit_code == 0, f"exit {result.exit_code}: {result.output}"
    return result.stdout


def error_line(result, code: int = 2) -> str:
    assert result.exit_code == code, f"exit {result.exit_code}: {result.output}"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_help_shows_every_command_and_examples():
    out = ok(CliRunner().invoke(app, ["--help"]))
    for word in ("apply", "list", "show", "workspace", "config", "Examples", "--workspace", "--as", "--config"):
        assert word in out


def test_importing_the_cli_stays_light():
    """`amlpilot --help` must start at once: no azure.ai.ml or mlflow at import time."""
    code = "import sys, agent.cli; print([m for m in ('azure.ai.ml', 'mlflow', 'pandas') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_real_process_bad_input_exits_2_with_one_line(tmp_path):
    bad = tmp_path / "cluster.yml"
    bad.write_text(CLUSTER.replace("max_instances: 2", "max_instances: four"))
    script = Path(sys.executable).parent / "amlpilot"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "agent.cli"]
    proc = subprocess.run(
        [*command, "--workspace", str(tmp_path / "ws"), "apply", "-f", str(bad)],
        capture_output=True, text=True, env=os.environ.copy(), timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == ["error: cluster.yml: max_instances: 'four' is invalid: Not a valid integer."]
    assert proc.stdout == ""


def test_unexpected_errors_are_one_line_unless_debugging(cli, tmp_path, monkeypatch):
    import workspace.loaders

    def broken(path):
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr(workspace.loaders, "load_entity", broken)
    line = error_line(cli("apply", "-f", str(tmp_path / "x.yml")), code=1)
    assert line == "internal error: RuntimeError: disk on fire second line (set AMLPILOT_DEBUG=1 to see the traceback)"
    monkeypatch.setenv("AMLPILOT_DEBUG", "1")
    assert isinstance(cli("apply", "-f", str(tmp_path / "x.yml")).exception, RuntimeError)


def test_no_command_prints_the_workspace_summary(cli, tmp_path, workspace_root):
    (tmp_path / "c.yml").write_text(CLUSTER)
    ok(cli("apply", "-f", str(tmp_path / "c.yml")))
    out = ok(cli())
    assert str(workspace_root.resolve()) in out
    assert "sqlite:///" in out and "1 compute," in out
    assert "amlpilot chat" in out


def test_list_and_show_json_parse(cli, tmp_path, data_yaml):
    (tmp_path / "c.yml").write_text(CLUSTER)
    ok(cli("apply", "-f", str(tmp_path / "c.yml"), "-f", str(data_yaml("scores", "a\n1\n"))))
    [data] = json.loads(ok(cli("list", "data", "--json")))
    assert (data["name"], data["version"], data["type"]) == ("scores", "1", "uri_file")
    shown = json.loads(ok(cli("show", "data", "scores", "--version", "1", "--json")))
    assert shown["path"] == data["path"] and shown["path"].startswith("azureml://datastores/workspaceblobstore/")
    compute = json.loads(ok(cli("show", "compute", "cpu-cluster", "--json")))
    assert (compute["name"], compute["max_instances"]) == ("cpu-cluster", 2)


def test_show_prints_yaml(cli, tmp_path):
    import yaml

    (tmp_path / "c.yml").write_text(CLUSTER)
    ok(cli("apply", "-f", str(tmp_path / "c.yml")))
    shown = yaml.safe_load(ok(cli("show", "compute", "cpu-cluster")))
    assert (shown["name"], shown["type"], shown["max_instances"]) == ("cpu-cluster", "amlcompute", 2)


@pytest.mark.parametrize("kind", ["compute", "computes", "COMPUTE"])
def test_list_accepts_singular_and_plural(cli, tmp_path, kind):
    (tmp_path / "c.yml").write_text(CLUSTER)
    ok(cli("apply", "-f", str(tmp_path / "c.yml")))
    out = ok(cli("list", kind))
    assert "cpu-cluster" in out and "0..2" in out


def test_list_name_shows_every_version_and_plain_list_the_latest(cli, data_yaml):
    ok(cli("apply", "-f", str(data_yaml("scores", "a\n1\n"))))
    ok(cli("apply", "-f", str(data_yaml("scores", "a\n2\n"))))
    versions = [d["version"] for d in json.loads(ok(cli("list", "data", "--name", "scores", "--json")))]
    assert versions == ["1", "2"]
    assert [d["version"] for d in json.loads(ok(cli("list", "data", "--json")))] == ["2"]


def test_list_archived_shows_only_archived_assets(cli, data_yaml, client):
    ok(cli("apply", "-f", str(data_yaml("old", "a\n1\n")), "-f", str(data_yaml("new", "b\n1\n"))))
    client.data.archive("old")
    assert [d["name"] for d in json.loads(ok(cli("list", "data", "--json")))] == ["new"]
    assert [d["name"] for d in json.loads(ok(cli("list", "data", "--archived", "--json")))] == ["old"]


def test_usage_mistakes_exit_2_with_one_line(cli):
    assert "kind: 'gpus' is not one of compute, datastore, data" in error_line(cli("list", "gpus"))
    assert "--name: 'x' applies to versioned kinds only" in error_line(cli("list", "compute", "--name", "x"))
    assert "data: 'nope' was not found" in error_line(cli("show", "data", "nope"))
    assert cli("apply").exit_code == 2  # -f is required: typer's own usage error


def test_as_user_is_recorded_as_creator(cli, data_yaml):
    ok(cli("--as", "alice", "apply", "-f", str(data_yaml("scores", "a\n1\n"))))
    shown = json.loads(ok(cli("show", "data", "scores", "--json")))
    assert shown["creation_context"]["created_by"] == "alice"


def test_workspace_info_says_where_everything_lives(cli, workspace_root):
    root = str(workspace_root.resolve())
    assert root in ok(cli("workspace", "info"))
    info = json.loads(ok(cli("workspace", "info", "--json")))
    assert info["root"] == root
    assert info["database"] == str(workspace_root.resolve() / "workspace.db")
    assert info["mlflow tracking uri"].startswith("sqlite:///") and root in info["mlflow tracking uri"]
    assert "secrets.json" in info["secrets"]  # conftest sets AMLPILOT_SECRETS_BACKEND=file


def test_config_masks_secrets_and_reads_the_config_file(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("AMLPILOT_OPENAI_API_KEY", "sk-very-secret-123")
    config = tmp_path / "amlpilot.toml"
    config.write_text('model = "openai:gpt-4o"\n')
    table = ok(cli("--config", str(config), "config"))
    assert "AMLPILOT_OPENAI_API_KEY" in table and "sk-very-secret-123" not in table
    rows = {r["variable"]: r for r in json.loads(ok(cli("--config", str(config), "config", "--json")))}
    assert rows["AMLPILOT_OPENAI_API_KEY"]["value"] == "********"
    assert rows["AMLPILOT_MODEL"]["value"] == "openai:gpt-4o"
    assert "--config: " in error_line(cli("--config", str(tmp_path / "absent.toml"), "config"))


def test_azure_backend_says_it_arrives_later(cli, monkeypatch):
    monkeypatch.setenv("AMLPILOT_BACKEND", "azure")
    line = error_line(cli("list", "data"))
    assert line.startswith("error: backend: 'azure'") and "arrives later" in line


def test_endpoints_are_listed_and_shown(cli, client):
    from azure.ai.ml.entities import BatchEndpoint, ManagedOnlineEndpoint

    from workspace.local.controlplane.lifecycle import stop_controlplane

    try:
        client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="credit-ep", auth_mode="aml_token")).result()
        client.batch_endpoints.begin_create_or_update(BatchEndpoint(name="nightly")).result()
        listed = json.loads(cli("list", "online-endpoints", "--json").stdout)
        assert [(e["name"], e["auth_mode"]) for e in listed] == [("credit-ep", "aml_token")]
        shown = cli("show", "endpoint", "credit-ep")
        assert "scoring_uri: http://127.0.0.1:" in shown.stdout and "credit-ep/score" in shown.stdout
        assert "nightly" in cli("list", "batch-endpoints").stdout
        missing = cli("show", "endpoint", "nope")
        assert missing.exit_code == 2 and "'nope' was not found" in missing.output
    finally:
        stop_controlplane(client.root)
