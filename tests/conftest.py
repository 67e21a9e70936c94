"""Shared fixtures: real workspaces in temporary folders, real data from ../shared/data."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"

# Tests never talk to the outside world: no MLflow telemetry, no user config file.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory, monkeypatch):
    """Each test sees no AMLPILOT_* variables from the developer's shell and no user config file."""
    for name in list(os.environ):
        if name.startswith("AMLPILOT_"):
            monkeypatch.delenv(name)
    config_dir = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("AMLPILOT_CONFIG", str(config_dir / "config.toml"))
    monkeypatch.setenv("AMLPILOT_SECRETS_BACKEND", "file")


@pytest.fixture
def workspace_root(tmp_path):
    root = tmp_path / "ws"
    yield root
    stop_what_serves(root)


def stop_what_serves(root: Path) -> None:
    """A safety net under each test's own clean-up: the workspace's control plane and gateway, by their recorded pids."""
    if (root / "controlplane").exists():
        from workspace.local.controlplane.lifecycle import stop_controlplane

        stop_controlplane(root)
    if (root / "serving").exists():
        from workspace.local.serving.supervise import stop_gateway

        stop_gateway(root)


@pytest.fixture
def client(workspace_root):
    from workspace.local import LocalMLClient

    ml_client = LocalMLClient(workspace_root, user="tester", secrets_backend="file")
    yield ml_client
    ml_client.close()


@pytest.fixture
def diabetes_dir(tmp_path) -> Path:
    """A private copy of ../shared/data/diabetes (the shared folder is read-only in CI)."""
    source = SHARED_DATA / "diabetes"
    if not source.is_dir():
        pytest.fail(f"shared data missing: {source}")
    target = tmp_path / "diabetes"
    shutil.copytree(source, target)
    return target


@pytest.fixture
def cli(workspace_root):
    """Run amlpilot against the test's workspace through typer's runner; returns click's Result."""
    from typer.testing import CliRunner

    from agent.cli import app

    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, ["--workspace", str(workspace_root), *args])

    return run
