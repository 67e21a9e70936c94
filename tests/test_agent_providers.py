"""Providers by name, and the offline model running the same loop with approval."""

from __future__ import annotations

import subprocess
import sys

import pytest
from test_agent_toolkit import ROOT_DIR, ComputeTools, collect, offline_session, run

from agent.approval import AutoApprover, ScriptedApprover
from agent.events import AssistantText, ToolResult
from agent.providers import get_provider, parse_model, valid_forms
from agent.providers.offline import help_text, parse_tool_line, plan_reply
from workspace.errors import UserInputError


@pytest.mark.parametrize(
    ("line", "name", "arguments"),
    [
        ("/compute-create name=cpu-cluster max_instances=4", "compute-create", {"name": "cpu-cluster", "max_instances": 4}),
        ("/compute-list", "compute-list", {}),
        (
            '/x flag=true ratio=0.5 tags=\'{"a": 1}\' text="two words"', "x",
            {"flag": True, "ratio": 0.5, "tags": {"a": 1}, "text": "two words"},
        ),
        ("/x version=007 path=./data", "x", {"version": "007", "path": "./data"}),
        ("/x empty=", "x", {"empty": ""}),
    ],
)
def test_tool_lines_are_split_and_values_decoded(line, name, arguments):
    assert parse_tool_line(line) == (name, arguments)


@pytest.mark.parametrize(("line", "reason"), [("/", "no tool"), ("/x novalue", "key=value"), ('/x a="open', "split")])
def test_bad_tool_lines_say_why(line, reason):
    with pytest.raises(ValueError, match=reason):
        parse_tool_line(line)


def test_plain_words_get_help_listing_the_tools():
    tools = {"compute-create": "Create a compute cluster.", "compute-list": "List them."}
    reply = plan_reply([{"role": "user", "text": "make me a cluster"}], tools)
    assert reply.tool is None and "- compute-create: Create a compute cluster." in reply.text and "/compute-create" in reply.text
    assert "no tools" in help_text({})


def test_unknown_tool_and_results_summary():
    tools = {"compute-list": ""}
    assert "no tool 'nope'" in plan_reply([{"role": "user", "text": "/nope"}], tools).text
    reply = plan_reply([{"role": "user", "text": "/compute-list"}, {"role": "tool", "name": "compute-list", "text": "[]"}], tools)
    assert reply.text == "Results:\n- compute-list: []"


def test_offline_runs_a_tool_line_through_the_loop_with_approval(client):
    approver = ScriptedApprover(["y"])
    events = run(collect(offline_session(client, approver), "/compute-create name=c1 max_instances=2"))
    assert [c.max_instances for c in client.compute.list()] == [2]
    assert approver.requests[0].plan.target == "compute/c1"
    result = [e for e in events if isinstance(e, ToolResult)][0]
    assert result.status == "ok"
    final = [e for e in events if isinstance(e, AssistantText) and e.final][0].text
    assert final.startswith("Results:\n- compute-create:") and '"status": "created"' in final


def test_offline_without_yes_declines_writes(client):
    events = run(collect(offline_session(client, AutoApprover()), "/compute-create name=c1"))
    assert [e.status for e in events if isinstance(e, ToolResult)] == ["declined"]
    assert list(client.compute.list()) == []


def test_offline_in_read_only_mode_does_not_know_write_tools(client):
    events = run(collect(offline_session(client, settings={"read_only": True}), "/compute-create name=c1"))
    final = [e for e in events if isinstance(e, AssistantText) and e.final][0].text
    assert "no tool 'compute-create'" in final and "compute-list" in final
    assert not [e for e in events if isinstance(e, ToolResult)]


def test_offline_non_streaming_path(client):
    session = offline_session(client, ScriptedApprover(["y"]), stream=False)
    events = run(collect(session, "/compute-create name=c1"))
    assert [e.status for e in events if isinstance(e, ToolResult)] == ["ok"]
    assert [c.name for c in client.compute.list()] == ["c1"]


@pytest.mark.parametrize("model", ["foo", "foo:bar", "gpt-4o", ""])
def test_unknown_provider_lists_the_valid_ones(model):
    with pytest.raises(UserInputError) as caught:
        get_provider(model)
    message = str(caught.value)
    assert "\n" not in message and "unknown provider" in message
    for form in ("offline", "openai:<model>", "azure-openai:<deployment>", "openai-compatible:<model>@<base_url>"):
        assert form in message
    assert valid_forms() in message


@pytest.mark.parametrize(
    ("model", "reason"),
    [("openai", "names no model"), ("offline:x", "takes no model"), ("openai-compatible:llama3", "<model>@<base_url>")],
)
def test_malformed_model_strings(model, reason, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    with pytest.raises(UserInputError, match=reason):
        get_provider(model)


@pytest.mark.parametrize(
    ("model", "variable"),
    [("openai:gpt-4o", "OPENAI_API_KEY"), ("azure-openai:gpt4o-deploy", "AZURE_OPENAI_ENDPOINT")],
)
def test_missing_credentials_name_the_variable(model, variable, monkeypatch):
    for name in ("OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(UserInputError) as caught:
        get_provider(model)
    assert variable in str(caught.value) and "\n" not in str(caught.value)


def test_each_provider_builds_its_service(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://example.openai.azure.com")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "azure-test-key")
    openai = get_provider("openai:gpt-4o")
    assert openai.ai_model_id == "gpt-4o"
    compatible = get_provider("openai-compatible:llama3:8b@http://127.0.0.1:11434/v1")
    assert compatible.ai_model_id == "llama3:8b" and str(compatible.client.base_url).startswith("http://127.0.0.1:11434/v1")
    azure = get_provider("azure-openai:my-deploy")
    assert azure.ai_model_id == "my-deploy"
    assert parse_model("offline")[0].name == "offline"


def test_azure_without_a_key_uses_entra_id(monkeypatch):
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://example.openai.azure.com")
    monkeypatch.delenv("AZURE_OPENAI_API_KEY", raising=False)
    service = get_provider("azure-openai:my-deploy")
    assert service.client._azure_ad_token_provider is not None


def test_agent_modules_import_no_heavy_library():
    modules = (
        "agent.events", "agent.redact", "agent.replies", "agent.audit", "agent.approval", "agent.undo", "agent.kernel",
        "agent.session", "agent.transcript", "agent.chat_commands", "agent.providers", "agent.providers.offline",
        "agent.providers.openai", "prompts",
    )
    code = f"import sys; [__import__(m) for m in {modules!r}]; " \
           "print([m for m in ('semantic_kernel', 'openai', 'azure.ai.ml', 'mlflow') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT_DIR, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_offline_service_is_a_semantic_kernel_chat_service():
    from semantic_kernel.connectors.ai.chat_completion_client_base import ChatCompletionClientBase

    service = get_provider("offline")
    assert isinstance(service, ChatCompletionClientBase) and service.SUPPORTS_FUNCTION_CALLING
    assert ComputeTools.plugin_name == "compute"
