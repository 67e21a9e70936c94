"""The safe `get` evaluator: attribute access, read-only method calls and literal arguments, nothing else."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from evals.expressions import ExpressionError, evaluate, parse


class Group:
    def __init__(self):
        self.deleted = []

    def get(self, name, version=None, label=None):
        return SimpleNamespace(name=name, version=version or label, tags={"team": "ml"})

    def list(self, name=None, list_view_type=None):
        return iter([SimpleNamespace(name="a"), SimpleNamespace(name=name or "b")])  # a generator, as Azure's pagers are

    def begin_delete(self, name):
        self.deleted.append(name)


@pytest.fixture
def client():
    return SimpleNamespace(compute=Group(), role_assignments=SimpleNamespace(roles_of=lambda p: ["Reader"]))


@pytest.mark.parametrize("text, expected", [
    ("compute.get('cpu').name", "cpu"),
    ("compute.get('cpu', version='2').version", "2"),
    ("compute.get(name='cpu', label='latest').version", "latest"),
    ("compute.get('cpu').tags.get('team')", "ml"),
    ("role_assignments.roles_of('bob@contoso.com')", ["Reader"]),
])
def test_allowed_expressions(client, text, expected):
    assert evaluate(text, client) == expected


def test_list_results_become_lists(client):
    found = evaluate("compute.list(name='x', list_view_type='ArchivedOnly')", client)
    assert isinstance(found, list) and [e.name for e in found] == ["a", "x"]


@pytest.mark.parametrize("text, fragment", [
    ("compute.__class__", "private"),
    ("compute._store", "private"),
    ("compute.get('x').__dict__", "private"),
    ("compute.begin_delete('cpu')", "may change something"),
    ("compute.create_or_update('x')", "may change something"),
    ("len(compute.list())", "only methods can be called"),
    ("compute.get(name)", "arguments must be literals"),
    ("compute.get('a' + 'b')", "arguments must be literals"),
    ("compute.get(*['a'])", "arguments must be literals"),
    ("compute.get(**{'name': 'a'})", "** arguments are not allowed"),
    ("compute.list()[0]", "Subscript is not allowed"),
    ("compute.get('a').max_instances + 1", "BinOp is not allowed"),
    ("[c for c in compute.list()]", "ListComp is not allowed"),
    ("(lambda: 1)()", "only methods can be called"),
    ("__import__('os').system('true')", "may change something"),
    ("__import__('os').path", "only methods can be called"),
    ("compute.get('a') if 1 else 2", "IfExp is not allowed"),
    ("import os", "is not an expression"),
    ("", "an expression is required"),
])
def test_refused_expressions(client, text, fragment):
    with pytest.raises(ExpressionError, match=re.escape(fragment)):
        parse(text)
    assert client.compute.deleted == []


def test_evaluate_never_runs_a_refused_call(client):
    with pytest.raises(ExpressionError):
        evaluate("compute.begin_delete('cpu')", client)
    assert client.compute.deleted == []
