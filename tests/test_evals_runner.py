"""The runner end to end: `/tool-name` cases through the process pool on a small fixture, the reports, `amlpilot eval`."""

from __future__ import annotations

import json
import sqlite3
import textwrap

import pytest
import typer
from typer.testing import CliRunner

SCHEMA = "https://azuremlschemas.azureedge.net/latest"

CASES = """\
- id: e2e-scale
  category: simple
  fixture: fx
  identity: {user: alice@contoso.com, roles: [Contributor]}
  turns: ["/compute-update name=cpu-cluster max_instances=6"]
  expect:
    calls: [{tool: compute-update, args: {name: cpu-cluster, max_instances: 6}}]
    state: [{get: "compute.get('cpu-cluster').max_instances", equals: 6}]
    unchanged: [data, role_assignments]
- id: e2e-delete
  category: destructive
  fixture: fx
  turns: ["/compute-delete name=gpu-cluster"]
  expect:
    calls: [{tool: compute-delete, args: {name: gpu-cluster}}]
    state: [{get: "compute.get('gpu-cluster')", absent: true}, {get: "compute.list()", count: 1}]
- id: e2e-deny
  category: destructive
  fixture: fx
  approvals: deny_all
  turns: ["/compute-delete name=gpu-cluster"]
  expect:
    calls: [{tool: compute-delete}]
    unchanged: [compute]
- id: e2e-reader
  category: rbac
  fixture: fx
  identity: {user: bob@contoso.com, roles: [Reader]}
  turns: ["/compute-update name=cpu-cluster max_instances=6"]
  expect:
    state: [{get: "compute.get('cpu-cluster').max_instances", equals: 6}]
- id: e2e-relative
  category: multi_step
  fixture: fx
  turns: ["/data-create name=more path=more.csv", "/data-list"]
  expect:
    calls: [{tool: data-create, args: {name: more, path: [more.csv]}}, {tool: data-list}]
    state: [{get: "data.get('more', version='1').type", equals: uri_file}, {get: "data.list()", count: 2}]
"""


@pytest.fixture
def suite(tmp_path):
    """A small fixture (two clusters, one data asset, a Reader) and the cases above, side by side."""
    fx = tmp_path / "fx"
    fx.mkdir()
    files = {
        "fixture.yaml": "workspace: e2e-ws\napply: [cpu.yml, gpu.yml, data.yml]\nroles:\n  - {principal: bob@contoso.com, role: Reader}\n",
        "cpu.yml": f"$schema: {SCHEMA}/amlCompute.schema.json\nname: cpu-cluster\ntype: amlcompute\nmax_instances: 4\n",
        "gpu.yml": f"$schema: {SCHEMA}/amlCompute.schema.json\nname: gpu-cluster\ntype: amlcompute\nmax_instances: 2\n",
        "data.yml": f"$schema: {SCHEMA}/data.schema.json\nname: small\nversion: '1'\ntype: uri_file\npath: ./small.csv\n",
        "small.csv": "a,b\n1,2\n", "more.csv": "a,b\n3,4\n",
    }
    for name, text in files.items():
        (fx / name).write_text(text)
    (tmp_path / "cases.yaml").write_text(textwrap.dedent(CASES))
    return tmp_path


def test_cases_run_in_a_process_pool_and_are_scored(suite):
    from evals.cases import load_cases
    from evals.report import build_report, write_html, write_json
    from evals.runner import run_cases

    before = sorted(p.name for p in (suite / "fx").iterdir())
    results = run_cases(load_cases([suite / "cases.yaml"]), workers=2)
    by_id = {r["id"]: r for r in results}
    assert [r["id"] for r in results] == ["e2e-scale", "e2e-delete", "e2e-deny", "e2e-reader", "e2e-relative"]
    assert all(by_id[i]["passed"] for i in ("e2e-scale", "e2e-delete", "e2e-deny", "e2e-relative")), results
    assert by_id["e2e-reader"]["scores"] == {"confirmation": True, "state": False}
    answers = [e for e in by_id["e2e-delete"]["transcript"] if e["type"] == "Answer"]
    assert answers == [{"turn": 0, "type": "Answer", "tool": "compute-delete", "decision": "approve", "typed_name": "gpu-cluster"}]
    assert [e["decision"] for e in by_id["e2e-deny"]["transcript"] if e["type"] == "Answer"] == ["decline"]
    assert sorted(p.name for p in (suite / "fx").iterdir()) == before  # cases ran on copies

    report = build_report(results, model="offline", seconds=1)
    assert report["summary"]["per_category"]["destructive"] == {"cases": 2, "passed": 2, "pass_rate": 1.0}
    write_json(report, suite / "r.json")
    write_html(report, suite / "r.html")
    assert json.loads((suite / "r.json").read_text())["summary"]["passed"] == 4
    assert "e2e-reader" in (suite / "r.html").read_text()


def eval_app() -> typer.Typer:
    from evals.commands import register

    app = typer.Typer()
    register(app)

    @app.callback()
    def main() -> None:
        """amlpilot (test app)."""

    return app


