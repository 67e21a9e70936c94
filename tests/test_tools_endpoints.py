"""online_*/batch_* tools on a real workspace: plans, undo, traffic rules, keys kept out of results, real scoring.

The online tests serve real deployments (a gateway and worker processes on
127.0.0.1); ``ep_client`` stops them by pid and checks none is left.
"""

from __future__ import annotations

import json

import pytest

from endpoints_support import FEATURES, ep_client, rows, trained  # noqa: F401  (fixtures)
from test_batch_support import diabetes_frame, input_folder, mlflow_model_dir, register_mlflow_model  # noqa: F401
from test_jobs_support import jobs_client, mlflow_db_template, wait_status  # noqa: F401
from tools.base import ToolContext
from tools.catalog import build_plugins, find
from workspace.errors import ResourceNotFoundError, UserInputError


class Tools:
    def __init__(self, client):
        self.client, self.plugins = client, build_plugins(client, ToolContext(user="tester"))

    def call(self, tool: str, **arguments):
        plugin, function, _ = find(self.plugins, tool)
        return getattr(plugin, function)(**arguments)

    def preview(self, tool: str, **arguments):
        plugin, function, _ = find(self.plugins, tool)
        return plugin.preview(function, arguments)

    def undo(self, plan):
        return self.call(plan.inverse.tool, **plan.inverse.arguments)


def traffic(client, endpoint: str = "credit-ep") -> dict:
    return {k: v for k, v in (client.online_endpoints.get(endpoint).traffic or {}).items() if v}


@pytest.mark.slow
def test_blue_green_rollout_through_the_tools(ep_client, tmp_path):  # noqa: F811
    tools = Tools(ep_client)
    created = tools.call("online_endpoints-create", name="credit-ep")
    assert created["summary"] == "endpoint credit-ep: absent -> key auth, no deployments"

    first = tools.preview("online_deployments-create", name="blue", endpoint_name="credit-ep", model="diabetes-mlflow", model_version="1")
    assert first.summary.endswith("traffic {} -> {blue: 100}")  # the first deployment takes all traffic by default
    tools.call("online_deployments-create", name="blue", endpoint_name="credit-ep", model="diabetes-mlflow:1")
    assert traffic(ep_client) == {"blue": 100}

    green = tools.preview("online_deployments-create", name="green", endpoint_name="credit-ep", model="azureml:diabetes-mlflow:1",
                          traffic_percent=10)
    assert green.summary == ("deployment credit-ep/green: absent -> azureml:diabetes-mlflow:1 on STANDARD_DS3_v2 x 1; "
                             "traffic {blue: 100} -> {blue: 90, green: 10}")
    tools.call("online_deployments-create", name="green", endpoint_name="credit-ep", model="diabetes-mlflow", traffic_percent=10)
    assert traffic(ep_client) == {"blue": 90, "green": 10}

    request = tmp_path / "req.json"
    request.write_text(json.dumps({"input_data": {"columns": FEATURES, "data": rows(2)}}))
    answer = tools.call("online_endpoints-invoke", name="credit-ep", request_file=str(request), deployment_name="green")
    assert answer["deployment"] == "green" and len(answer["response"]) == 2

    promote = tools.preview("online_endpoints-update_traffic", name="credit-ep", deployment_name="green")
    assert promote.summary == "endpoint credit-ep traffic: {blue: 90, green: 10} -> {green: 100}"
    tools.call("online_endpoints-update_traffic", name="credit-ep", deployment_name="green")
    assert traffic(ep_client) == {"green": 100}
    tools.undo(promote)  # undo restores the split it replaced
    assert traffic(ep_client) == {"blue": 90, "green": 10}
    tools.call("online_endpoints-update_traffic", name="credit-ep", deployment_name="blue", percent=100)  # "roll back to blue"
    assert traffic(ep_client) == {"blue": 100}

    metrics = tools.call("online_endpoints-metrics", name="credit-ep")["deployments"]
    assert metrics["green"]["request_count"] >= 1 and set(metrics) == {"blue", "green"}
    logs = tools.call("online_deployments-get_logs", name="green", endpoint_name="credit-ep", lines=20)
    assert isinstance(logs["lines"], list)

    drop = tools.preview("online_deployments-delete", name="green", endpoint_name="credit-ep")
    assert drop.inverse.tool == "online_deployments-create" and drop.inverse.arguments["traffic_percent"] == 0
    tools.call("online_deployments-delete", name="green", endpoint_name="credit-ep")
    assert [d.name for d in ep_client.online_deployments.list("credit-ep")] == ["blue"]
    with pytest.raises(UserInputError, match=r"^name: 'blue' carries 100% of credit-ep's traffic"):
        tools.preview("online_deployments-delete", name="blue", endpoint_name="credit-ep")

    gone = tools.preview("online_endpoints-delete", name="credit-ep")
    assert gone.warnings == ["its deployments go too: blue"] and gone.inverse is None
    tools.call("online_endpoints-delete", name="credit-ep")
    with pytest.raises(ResourceNotFoundError):
        ep_client.online_endpoints.get("credit-ep")


