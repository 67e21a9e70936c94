"""agent.config: precedence flag > env > config file > default, and clear errors."""

from __future__ import annotations

import pytest

from agent.config import ENV_PREFIX, Settings, default_workspace_root, describe_settings, load_settings
from workspace.errors import UserInputError


def test_defaults_are_local_offline_owner():
    settings = load_settings()
    assert settings.backend == "local" and settings.model == "offline"
    assert settings.roles is None and settings.read_only is False
    assert settings.workspace_root == default_workspace_root()
    assert settings.workspace_root.parts[-3:] == ("amlpilot", "workspaces", "default")


def test_flag_beats_env_beats_config_file(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text(f'workspace = "{tmp_path / "from-file"}"\nmodel = "openai:gpt-4o"\n')
    monkeypatch.setenv("AMLPILOT_CONFIG", str(config))
    assert load_settings().workspace_root == tmp_path / "from-file"
    assert load_settings().model == "openai:gpt-4o"
    monkeypatch.setenv("AMLPILOT_WORKSPACE", str(tmp_path / "from-env"))
    assert load_settings().workspace_root == tmp_path / "from-env"
    assert load_settings(workspace=tmp_path / "from-flag").workspace_root == tmp_path / "from-flag"


def test_roles_are_comma_separated_and_case_insensitive(monkeypatch):
    monkeypatch.setenv("AMLPILOT_ROLES", "reader, azureml data scientist")
    assert load_settings().roles == ["Reader", "AzureML Data Scientist"]


@pytest.mark.parametrize(
    ("variable", "value", "fragment"),
    [("AMLPILOT_ROLES", "Boss", "unknown role 'Boss'"), ("AMLPILOT_BACKEND", "gcp", "'gcp'")],
)
def test_bad_settings_name_the_variable(monkeypatch, variable, value, fragment):
    monkeypatch.setenv(variable, value)
    with pytest.raises(UserInputError) as info:
        load_settings()
    assert variable in str(info.value) and fragment in str(info.value)


def test_api_key_is_secret():
    settings = load_settings(openai_api_key="sk-test-123")
    assert "sk-test-123" not in repr(settings) and "sk-test-123" not in str(settings.model_dump())


def test_every_setting_is_declared_once_with_a_doc():
    rows = describe_settings()
    variables = [row["variable"] for row in rows]
    assert len(variables) == len(set(variables)) == len(Settings.model_fields)
    assert all(row["doc"] for row in rows)
    assert all(v.startswith(ENV_PREFIX) for v in variables)
