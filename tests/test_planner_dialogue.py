"""The conversation: several requests in one sentence, questions and their answers, "it"/"that",
references to the live workspace, and text that is not a request.

The planner is called directly with the history as plain dicts (what the
offline service hands it), against a real, populated workspace.
"""

from __future__ import annotations

import json
from typing import Annotated

import pytest
from test_planner_support import assistant, catalog_specs, plan, result, user, workspace  # noqa: F401  (a fixture)

from agent.planner import respond
from agent.planner.dialogue import split_clauses
from tools.base import ML, ToolPlugin, tool

# -- several requests in one sentence ---------------------------------------------


@pytest.mark.parametrize(("text", "calls"), [
    ("create a cluster called a and register ./data as d",
     [("compute-create", {"name": "a"}), ("data-create", {"name": "d", "path": "./data"})]),
    ("scale cpu-cluster to 3 nodes, then show it",
     [("compute-update", {"name": "cpu-cluster", "max_instances": 3}), ("compute-get", {"name": "cpu-cluster"})]),
    ("make bob a Reader and list the models",
     [("access-grant", {"principal": "bob", "role": "Reader"}), ("models-list", {})]),
    ("create a cluster called c7 and scale it to 6 nodes",
     [("compute-create", {"name": "c7"}), ("compute-update", {"name": "c7", "max_instances": 6})]),
    # the verb said once for two objects
    ("grant Reader to gina@contoso.com and Contributor to hank@contoso.com",
     [("access-grant", {"principal": "gina@contoso.com", "role": "Reader"}),
      ("access-grant", {"principal": "hank@contoso.com", "role": "Contributor"})]),
    ("register data/a.csv as a-data and data/b.csv as b-data",
     [("data-create", {"name": "a-data", "path": "data/a.csv"}), ("data-create", {"name": "b-data", "path": "data/b.csv"})]),
    # a later clause that names nothing means what the earlier one named
    ("register ./v2 as diabetes-training and archive version 1",
     [("data-create", {"name": "diabetes-training", "path": "./v2"}), ("data-archive", {"name": "diabetes-training", "version": "1"})]),
])
def test_several_requests_become_calls_in_order(workspace, text, calls):
    assert plan(text, workspace).calls == tuple((tool, args) for tool, args in calls)


def test_small_talk_in_a_sentence_is_skipped_and_what_wasnt_understood_is_said(workspace):
    assert plan("hi, list my clusters", workspace).calls == (("compute-list", {"type": "cluster"}),)
    first = plan("list my models and tell me a joke", workspace)
    assert first.calls == (("models-list", {}),)
    history = [user("list my models and tell me a joke"), assistant(calls=list(first.calls)),
               result("models-list", json.dumps([{"name": "diabetes-model", "version": "1"}]))]
    answer = respond(history, catalog_specs(), {s.full_name for s in catalog_specs()}, workspace, "tester")
    assert answer.calls == () and answer.text.startswith("1 model:")
    assert answer.text.endswith("I didn't understand “tell me a joke”, so I left it out.")


@pytest.mark.parametrize(("text", "clauses"), [
    ("create a cluster called a and register ./data as d", ["create a cluster called a", "register ./data as d"]),
    ("create cluster x1 with 0 to 4 nodes of DS3 v2, low priority", ["create cluster x1 with 0 to 4 nodes of DS3 v2, low priority"]),
    ("show me data and models", ["show me data and models"]),
    ("delete x; then undo that", ["delete x", "undo that"]),
    ('register ./a as "fish and chips" and list data', ['register ./a as "fish and chips"', "list data"]),
])
def test_clauses_split_only_where_a_new_request_starts(text, clauses):
    assert split_clauses(text) == clauses


def test_an_invalid_name_the_user_said_is_passed_on_for_the_tool_to_refuse(workspace):
    # "called a" is too short for a compute name; the tool's validation says so, the planner doesn't rename it.
    assert plan("create a cluster called a", workspace).calls == (("compute-create", {"name": "a"}),)


# -- questions and answers ----------------------------------------------------------


def asked(text, client, history=None):
    reply = plan(text, client, history)
    assert reply.calls == () and "?" in reply.text, reply
    return [*(history or []), user(text), assistant(reply.text)], reply.text


