"""Request bodies, keys, routes and metrics of the local online endpoints, in-process (no servers)."""

from __future__ import annotations

import json
import random

import pytest

from endpoints_support import FEATURES, rows, trained  # noqa: F401
from workspace.local.serving.bodies import BodyError, extract_rows, parse_json, to_matrix

SIGNATURE = [(c, "double" if c in ("BMI", "DiabetesPedigree") else "long") for c in FEATURES]


def matrix(payload):
    columns, table, _ = extract_rows(payload)
    return to_matrix(columns, table, SIGNATURE)


def test_every_body_format_gives_the_same_matrix():
    data = rows(3)
    records = [dict(zip(FEATURES, r)) for r in data]
    reordered = list(reversed(FEATURES))
    bodies = [
        {"input_data": {"columns": FEATURES, "index": [0, 1, 2], "data": data}},
        {"input_data": {"columns": reordered, "data": [list(reversed(r)) for r in data]}},
        {"input_data": data},
        {"dataframe_split": {"columns": FEATURES, "data": data}},
        {"dataframe_records": records},
        {"instances": records},
        {"inputs": {c: [r[i] for r in data] for i, c in enumerate(FEATURES)}},
    ]
    expected = matrix(bodies[0])
    assert expected.shape == (3, 8)
    for body in bodies[1:]:
        assert (matrix(body) == expected).all(), body


@pytest.mark.parametrize("payload, named", [
    ({"input_data": {"columns": FEATURES[:-1], "data": [r[:-1] for r in rows(1)]}}, "'Age' is missing"),
    ({"input_data": {"columns": [*FEATURES[:-1], "Height"], "data": rows(1)}}, "'Height' is not in the model signature"),
    ({"dataframe_records": [{**dict(zip(FEATURES, rows(1)[0])), "Age": "old"}]}, "column 'Age': 'old' is not a long"),
    ({"dataframe_split": {"columns": FEATURES, "data": [[*rows(1)[0][:-1], 21.5]]}}, "column 'Age': 21.5 is not a long"),
    ({"input_data": [[1, 2, 3]]}, "row 0 has 3 values; the model takes 8"),
    ({"input_data": {"columns": FEATURES, "data": []}}, "no rows"),
    ({"something": 1}, "none of input_data"),
    ([1, 2], "JSON list"),
])
def test_bad_bodies_name_what_is_wrong(payload, named):
    with pytest.raises(BodyError, match=named.replace("(", r"\(").replace(")", r"\)")):
        matrix(payload)


def test_malformed_json_is_a_body_error():
    with pytest.raises(BodyError, match="not valid JSON"):
        parse_json(b'{"input_data": ')


def test_numeric_fast_path_and_pyfunc_agree_with_the_model(trained):  # noqa: F811
    from workspace.local.serving.bodies import signature_columns
    from workspace.local.serving.worker import NumericSklearnScorer, PyfuncScorer

    model, mlflow_dir, _ = trained
    data = rows(5, offset=10)
    expected = model.predict(__import__("numpy").array(data, dtype=float)).tolist()
    fast = NumericSklearnScorer(str(mlflow_dir), signature_columns(mlflow_dir))
    slow = PyfuncScorer(str(mlflow_dir))
    good = json.dumps({"input_data": {"columns": FEATURES, "data": data}}).encode()
    bad = json.dumps({"input_data": {"columns": FEATURES[1:], "data": [r[1:] for r in data]}}).encode()
    batch = fast.score([good, bad, good])  # one bad request doesn't spoil its batch-mates
    assert [s for s, _ in batch] == [200, 400, 200]
    assert json.loads(batch[0][1]) == expected == json.loads(batch[2][1])
    assert "Pregnancies" in json.loads(batch[1][1])["error"]
    status, payload = slow.score([good])[0]
    assert status == 200 and json.loads(payload) == expected
    records = json.dumps({"dataframe_records": [dict(zip(FEATURES, r)) for r in data]}).encode()
    assert json.loads(fast.score([records])[0][1]) == {"predictions": expected}


def test_tokens_expire_and_belong_to_one_endpoint(tmp_path):
    from workspace.local.secrets import SecretStore
    from workspace.local.serving import keys

    store = SecretStore(tmp_path / "secrets", "file")
    keys.create(store, "ep-a")
    keys.create(store, "ep-b")
    token, expiry = keys.issue_token(store, "ep-a")
    secret = keys.get(store, "ep-a", "token-secret")
    assert keys.verify_token(secret, "ep-a", token)
    assert not keys.verify_token(secret, "ep-a", token, now=expiry + 1)
    assert not keys.verify_token(keys.get(store, "ep-b", "token-secret"), "ep-b", token)
    assert not keys.verify_token(secret, "ep-a", token[:-2] + "00")
    old = keys.get(store, "ep-a", "primary")
    keys.regenerate(store, "ep-a", "primary")
    assert keys.get(store, "ep-a", "primary") != old
    assert old not in (tmp_path / "secrets" / "secrets.json").read_text()


def test_route_weights_and_auth():
    from workspace.local.serving.routes import build_route

    route = build_route({"name": "ep", "auth_mode": "key", "traffic": {"blue": 90, "green": 10, "red": 0},
                         "mirror_traffic": {"red": 20}}, ["blue", "green", "red"], ("k1", "k2"))
    rng = random.Random(7)
    picks = [route.pick(rng) for _ in range(10_000)]
    assert set(picks) == {"blue", "green"}
    assert 800 < picks.count("green") < 1200
    shadows = [route.shadow(rng) for _ in range(10_000)]
    assert 1700 < shadows.count("red") < 2300
    assert route.authorised("Bearer k2") and not route.authorised("Bearer k3") and not route.authorised(None)
    assert build_route({"name": "ep", "traffic": {}}, [], ("k",)).pick(rng) is None


def test_metrics_percentiles_are_within_two_percent():
    from workspace.local.serving.metrics import DeploymentMetrics

    metrics = DeploymentMetrics()
    for ms in range(1, 1001):
        metrics.record(float(ms), ok=ms % 100 != 0)
    snap = metrics.snapshot()
    assert snap["request_count"] == 1000 and snap["error_count"] == 10
    for key, truth in (("p50_ms", 500), ("p95_ms", 950), ("p99_ms", 990)):
        assert abs(snap[key] - truth) / truth < 0.03, (key, snap[key])
    assert DeploymentMetrics().snapshot()["p50_ms"] is None
