"""Real deployments over HTTP on 127.0.0.1: every body format, every error, keys, tokens, metrics, logs.

One workspace serves the whole module: endpoint ``diabetes-ep`` with ``blue``
(the MLflow model, no code) taking all traffic and ``green`` (the same model
pickled, behind a score.py) reachable by the ``azureml-model-deployment`` header.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from endpoints_support import (  # noqa: F401
    FEATURES, Caller, make_endpoint, mlflow_deployment, module_client, rows, script_deployment, set_traffic, trained,
)
from test_jobs_support import mlflow_db_template  # noqa: F401

GREEN = {"azureml-model-deployment": "green"}


@pytest.fixture(scope="module")
def served(module_client):
    make_endpoint(module_client)
    mlflow_deployment(module_client, "blue")
    from azure.ai.ml.entities import OnlineRequestSettings

    settings = OnlineRequestSettings(request_timeout_ms=2000, max_concurrent_requests_per_instance=4)
    script_deployment(module_client, "green", request_settings=settings)
    set_traffic(module_client, "diabetes-ep", {"blue": 100, "green": 0})
    return module_client


@pytest.fixture(scope="module")
def caller(served):
    return Caller(served)


def expected(trained, data):  # noqa: F811
    return trained[0].predict(np.array(data, dtype=float)).tolist()


def test_scoring_uri_and_states(served):
    endpoint = served.online_endpoints.get("diabetes-ep")
    assert endpoint.scoring_uri.startswith("http://127.0.0.1:") and endpoint.scoring_uri.endswith("/diabetes-ep/score")
    assert endpoint.traffic == {"blue": 100, "green": 0}
    assert [d.name for d in served.online_deployments.list("diabetes-ep")] == ["blue", "green"]
    blue = served.online_deployments.get("blue", "diabetes-ep")
    assert blue.provisioning_state == "Succeeded" and str(blue.model).endswith("diabetes-mlflow:1")
    green = served.online_deployments.get("green", "diabetes-ep")
    assert green.code_configuration.scoring_script == "score.py"
    assert green.code_configuration.code.startswith("azureml://datastores/workspaceblobstore/")


def test_mlflow_model_answers_every_body_format(caller, trained):  # noqa: F811
    data = rows(4, offset=20)
    truth = expected(trained, data)
    records = [dict(zip(FEATURES, r)) for r in data]
    azure = caller.post({"input_data": {"columns": FEATURES, "index": [0, 1, 2, 3], "data": data}})
    assert azure.status_code == 200 and azure.json() == truth
    assert azure.headers["azureml-model-deployment"] == "blue"
    assert caller.post({"input_data": data}).json() == truth
    for body in ({"dataframe_split": {"columns": FEATURES, "data": data}}, {"dataframe_records": records},
                 {"instances": records}, {"inputs": {c: [r[i] for r in data] for i, c in enumerate(FEATURES)}}):
        response = caller.post(body)
        assert response.status_code == 200 and response.json() == {"predictions": truth}, body


def test_score_py_gets_the_raw_body(caller, trained):  # noqa: F811
    data = rows(3, offset=40)
    response = caller.post({"data": data, "sleep": 0}, headers=GREEN)
    assert response.status_code == 200, response.text
    assert response.json()["predictions"] == expected(trained, data)
    assert response.headers["azureml-model-deployment"] == "green"


def test_invoke_reads_a_request_file(served, trained, tmp_path):  # noqa: F811
    data = rows(2, offset=50)
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"input_data": {"columns": FEATURES, "data": data}}))
    assert json.loads(served.online_endpoints.invoke("diabetes-ep", request_file=str(request))) == expected(trained, data)
    request.write_text(json.dumps({"data": data}))
    answer = served.online_endpoints.invoke("diabetes-ep", request_file=str(request), deployment_name="green")
    assert json.loads(answer)["predictions"] == expected(trained, data)


@pytest.mark.parametrize("body, status, named", [
    ({"input_data": {"columns": [*FEATURES[:-1], "Height"], "data": rows(1)}}, 400, "'Height'"),
    ({"input_data": {"columns": FEATURES[:-1], "data": [r[:-1] for r in rows(1)]}}, 400, "'Age' is missing"),
    ({"dataframe_records": [{**dict(zip(FEATURES, rows(1)[0])), "BMI": "heavy"}]}, 400, "column 'BMI': 'heavy'"),
    ({"predict": rows(1)}, 400, "none of input_data"),
])
def test_bad_bodies_get_400_naming_the_column(caller, body, status, named):
    response = caller.post(body)
    assert response.status_code == status and named in response.json()["error"]
    assert "Traceback" not in response.text


def test_malformed_json_is_400_on_both_kinds_of_deployment(caller):
    for headers in ({}, GREEN):
        response = caller.post(None, raw=b'{"input_data": [[1, 2', headers=headers)
        assert response.status_code == 400 and "not valid JSON" in response.json()["error"]


def test_too_large_a_body_is_413(caller):
    response = caller.post(None, raw=b'{"data": "' + b"x" * (2 * 1024 * 1024) + b'"}')
    assert response.status_code == 413


def test_missing_or_wrong_key_is_401(caller):
    assert caller.post({"input_data": rows(1)}, auth=None).status_code == 401
    assert caller.post({"input_data": rows(1)}, auth="Bearer not-the-key").status_code == 401


def test_unknown_deployment_header_and_failing_run(caller):
    response = caller.post({"input_data": rows(1)}, headers={"azureml-model-deployment": "purple"})
    assert response.status_code == 404 and "purple" in response.json()["error"]
    failing = caller.post({"data": rows(1), "fail": True}, headers=GREEN)
    assert failing.status_code == 500 and failing.json() == {"error": "run() raised ValueError: asked to fail"}


def test_a_request_over_request_timeout_ms_is_408(caller):
    from test_jobs_support import wait_for

    response = caller.post({"data": rows(1), "sleep": 2.5}, headers=GREEN)
    assert response.status_code == 408 and "request_timeout_ms=2000" in response.json()["error"]
    wait_for(lambda: caller.post({"data": rows(1)}, headers=GREEN).status_code == 200, timeout=30, what="green to be free")


def test_no_deployment_with_traffic_is_503(served):
    make_endpoint(served, "idle-ep")
    try:
        response = Caller(served, "idle-ep").post({"input_data": rows(1)})
        assert response.status_code == 503 and "no deployment with traffic" in response.json()["error"]
    finally:
        served.online_endpoints.begin_delete("idle-ep").result()


def test_regenerated_key_replaces_the_old_one(served, caller):
    old = served.online_endpoints.get_keys("diabetes-ep")
    served.online_endpoints.begin_regenerate_keys("diabetes-ep", key_type="primary").result()
    new = served.online_endpoints.get_keys("diabetes-ep")
    assert new.primary_key != old.primary_key and new.secondary_key == old.secondary_key
    assert caller.post({"input_data": rows(1)}, auth=f"Bearer {old.primary_key}").status_code == 401
    assert caller.post({"input_data": rows(1)}, auth=f"Bearer {new.primary_key}").status_code == 200
    assert caller.post({"input_data": rows(1)}, auth=f"Bearer {old.secondary_key}").status_code == 200
    caller.auth = f"Bearer {new.primary_key}"


def test_aml_token_endpoint_checks_tokens_and_expiry(served):
    from workspace.local.secrets import SecretStore
    from workspace.local.serving import keys

    make_endpoint(served, "token-ep", auth_mode="aml_token")
    try:
        token = served.online_endpoints.get_keys("token-ep")
        assert token.token_type == "Bearer" and token.expiry_time_utc > time.time() + 60
        caller = Caller(served, "token-ep")
        assert caller.post({"input_data": rows(1)}, auth=f"Bearer {token.access_token}").status_code == 503  # past auth
        store = SecretStore(served.paths.secrets, "file")
        expired, _ = keys.issue_token(store, "token-ep", now=time.time() - 2 * keys.TOKEN_LIFETIME)
        assert caller.post({"input_data": rows(1)}, auth=f"Bearer {expired}").status_code == 401
        blue_key = served.online_endpoints.get_keys("diabetes-ep").primary_key
        assert caller.post({"input_data": rows(1)}, auth=f"Bearer {blue_key}").status_code == 401
    finally:
        served.online_endpoints.begin_delete("token-ep").result()


def test_metrics_count_requests_and_errors(served, caller):
    before = served.online_endpoints.get_metrics("diabetes-ep")
    for _ in range(5):
        caller.post({"input_data": rows(1)})
    caller.post({"predict": []})
    after = served.online_endpoints.get_metrics("diabetes-ep")
    assert set(after) == {"blue", "green"}
    assert after["blue"]["request_count"] - before["blue"]["request_count"] == 6
    assert after["blue"]["error_count"] - before["blue"]["error_count"] == 1
    assert 0 < after["blue"]["p50_ms"] <= after["blue"]["p95_ms"] <= after["blue"]["p99_ms"]


def test_logs_show_init_and_keys_appear_nowhere(served):
    assert "init done" in served.online_deployments.get_logs("green", "diabetes-ep", lines=50)
    assert len(served.online_deployments.get_logs("green", "diabetes-ep", lines=1).splitlines()) == 1
    credentials = served.online_endpoints.get_keys("diabetes-ep")
    secrets = [credentials.primary_key, credentials.secondary_key]
    for path in served.root.rglob("*"):
        if path.is_file() and path.parent.name != "secrets" and path.stat().st_size < 50_000_000:
            content = path.read_bytes()
            assert not any(s.encode() in content for s in secrets), f"a key leaked into {path}"
