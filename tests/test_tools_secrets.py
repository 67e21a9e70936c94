"""A datastore secret goes in once and never comes out: not in plans, results, errors or undo records."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tools.base import ToolContext
from tools.catalog import build_plugins, find

ACCOUNT_KEY = "c2VjcmV0LWFjY291bnQta2V5LWZvci10ZXN0cw=="
SAS_TOKEN = "sv=2024-01-01&sig=super-secret-signature"


def _run(plugins, tool, **arguments):
    plugin, function, _ = find(plugins, tool)
    return getattr(plugin, function)(**arguments)


def _preview(plugins, tool, **arguments):
    plugin, function, _ = find(plugins, tool)
    return plugin.preview(function, arguments)


def _everything_shown(plugins, name: str) -> str:
    """Every output a person or the model could see about the datastore, as one text."""
    shown = [
        _preview(plugins, "datastores-create_blob", name=name, account_name="acct", container_name="cont",
                 account_key=ACCOUNT_KEY).model_dump_json(),
        json.dumps(_run(plugins, "datastores-get", name=name)),
        json.dumps(_run(plugins, "datastores-list")),
        json.dumps(_run(plugins, "workspace-summary")),
        _preview(plugins, "datastores-delete", name=name).model_dump_json(),
    ]
    return "\n".join(shown)


@pytest.fixture
def plugins(client):
    return build_plugins(client, ToolContext(user="tester"))


@pytest.mark.parametrize("secret_arg,secret", [("account_key", ACCOUNT_KEY), ("sas_token", SAS_TOKEN)])
def test_secret_stays_out_of_plans_results_and_undo(plugins, client, secret_arg, secret):
    arguments = dict(name="blobs", account_name="acct", container_name="cont", **{secret_arg: secret})
    plan = _preview(plugins, "datastores-create_blob", **arguments)
    assert plan.desired[secret_arg] == "***" and "***" in plan.summary
    result = _run(plugins, "datastores-create_blob", **arguments)
    assert result["datastore"]["credentials"] == secret_arg
    text = plan.model_dump_json() + json.dumps(result) + _everything_shown(plugins, "blobs")
    assert secret not in text
    # ...but it did reach the workspace's secret store.
    stored = client.datastores.get("blobs", include_secrets=True).credentials
    assert getattr(stored, secret_arg) == secret


@pytest.mark.parametrize("arguments,field", [
    (dict(name="blobs", account_name="acct", container_name="c", account_key=ACCOUNT_KEY), "container_name"),
    (dict(name="blobs", account_name="acct", container_name="cont", account_key=ACCOUNT_KEY, sas_token=SAS_TOKEN), "sas_token"),
    (dict(name="blobs", account_name="acct", container_name="cont", account_key=12345), "account_key"),
    (dict(name="blobs", account_name="acct", container_name="cont", acount_key=ACCOUNT_KEY), "acount_key"),
    (dict(account_name="acct", container_name="cont", account_key=ACCOUNT_KEY), "name"),
])
def test_errors_never_echo_the_secret(plugins, arguments, field):
    for attempt in (_preview, _run):
        with pytest.raises(Exception) as raised:
            attempt(plugins, "datastores-create_blob", **arguments)
        message = str(raised.value)
        assert message.startswith(f"{field}:")
        assert ACCOUNT_KEY not in message and SAS_TOKEN not in message and "12345" not in message


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secret=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=12, max_size=80))
def test_any_secret_stays_hidden(plugins, secret):
    secret = "K#" + secret  # a prefix no output has, so a short secret can't match an ordinary word
    _run(plugins, "datastores-create_blob", name="anykey", account_name="acct", container_name="cont", account_key=secret)
    assert secret not in _everything_shown(plugins, "anykey")
