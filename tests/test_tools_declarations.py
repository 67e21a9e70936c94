"""Every tool's declaration, table-driven: effect, permission, docs for the model, previews, roles.

The effect table is written out by hand on purpose (as kubectl-ai classifies
its commands): a new tool fails here until someone decides whether it changes
anything.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from agent.rbac import ROLE_DEFINITIONS, allowed
from tools.base import EFFECTS
from tools.catalog import PLUGIN_CLASSES, UnknownToolError, all_specs, build_plugins, find

ROOT = Path(__file__).resolve().parent.parent
SPECS = all_specs()

EXPECTED_EFFECT = {
    "workspace-summary": "read",
    "compute-list": "read", "compute-get": "read", "compute-create": "write", "compute-update": "write",
    "compute-delete": "destructive", "compute-start": "write", "compute-stop": "write",
    "datastores-list": "read", "datastores-get": "read", "datastores-create_blob": "write", "datastores-delete": "destructive",
    "data-list": "read", "data-get": "read", "data-create": "write", "data-archive": "write", "data-restore": "write",
    "data-preview_rows": "read",
    "environments-list": "read", "environments-get": "read", "environments-create": "write",
    "environments-archive": "write", "environments-restore": "write",
    "components-list": "read", "components-get": "read", "components-create": "write",
    "components-archive": "write", "components-restore": "write",
    "models-list": "read", "models-get": "read", "models-create": "write", "models-archive": "write",
    "models-restore": "write", "models-download": "write",
    "jobs-list": "read", "jobs-get": "read", "jobs-logs": "read", "jobs-create_command": "write", "jobs-cancel": "write",
    "jobs-download": "write",
    "automl-create": "write", "automl-leaderboard": "read", "automl-best_model": "read",
    "rai-create_dashboard": "write", "rai-list": "read", "rai-show": "read",
    "schedules-list": "read", "schedules-get": "read", "schedules-create": "write", "schedules-enable": "write",
    "schedules-disable": "write", "schedules-trigger": "write", "schedules-delete": "destructive",
    "online_endpoints-list": "read", "online_endpoints-get": "read", "online_endpoints-create": "write",
    "online_endpoints-update_traffic": "write", "online_endpoints-invoke": "read", "online_endpoints-get_keys": "read",
    "online_endpoints-regenerate_keys": "write", "online_endpoints-metrics": "read", "online_endpoints-delete": "destructive",
    "online_deployments-list": "read", "online_deployments-get": "read", "online_deployments-create": "write",
    "online_deployments-update": "write", "online_deployments-get_logs": "read", "online_deployments-delete": "destructive",
    "batch_endpoints-list": "read", "batch_endpoints-get": "read", "batch_endpoints-create": "write",
    "batch_endpoints-invoke": "write", "batch_endpoints-list_jobs": "read", "batch_endpoints-delete": "destructive",
    "batch_deployments-list": "read", "batch_deployments-get": "read", "batch_deployments-create": "write",
    "batch_deployments-delete": "destructive",
    "access-list": "read", "access-grant": "write", "access-revoke": "destructive", "access-check": "read",
}
# Writes a file on this machine but changes nothing in the workspace: a write to approve, a read to RBAC.
LOCAL_WRITES = {"models-download", "jobs-download"}
# Change nothing, but Azure guards them with an action a Reader lacks: scoring, listing keys, reading deployment logs.
GUARDED_READS = {"online_endpoints-invoke", "online_endpoints-get_keys", "online_deployments-get_logs"}


def test_every_tool_is_classified():
    assert set(SPECS) == set(EXPECTED_EFFECT)


@pytest.mark.parametrize("full_name", sorted(EXPECTED_EFFECT))
def test_effect_matches_the_table(full_name):
    assert SPECS[full_name].effect == EXPECTED_EFFECT[full_name]
    assert SPECS[full_name].effect in EFFECTS


@pytest.mark.parametrize("full_name", sorted(EXPECTED_EFFECT))
def test_declaration_is_complete(full_name):
    spec = SPECS[full_name]
    assert spec.permission and spec.permission.startswith(("Microsoft.MachineLearningServices/workspaces", "Microsoft.Authorization/"))
    assert spec.permission.endswith(("/read", "/write", "/delete", "/action"))
    first_paragraph = spec.description.split("\n\n")[0]
    assert 20 <= len(first_paragraph) <= 400, "the model sees the first paragraph: say what it does and when"
    assert 5 <= len(spec.examples) <= 8 and len(set(spec.examples)) == len(spec.examples)
    assert full_name == f"{spec.plugin}-{spec.function}"


@pytest.mark.parametrize("full_name", sorted(EXPECTED_EFFECT))
def test_every_parameter_is_annotated_and_described(full_name):
    spec = SPECS[full_name]
    cls = next(c for c in PLUGIN_CLASSES if c.plugin_name == spec.plugin)
    hints = typing.get_type_hints(inspect.unwrap(getattr(cls, spec.function)), include_extras=True)
    for param in spec.parameters:
        assert typing.get_origin(hints[param.name]) is typing.Annotated, param.name
        assert len(param.description) >= 10, f"{full_name}.{param.name} needs a description for the model"
        assert param.schema.get("description") == param.description


@pytest.mark.parametrize("full_name", sorted(EXPECTED_EFFECT))
def test_writes_have_a_preview_with_the_same_parameters(full_name):
    spec = SPECS[full_name]
    cls = next(c for c in PLUGIN_CLASSES if c.plugin_name == spec.plugin)
    previewer = getattr(cls, f"preview_{spec.function}", None)
    if spec.effect == "read":
        assert previewer is None and not spec.has_preview
        return
    assert previewer is not None and spec.has_preview
    tool_params = list(inspect.signature(inspect.unwrap(getattr(cls, spec.function))).parameters)
    assert list(inspect.signature(previewer).parameters) == tool_params
    if spec.effect == "destructive":
        assert spec.resource_arg in tool_params


@pytest.mark.parametrize("full_name", sorted(EXPECTED_EFFECT))
def test_closed_sets_are_enums_and_constraints_reach_the_schema(full_name):
    for param in SPECS[full_name].parameters:
        if param.name in ("size", "tier", "role") or (param.name == "type"):
            assert param.schema.get("enum"), f"{full_name}.{param.name} should be a closed set"
        if param.name in ("min_instances", "max_instances", "rows"):
            assert "minimum" in param.schema and "maximum" in param.schema


def test_the_closed_sets_hold_what_users_ask_for():
    create = {p.name: p.schema for p in SPECS["compute-create"].parameters}
    assert {"STANDARD_DS3_v2", "STANDARD_D4s_v3", "STANDARD_E4s_v3", "STANDARD_F4s_v2", "STANDARD_NC6s_v3",
            "STANDARD_NC24ads_A100_v4"} <= set(create["size"]["enum"])
    assert create["tier"]["enum"] == ["dedicated", "low_priority"]
    assert {p.name: p.schema for p in SPECS["data-create"].parameters}["type"]["enum"] == ["uri_file", "uri_folder", "mltable"]
    assert {p.name: p.schema for p in SPECS["models-create"].parameters}["type"]["enum"] == ["mlflow_model", "custom_model"]
    assert {p.name: p.schema for p in SPECS["access-grant"].parameters}["role"]["enum"] == list(ROLE_DEFINITIONS)


def _expected_allowed(role: str, full_name: str) -> bool:
    """The roles' semantics, written in terms of tools rather than permissions."""
    plugin, effect = full_name.split("-", 1)[0], EXPECTED_EFFECT[full_name]
    return {
        "Owner": True,
        "Contributor": plugin != "access" or effect == "read",
        "Reader": (effect == "read" and full_name not in GUARDED_READS) or full_name in LOCAL_WRITES,
        "AzureML Data Scientist": plugin != "access" and full_name not in ("compute-create", "compute-update", "compute-delete"),
        "AzureML Compute Operator": plugin == "compute" or full_name == "workspace-summary",
    }[role]