def test_a_missing_name_is_asked_with_the_workspace_options_then_filled(workspace):
    history, question = asked("scale my cluster to 8 nodes", workspace)
    assert question == "Which compute should I scale: ci-alice, cpu-cluster or gpu-cluster?"
    reply = plan("gpu-cluster", workspace, history)
    assert reply.calls == (("compute-update", {"name": "gpu-cluster", "max_instances": 8}),)


def test_two_missing_values_are_one_question_and_one_answer(workspace):
    history, question = asked("register some data", workspace)
    assert "name" in question and "path" in question and question.count("?") == 1
    reply = plan("./data/raw.csv as raw-sales", workspace, history)
    assert reply.calls == (("data-create", {"name": "raw-sales", "path": "./data/raw.csv"}),)


def test_call_it_x_answers_the_name_question(workspace):
    history, question = asked("I need a new cluster for batch scoring", workspace)
    assert question == "What should I call the new compute?"
    reply = plan("call it score-cpu, 2 nodes max", workspace, history)
    assert reply.calls == (("compute-create", {"name": "score-cpu", "max_instances": 2}),)


def test_the_answer_overrides_what_the_question_turn_guessed(workspace):
    history, _ = asked("give the new intern access to the workspace", workspace)
    reply = plan("the intern is ian@contoso.com, read-only is enough", workspace, history)
    assert reply.calls == (("access-grant", {"principal": "ian@contoso.com", "role": "Reader"}),)


def test_a_person_is_found_by_the_name_before_their_email(workspace):
    assert plan("revoke carol's contributor role", workspace).calls == (
        ("access-revoke", {"principal": "carol@contoso.com", "role": "Contributor"}),)
    assert plan("carol left. revoke her contributor access", workspace).calls == (
        ("access-revoke", {"principal": "carol@contoso.com", "role": "Contributor"}),)


def test_a_folder_named_in_words_is_found_on_disk(workspace, tmp_path, monkeypatch):
    (tmp_path / "incoming" / "scans").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert plan("upload the scans folder under incoming as a data asset named scan-images", workspace).calls == (
        ("data-create", {"name": "scan-images", "path": "incoming/scans"}),)


def test_a_question_chain_keeps_what_was_said(workspace):
    history, _ = asked("make someone a data scientist", workspace)
    reply = plan("dan", workspace, history)
    assert reply.calls == (("access-grant", {"principal": "dan", "role": "AzureML Data Scientist"}),)


@pytest.mark.parametrize("answer", ["never mind", "cancel", "no"])
def test_cancelling_a_question_does_nothing(workspace, answer):
    history, _ = asked("scale my cluster to 8 nodes", workspace)
    reply = plan(answer, workspace, history)
    assert reply.calls == () and "won't" in reply.text


def test_a_new_request_instead_of_an_answer_is_taken_as_one(workspace):
    history, _ = asked("scale my cluster to 8 nodes", workspace)
    assert plan("list my models", workspace, history).calls == (("models-list", {}),)


def test_an_answered_question_is_not_asked_again(workspace):
    history, _ = asked("scale my cluster to 8 nodes", workspace)
    history += [user("gpu-cluster"), assistant(calls=[("compute-update", {"name": "gpu-cluster", "max_instances": 8})]),
                result("compute-update", '{"status": "updated", "summary": "compute gpu-cluster: max_instances 2 -> 8"}'),
                assistant("Updated: compute gpu-cluster: max_instances 2 -> 8.")]
    assert plan("cpu-cluster", workspace, history).calls == (("compute-get", {"name": "cpu-cluster"}),)


# -- it / that, and references -------------------------------------------------------


def shown(tool, arguments, text="{}"):
    return [user("..."), assistant(calls=[(tool, arguments)]), result(tool, text), assistant("ok")]


def test_it_is_the_last_resource_mentioned(workspace):
    history = shown("compute-get", {"name": "cpu-cluster"})
    assert plan("scale it to 6 nodes", workspace, history).calls == (("compute-update", {"name": "cpu-cluster", "max_instances": 6}),)