def test_traffic_and_deployment_input_is_refused_in_one_line(ep_client):  # noqa: F811
    from azure.ai.ml.entities import ManagedOnlineDeployment
    from endpoints_support import make_endpoint, set_traffic

    tools = Tools(ep_client)
    make_endpoint(ep_client, "credit-ep")
    # Stored only: no request is sent, so no worker needs to start for these checks.
    ep_client.online_deployments.begin_create_or_update(ManagedOnlineDeployment(
        name="blue", endpoint_name="credit-ep", model="azureml:diabetes-mlflow:1", instance_count=1)).result()
    set_traffic(ep_client, "credit-ep", {"blue": 100})
    cases = [
        (dict(traffic={"blue": 90, "green": 20}), UserInputError, r"^traffic.green: 20 is not a deployment of this endpoint"),
        (dict(traffic={"blue": 90}), UserInputError, r"^traffic: \{'blue': 90\} adds up to 90; the weights must add up to 100"),
        (dict(deployment_name="green", percent=10), UserInputError, r"^deployment_name: 'green' is not a deployment of credit-ep"),
        (dict(deployment_name="blue", percent=40), UserInputError, r"^percent: 40 leaves 60% with nowhere to go"),
        (dict(deployment_name="blue", traffic={"blue": 100}), UserInputError, r"^deployment_name: 'blue' can't be given with traffic"),
        (dict(deployment_name="blue", percent=140), UserInputError, r"^percent: 140 is invalid"),
    ]
    for arguments, error, message in cases:
        with pytest.raises(error, match=message):
            tools.preview("online_endpoints-update_traffic", name="credit-ep", **arguments)
    assert tools.preview("online_endpoints-update_traffic", name="credit-ep", traffic={"blue": 0}).summary == (
        "endpoint credit-ep traffic: {blue: 100} -> {}")
    for arguments, message in [
        (dict(name="blue", model="diabetes-mlflow"), r"^name: 'blue' is already a deployment of credit-ep"),
        (dict(name="green", model="diabetes-custom"), r"^model: 'diabetes-custom' is a custom_model; give scoring_script"),
        (dict(name="green", model="diabetes-mlflow:1", model_version="2"), r"^model_version: '2' differs"),
        (dict(name="green", model="nothing-here"), r"nothing-here"),
    ]:
        with pytest.raises(UserInputError, match=message):
            tools.preview("online_deployments-create", endpoint_name="credit-ep", **arguments)
    with pytest.raises(UserInputError, match=r"^name: 'credit-ep' is already an online endpoint"):
        tools.preview("online_endpoints-create", name="credit-ep")
    assert traffic(ep_client) == {"blue": 100}  # nothing above changed anything


def test_keys_are_reported_never_shown(ep_client):  # noqa: F811
    from endpoints_support import make_endpoint

    tools = Tools(ep_client)
    make_endpoint(ep_client, "credit-ep")
    make_endpoint(ep_client, "token-ep", auth_mode="aml_token")
    before = ep_client.online_endpoints.get_keys("credit-ep")
    shown = tools.call("online_endpoints-get_keys", name="credit-ep")
    assert shown == {"name": "credit-ep", "auth_mode": "key", "keys": {"primary": "set", "secondary": "set"}}
    plan = tools.preview("online_endpoints-regenerate_keys", name="credit-ep", key_type="secondary")
    assert plan.inverse is None and "401" in plan.summary
    result = tools.call("online_endpoints-regenerate_keys", name="credit-ep", key_type="secondary")
    after = ep_client.online_endpoints.get_keys("credit-ep")
    assert after.secondary_key != before.secondary_key and after.primary_key == before.primary_key
    token = tools.call("online_endpoints-get_keys", name="token-ep")
    assert token["token"] == "issued" and token["expires"]
    with pytest.raises(UserInputError, match=r"^name: 'token-ep' uses aml_token auth"):
        tools.preview("online_endpoints-regenerate_keys", name="token-ep")
    text = json.dumps([shown, result, token, plan.model_dump()], default=str)
    for secret in (before.primary_key, before.secondary_key, after.secondary_key):
        assert secret not in text


@pytest.mark.slow
def test_batch_scoring_through_the_tools(jobs_client, mlflow_model_dir, input_folder):  # noqa: F811
    tools = Tools(jobs_client)
    register_mlflow_model(jobs_client, mlflow_model_dir, name="diabetes-lr")
    plan = tools.preview("batch_endpoints-create", name="nightly-scoring")
    tools.call("batch_endpoints-create", name="nightly-scoring")
    with pytest.raises(UserInputError, match=r"^name: 'nightly-scoring' has no default deployment"):
        tools.preview("batch_endpoints-invoke", name="nightly-scoring", input=str(input_folder))
    first = tools.preview("batch_deployments-create", name="mlflow-dpl", endpoint_name="nightly-scoring", model="diabetes-lr",
                          mini_batch_size=2)
    assert first.desired["default"] and first.summary.endswith("2 files per mini-batch, the endpoint's default")
    tools.call("batch_deployments-create", name="mlflow-dpl", endpoint_name="nightly-scoring", model="diabetes-lr", mini_batch_size=2)
    assert tools.call("batch_endpoints-get", name="nightly-scoring")["default_deployment"] == "mlflow-dpl"

    run = tools.preview("batch_endpoints-invoke", name="nightly-scoring", input=str(input_folder))
    assert run.summary.startswith("batch endpoint nightly-scoring: new scoring job over 4 file(s) in ") and run.inverse is None
    submitted = tools.call("batch_endpoints-invoke", name="nightly-scoring", input=str(input_folder))
    job = wait_status(jobs_client, submitted["job"]["name"], "Completed", "Failed")
    assert [j["name"] for j in tools.call("batch_endpoints-list_jobs", name="nightly-scoring")] == [job.name]
    with pytest.raises(UserInputError, match=r"^input: '.*nowhere' does not exist"):
        tools.preview("batch_endpoints-invoke", name="nightly-scoring", input=str(input_folder / "nowhere"))

    tools.call("batch_endpoints-delete", name="nightly-scoring")
    assert list(jobs_client.batch_endpoints.list()) == [] and plan.inverse.tool == "batch_endpoints-delete"