@pytest.mark.parametrize("role", list(ROLE_DEFINITIONS))
def test_role_tool_matrix(role):
    allowed_tools = {name for name, spec in SPECS.items() if allowed([role], spec.permission)}
    expected = {name for name in SPECS if _expected_allowed(role, name)}
    assert allowed_tools == expected


def test_reader_is_allowed_exactly_the_unguarded_read_tools_and_the_local_download():
    reads = {name for name, spec in SPECS.items() if spec.effect == "read"}
    assert {name for name, spec in SPECS.items() if allowed(["Reader"], spec.permission)} == (reads - GUARDED_READS) | LOCAL_WRITES


def test_only_the_datastore_secret_arguments_are_secret():
    secrets = {name: spec.secret_args for name, spec in SPECS.items() if spec.secret_args}
    assert secrets == {"datastores-create_blob": ("account_key", "sas_token")}


def test_find_returns_the_plugin_and_explains_unknown_names():
    plugins = build_plugins(client=None)
    plugin, function, spec = find(plugins, "compute-create")
    assert (plugin.plugin_name, function, spec.effect) == ("compute", "create", "write")
    with pytest.raises(UnknownToolError, match="compute has list, get, create"):
        find(plugins, "compute-resize")
    with pytest.raises(LookupError, match="plugins: workspace, compute"):
        find(plugins, "endpoints-create")


def test_importing_tools_stays_cheap():
    code = ("import sys, tools.catalog, tools.docs; heavy = [m for m in sys.modules if m.split('.')[0] in "
            "('semantic_kernel', 'mlflow') or m.startswith('azure.ai.ml')]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_docs_are_up_to_date_and_the_check_catches_drift(tmp_path):
    check = [sys.executable, "-m", "tools.docs", "--check"]
    assert subprocess.run(check, cwd=ROOT, capture_output=True, text=True).returncode == 0
    copy = tmp_path / "tools.md"
    copy.write_text((ROOT / "docs" / "tools.md").read_text().replace("compute-create", "compute-make", 1))
    result = subprocess.run(check + ["--output", str(copy)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "out of date" in result.stderr