def test_that_data_is_the_last_data_mentioned_even_after_other_things(workspace):
    history = shown("data-get", {"name": "sales"}) + shown("compute-get", {"name": "gpu-cluster"})
    assert plan("archive that data", workspace, history).calls == (("data-archive", {"name": "sales"}),)


def test_a_one_item_listing_is_what_it_means_next(workspace):
    listing = json.dumps([{"name": "diabetes-model", "version": "1"}])
    history = shown("models-list", {}, listing)
    assert plan("show it", workspace, history).calls == (("models-get", {"name": "diabetes-model"}),)


@pytest.mark.parametrize(("text", "call"), [
    ("describe my model", ("models-get", {"name": "diabetes-model"})),  # the only model
    ("preview the latest dataset", ("data-preview_rows", {"name": "sales"})),  # registered after diabetes-training
    ("show the newest environment", ("environments-get", {"name": "train-env"})),
])
def test_references_resolve_against_the_workspace(workspace, text, call):
    assert plan(text, workspace).calls == (call,)


def test_a_kind_with_several_resources_is_asked_about(workspace):
    reply = plan("describe my dataset", workspace)
    assert reply.calls == () and reply.text == "Which data asset should I describe: diabetes-training or sales?"


# -- not requests, and not sure ------------------------------------------------------


@pytest.mark.parametrize("text", ["hi", "hello there", "what's the weather", "tell me a joke", "book a flight to Oslo",
                                  "thanks", "what can you do?"])
def test_small_talk_and_out_of_scope_get_no_call(workspace, text):
    reply = plan(text, workspace)
    assert reply.calls == ()
    assert "Available tools" in reply.text or reply.text == "You're welcome."


def test_out_of_scope_says_so_and_lists_what_it_can_do(workspace):
    text = plan("what's the weather in Paris", workspace).text
    assert text.startswith("I can't help with that.") and "- compute: list, get, create" in text


def test_read_only_sessions_only_offer_reads(workspace):
    reads = {s.full_name for s in catalog_specs() if s.effect == "read"}
    reply = plan("create a cluster called x9 with up to 2 nodes", workspace, offered=reads)
    assert reply.calls == () or all(name in reads for name, _ in reply.calls)
    assert "create" not in plan("hi", workspace, offered=reads).text.split("- compute:")[1].split("\n")[0]


def test_a_tool_line_still_runs_as_written(workspace):
    from agent.providers.offline import plan_reply

    specs = catalog_specs()
    tools = {s.full_name: "" for s in specs}
    reply = plan_reply([user("/compute-update name=cpu-cluster max_instances=5")], tools, specs, workspace, "tester")
    assert reply.calls == (("compute-update", {"name": "cpu-cluster", "max_instances": 5}),)


# -- two tools equally likely: a question, then the user's choice -------------------------


def twin_tools():
    class Twins(ToolPlugin):
        plugin_name = "widgets"

        @tool(effect="write", permission=f"{ML}/widgets/write", examples=["frobnicate the widget", "frobnicate widget w1"])
        def polish(self, name: Annotated[str, "Name of the widget"] = "w1") -> dict:
            """Polish a widget."""
            return {}

        @tool(effect="write", permission=f"{ML}/widgets/write", examples=["frobnicate the widget", "frobnicate widget w1"])
        def paint(self, name: Annotated[str, "Name of the widget"] = "w1") -> dict:
            """Paint a widget."""
            return {}

    return list(Twins.tool_specs().values())


def twin_plan(text, history=()):
    from agent.planner import respond

    specs = twin_tools()
    return respond([*history, user(text)], specs, {s.full_name for s in specs}, None, "tester")


@pytest.mark.parametrize(("answer", "chosen"), [("the second", "widgets-polish"), ("polish it", "widgets-polish"),
                                                 ("first one", "widgets-paint"), ("paint", "widgets-paint")])
def test_two_equally_likely_tools_make_a_question_and_the_answer_picks_one(answer, chosen):
    first = twin_plan("frobnicate the widget")
    assert first.text == "Do you want me to paint widget or polish widget?" and first.calls == ()
    reply = twin_plan(answer, [user("frobnicate the widget"), assistant(first.text)])
    assert [name for name, _ in reply.calls] == [chosen]
