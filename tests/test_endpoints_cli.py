"""`amlpilot apply -f` for online endpoint/deployment YAML and `amlpilot endpoint ...`, on real deployments."""

from __future__ import annotations

import json
import textwrap

from endpoints_support import FEATURES, SCORE_PY, ep_client, rows, trained  # noqa: F401
from test_jobs_support import mlflow_db_template  # noqa: F401

SCHEMA = "https://azuremlschemas.azureedge.net/latest"


def ok(result) -> str:
    assert result.exit_code == 0, f"exit {result.exit_code}: {result.output}"
    return result.stdout


def one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, f"exit {result.exit_code}: {result.output}"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def test_apply_yaml_then_invoke_traffic_metrics_logs_keys(ep_client, cli, tmp_path, trained):  # noqa: F811
    folder = tmp_path / "yaml"
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "score.py").write_text(SCORE_PY)
    (folder / "endpoint.yml").write_text(textwrap.dedent(f"""\
        $schema: {SCHEMA}/managedOnlineEndpoint.schema.json
        name: cli-ep
        auth_mode: key
    """))
    (folder / "blue.yml").write_text(textwrap.dedent(f"""\
        $schema: {SCHEMA}/managedOnlineDeployment.schema.json
        name: blue
        endpoint_name: cli-ep
        model: azureml:diabetes-mlflow@latest
        instance_type: Standard_DS3_v2
        instance_count: 1
    """))
    (folder / "green.yml").write_text(textwrap.dedent(f"""\
        $schema: {SCHEMA}/managedOnlineDeployment.schema.json
        name: green
        endpoint_name: cli-ep
        model: azureml:diabetes-custom@latest
        code_configuration:
          code: ./src
          scoring_script: score.py
        environment: azureml:AzureML-sklearn-1.5@latest
        instance_type: Standard_DS3_v2
        instance_count: 1
        request_settings:
          request_timeout_ms: 10000
    """))
    ok(cli("apply", "-f", str(folder / "endpoint.yml"), "-f", str(folder / "blue.yml"), "-f", str(folder / "green.yml")))
    assert "blue=100" in ok(cli("endpoint", "traffic", "cli-ep", "blue=100"))
    one_line_error(cli("endpoint", "traffic", "cli-ep", "blue=90", "green=20"), "sums to 110")
    one_line_error(cli("endpoint", "traffic", "cli-ep", "blue=ninety"), "is not deployment=percent")

    data = rows(2, offset=5)
    truth = trained[0].predict(__import__("numpy").array(data, dtype=float)).tolist()
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"input_data": {"columns": FEATURES, "data": data}}))
    assert json.loads(ok(cli("endpoint", "invoke", "cli-ep", "--file", str(request)))) == truth
    request.write_text(json.dumps({"data": data}))
    answer = json.loads(ok(cli("endpoint", "invoke", "cli-ep", "--file", str(request), "--deployment", "green")))
    assert answer["predictions"] == truth
    request.write_text(json.dumps({"input_data": {"columns": FEATURES[:-1], "data": [r[:-1] for r in data]}}))
    one_line_error(cli("endpoint", "invoke", "cli-ep", "--file", str(request)), "answered 400", "'Age' is missing")

    metrics = json.loads(ok(cli("endpoint", "metrics", "cli-ep", "--json")))
    assert metrics["blue"]["request_count"] == 2 and metrics["blue"]["error_count"] == 1
    assert metrics["green"]["request_count"] == 1 and metrics["green"]["p99_ms"] > 0
    table = ok(cli("endpoint", "metrics", "cli-ep"))
    assert "blue" in table and "p99 ms" in table
    assert "init done" in ok(cli("endpoint", "logs", "cli-ep", "--deployment", "green", "--lines", "20"))

    credentials = ep_client.online_endpoints.get_keys("cli-ep")
    hidden = ok(cli("endpoint", "keys", "cli-ep"))
    assert credentials.primary_key not in hidden and "--show" in hidden
    assert credentials.primary_key in ok(cli("endpoint", "keys", "cli-ep", "--show"))
    ok(cli("endpoint", "keys", "cli-ep", "--regenerate", "secondary"))
    assert ep_client.online_endpoints.get_keys("cli-ep").secondary_key != credentials.secondary_key
    one_line_error(cli("endpoint", "keys", "cli-ep", "--regenerate", "tertiary"), "key_type")
    one_line_error(cli("endpoint", "metrics", "nope-ep"), "'nope-ep' was not found")


def test_bad_deployments_are_refused_before_anything_is_written(ep_client, tmp_path):
    from azure.ai.ml.entities import CodeConfiguration, ManagedOnlineDeployment, ManagedOnlineEndpoint

    import pytest

    from workspace.errors import AmlPilotError, NotSupportedLocallyError, ResourceNotFoundError, UserInputError

    with pytest.raises(UserInputError, match="name: 'x' is not an endpoint name"):
        ep_client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="x"))
    with pytest.raises(NotSupportedLocallyError, match="auth_mode"):
        ep_client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="aad-ep", auth_mode="aad_token"))
    with pytest.raises(ResourceNotFoundError, match="online endpoint: 'ghost-ep'"):
        ep_client.online_deployments.begin_create_or_update(ManagedOnlineDeployment(name="blue", endpoint_name="ghost-ep", model="azureml:diabetes-mlflow:1"))
    ep_client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="check-ep")).result()
    code = tmp_path / "broken-code"
    code.mkdir()
    bad = [
        (dict(model="azureml:nope:1"), ResourceNotFoundError, "nope"),
        (dict(model="azureml:diabetes-custom:1"), UserInputError, "code_configuration: a value is required"),
        (dict(model="azureml:diabetes-mlflow:1", instance_count=0), UserInputError, "instance_count: 0"),
        (dict(model="azureml:diabetes-custom:1", code_configuration=CodeConfiguration(code=str(code), scoring_script="missing.py")),
         UserInputError, "code_configuration.scoring_script"),
    ]
    for kwargs, error, named in bad:
        with pytest.raises(error, match=named):
            ep_client.online_deployments.begin_create_or_update(ManagedOnlineDeployment(name="blue", endpoint_name="check-ep", **kwargs))
    assert list(ep_client.online_deployments.list("check-ep")) == []

    (code / "broken.py").write_text("def init():\n    raise RuntimeError('no model here')\n\ndef run(raw):\n    return raw\n")
    broken = ManagedOnlineDeployment(name="broken", endpoint_name="check-ep", model="azureml:diabetes-custom:1",
                                     code_configuration=CodeConfiguration(code=str(code), scoring_script="broken.py"))
    with pytest.raises(AmlPilotError, match="'broken' of endpoint 'check-ep' failed: .*RuntimeError: no model here"):
        ep_client.online_deployments.begin_create_or_update(broken)
    assert ep_client.online_deployments.get("broken", "check-ep").provisioning_state == "Failed"
    assert "RuntimeError: no model here" in ep_client.online_deployments.get_logs("broken", "check-ep", lines=30)
    ep_client.online_endpoints.begin_delete("check-ep").result()
    assert list(ep_client.online_endpoints.list()) == []