def test_eval_command_exit_codes_and_reports(suite):
    runner = CliRunner()
    base = ["eval", "--cases", str(suite / "cases.yaml"), "--workers", "0"]
    result = runner.invoke(eval_app(), [*base, "-k", "e2e-s*", "--min-pass", "1", "--json", str(suite / "k.json")])
    assert result.exit_code == 0, result.output
    assert json.loads((suite / "k.json").read_text())["summary"]["cases"] == 1
    result = runner.invoke(eval_app(), [*base, "-k", "rbac", "--min-pass", "0.5", "--html", str(suite / "k.html")])
    assert result.exit_code == 1 and "below --min-pass" in result.output
    assert (suite / "k.html").is_file()


@pytest.mark.parametrize("args, fragment", [
    (["-k", "nothing-matches"], "-k: 'nothing-matches' matches no case"),
    (["--model", "gpt4"], "unknown provider"),
    (["--json", "/no/such/folder/r.json"], "--json: the folder of '/no/such/folder/r.json' does not exist"),
])
def test_eval_command_bad_input_is_one_line_and_exit_2(suite, args, fragment):
    result = CliRunner().invoke(eval_app(), ["eval", "--cases", str(suite / "cases.yaml"), *args])
    assert result.exit_code == 2 and fragment in result.output and "Traceback" not in result.output


def test_fixture_roles_are_exact_and_mlflow_paths_follow_the_copy(suite, tmp_path):
    from evals.fixtures import FixtureError, Template, build_template, instantiate, load_fixture, open_workspace, rewrite_paths

    template = build_template(load_fixture(suite / "fx"), tmp_path / "tpl")
    copy = instantiate(template, tmp_path / "case")
    client = open_workspace(copy.workspace, "bob@contoso.com", ("AzureML Compute Operator",))
    try:
        assert client.role_assignments.roles_of("bob@contoso.com") == ["AzureML Compute Operator"]
        assert [c.name for c in client.compute.list()] == ["cpu-cluster", "gpu-cluster"]
        assert client.workspace_name == "e2e-ws" and (copy.files / "more.csv").is_file()
    finally:
        client.close()
    with pytest.raises(FixtureError, match="can't drop Owner"):
        open_workspace(copy.workspace, "owner@contoso.com", ())
    db = tmp_path / "m.db"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE model_versions (source VARCHAR(500), version INTEGER)")
        con.execute("INSERT INTO model_versions VALUES ('/old/root/ws/blob/model', 1)")
    rewrite_paths(db, "/old/root/ws", "/new/ws")
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT source FROM model_versions").fetchone() == ("/new/ws/blob/model",)
    assert isinstance(template, Template)


def test_fixture_mistakes_are_one_line(tmp_path):
    from evals.fixtures import FixtureError, load_fixture

    (tmp_path / "fixture.yaml").write_text("apply: [a.yml]\nrole: []\n")
    with pytest.raises(FixtureError, match="fixture.yaml: role: is not a known field"):
        load_fixture(tmp_path)
    (tmp_path / "fixture.yaml").write_text("build: {data: make_everything}\n")
    with pytest.raises(FixtureError, match="build.data: 'make_everything' is not a builder; use diabetes_data"):
        load_fixture(tmp_path)
    (tmp_path / "fixture.yaml").write_text("roles: [{principal: x, role: Admin}]\n")
    with pytest.raises(FixtureError, match=r"roles\[0\]"):
        load_fixture(tmp_path)


def test_a_fixture_that_fails_to_build_fails_its_cases_with_the_reason(suite):
    from evals.cases import load_cases
    from evals.runner import run_cases

    (suite / "fx" / "gpu.yml").write_text(f"$schema: {SCHEMA}/amlCompute.schema.json\nname: gpu-cluster\ntype: amlcompute\nmax_instances: lots\n")
    results = run_cases(load_cases([suite / "cases.yaml"])[:2], workers=0)
    assert [r["passed"] for r in results] == [False, False]
    assert all("fixture fx" in r["error"] and "gpu.yml" in r["error"] for r in results), results


@pytest.mark.parametrize("asked_for, confirmed", [("compute-update", True), ("compute-delete", False)])
def test_recorder_pairs_each_answer_with_the_call_it_was_asked_for(asked_for, confirmed):
    from agent.approval import Decision
    from agent.events import ApprovalRequested, AssistantText, ToolProposed, ToolResult
    from evals.runner import Recorder
    from evals.scorers import score_confirmation

    recorder = Recorder()
    for event in (ToolProposed("compute-update", {"name": "c"}, "write", None), ApprovalRequested(asked_for, {}, "write", None),
                  ToolResult("compute-update", "ok", {}), AssistantText("done", final=True)):
        recorder.observe(event, 0)
    run = recorder.finish(1, [Decision.approve()])
    assert run.answers == ["done"] and run.calls[0].status == "ok"
    assert score_confirmation(None, run).passed is confirmed
    assert [e["type"] for e in recorder.transcript] == ["ToolProposed", "ApprovalRequested", "Answer", "ToolResult", "AssistantText"]
