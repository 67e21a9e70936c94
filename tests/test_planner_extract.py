"""Values in requests: the span recogniser and the schema-driven extraction built on it."""

from __future__ import annotations

import pytest
from test_planner_support import catalog_specs, plan, workspace  # noqa: F401  (a fixture)

from agent.planner.knowledge import knowledge_for
from agent.planner.lexicon import Speller, stem, tokenize


@pytest.fixture(scope="module")
def knowledge():
    return knowledge_for(catalog_specs())


def spans(knowledge, text: str) -> list[tuple]:
    reading = knowledge.read(text)
    return [(s.kind, s.value, s.unit, s.cue) for s in reading.spans if s.kind != "name"]


@pytest.mark.parametrize(("text", "expected"), [
    ("with up to 4 nodes", [("count", 4, "instance", "max")]),
    ("0 to 4 nodes", [("range", (0, 4), "instance", None)]),
    ("between 1 and 3 machines", [("range", (1, 3), "instance", None)]),
    ("2-8 nodes", [("range", (2, 8), "instance", None)]),
    ("keep one node warm", [("count", 1, "instance", "min")]),
    ("at least 2 instances", [("count", 2, "instance", "min")]),
    ("idle 10 minutes", [("duration", 600, None, None)]),
    ("for 2h", [("duration", 7200, None, None)]),
    ("after 90 seconds", [("duration", 90, None, None)]),
    ("send 10% of traffic", [("percent", 10.0, None, None)]),
    ("15 percent", [("percent", 15.0, None, None)]),
    ("5-fold cross validation", [("count", 5, "fold", None)]),
    ("show 20 rows", [("count", 20, "row", None)]),
    ("version 2 of it", [("version", "2", None, None)]),
    ("describe it v3", [("version", "3", None, None)]),
    ("diabetes:2", [("ref", ("diabetes", "2"), None, None)]),
    ("azureml:diabetes@latest", [("ref", ("diabetes", "latest"), None, None)]),
    ("from ../shared/data/diabetes", [("path", "../shared/data/diabetes", None, None)]),
    ("from ./data", [("path", "./data", None, None)]),
    ("from train.yml", [("path", "train.yml", None, None)]),
    ("at azureml://datastores/blobs/paths/raw/", [("uri", "azureml://datastores/blobs/paths/raw/", None, None)]),
    ("for alice@contoso.com", [("email", "alice@contoso.com", None, None)]),
    ("tag it team=fraud", [("kv", ("team", "fraud"), None, None)]),
])
def test_values_are_recognised_with_their_units(knowledge, text, expected):
    assert spans(knowledge, text) == expected


@pytest.mark.parametrize(("text", "value"), [
    ("DS3 v2", "STANDARD_DS3_v2"), ("Standard_DS3_v2", "STANDARD_DS3_v2"), ("standard_ds3_v2", "STANDARD_DS3_v2"),
    ("ds3", "STANDARD_DS3_v2"), ("NC6s v3", "STANDARD_NC6s_v3"), ("nc6", "STANDARD_NC6s_v3"), ("D4s v3", "STANDARD_D4s_v3"),
    ("low priority", "low_priority"), ("low-priority", "low_priority"), ("low priorty", "low_priority"),
    ("spot", "low_priority"), ("dedicatd", "dedicated"), ("data scientist", "AzureML Data Scientist"),
    ("mltable", "mltable"), ("uri_file", "uri_file"), ("mlflow model", "mlflow_model"),
])
def test_enum_values_match_loosely(knowledge, text, value):
    values = [v for kind, found, *_ in spans(knowledge, text) if kind == "enum" for v in found]
    assert values == [value]


@pytest.mark.parametrize("text", ["register the file", "a folder", "my data", "24 nodes"])
def test_common_words_are_not_enum_values(knowledge, text):
    assert [s for s in spans(knowledge, text) if s[0] == "enum"] == []


def test_tokens_keep_paths_quotes_and_possessives():
    tokens = tokenize('register "my data" from ./data/x.csv, then remove alice\'s role.')
    assert [t.text for t in tokens] == ["register", "my data", "from", "./data/x.csv", "then", "remove", "alice", "role"]
    assert tokens[1].quoted and not tokens[3].quoted


def test_spelling_fixes_typos_but_not_names():
    speller = Speller({"cluster": 5, "create": 5, "list": 5, "save": 3, "data": 5}, frozenset({"sales"}))
    assert [speller.correct(w) for w in ("clsuter", "crete", "lsit", "sales", "dave")] == [
        "cluster", "create", "list", "sales", "dave"]
    assert stem("clusters") == stem("cluster") and stem("archived") == stem("archive")


@pytest.mark.parametrize(("text", "call"), [
    ("scale cpu-cluster to zero", ("compute-update", {"name": "cpu-cluster", "min_instances": 0})),
    ("raise max nodes on gpu-cluster to 5", ("compute-update", {"name": "gpu-cluster", "max_instances": 5})),
    ("create a cluster called q1 that scales down after 5 minutes idle", ("compute-create", {"name": "q1", "idle_time_before_scale_down": 300})),
    ("show diabetes-training@latest", ("data-get", {"name": "diabetes-training", "version": "latest"})),
    ("preview 7 rows of sales:1", ("data-preview_rows", {"name": "sales", "version": "1", "rows": 7})),
    ('register ./d as "quarterly sales"', ("data-create", {"name": "quarterly sales", "path": "./d"})),
    ("register ./d as q-sales tagged team=fraud", ("data-create", {"name": "q-sales", "path": "./d", "tags": {"team": "fraud"}})),
    ("make erin a compute operator", ("access-grant", {"principal": "erin", "role": "AzureML Compute Operator"})),
    ("give frank@contoso.com the contributor role", ("access-grant", {"principal": "frank@contoso.com", "role": "Contributor"})),
    ("list environments including archived ones", ("environments-list", {"include_archived": True})),
])
def test_arguments_follow_each_parameters_schema(workspace, text, call):
    assert plan(text, workspace).calls == (call,)


def test_a_value_outside_the_schema_is_not_forced_in(workspace):
    # 2000 nodes is above max_instances' bound (1000): the planner leaves it out rather than guess another use.
    reply = plan("scale cpu-cluster to 2000 nodes", workspace)
    assert reply.calls == () or "max_instances" not in reply.calls[0][1]
