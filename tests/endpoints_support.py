"""Fixtures and helpers shared by tests/test_endpoints_*.py (this module holds no tests).

``ep_client`` is a workspace whose finalizer stops the control plane (which
stops the gateway and its workers) by pid and then checks that none of those
processes is left. Models are trained once per test session on a small slice
of the diabetes data.
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

from test_jobs_support import stop_all

FEATURES = ["Pregnancies", "PlasmaGlucose", "DiastolicBloodPressure", "TricepsThickness",
            "SerumInsulin", "BMI", "DiabetesPedigree", "Age"]
DIABETES = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "diabetes" / "diabetes.csv"
SCORE_PY = '''
import json, os, pickle

def init():
    global model
    with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "custom", "model.pkl"), "rb") as fh:
        model = pickle.load(fh)
    print("init done", flush=True)

def run(raw_data):
    data = json.loads(raw_data)
    if data.get("sleep"):
        import time
        time.sleep(data["sleep"])
    if data.get("fail"):
        raise ValueError("asked to fail")
    return {"predictions": model.predict(data["data"]).tolist(), "pid": os.getpid()}
'''

_cache: dict[str, object] = {}


def training_frame(rows: int = 600):
    import pandas as pd

    return pd.read_csv(DIABETES, nrows=rows)


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """(estimator, folder with an MLflow sklearn model, folder with a pickled custom model)."""
    if "trained" in _cache:
        return _cache["trained"]
    import pickle

    import mlflow.sklearn
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression

    frame = training_frame()
    X, y = frame[FEATURES], frame["Diabetic"]
    model = LogisticRegression(max_iter=500).fit(X, y)
    folder = tmp_path_factory.mktemp("models")
    mlflow.sklearn.save_model(model, folder / "mlflow", signature=infer_signature(X, model.predict(X)))
    (folder / "custom").mkdir()
    with open(folder / "custom" / "model.pkl", "wb") as fh:
        pickle.dump(model, fh)
    _cache["trained"] = (model, folder / "mlflow", folder / "custom")
    return _cache["trained"]


def prepare(client, trained, template: Path, folder: Path):
    """Register both models and write the score.py; the client gets ``test_code_dir``."""
    from azure.ai.ml.entities import Model

    client.paths.mlflow_db.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, client.paths.mlflow_db)
    _, mlflow_dir, custom_dir = trained
    client.models.create_or_update(Model(name="diabetes-mlflow", path=str(mlflow_dir), type="mlflow_model"))
    client.models.create_or_update(Model(name="diabetes-custom", path=str(custom_dir), type="custom_model"))
    code = folder / "code"
    code.mkdir()
    (code / "score.py").write_text(SCORE_PY)
    client.test_code_dir = code
    return client


def stop_and_check(client) -> None:
    """Stop the control plane (and with it the gateway and workers) by pid; fail if any process is left."""
    import psutil

    pids = serving_pids(client)
    stop_all(client.root)
    for pid in pids:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE, f"process {pid} outlived the test"


@pytest.fixture
def ep_client(client, trained, mlflow_db_template, tmp_path):
    """A workspace with both models registered; stops everything it started, then checks the pids are gone."""
    yield prepare(client, trained, mlflow_db_template, tmp_path)
    stop_and_check(client)


@pytest.fixture(scope="module")
def module_client(tmp_path_factory, trained, mlflow_db_template):
    """Like ``ep_client`` but shared by a module's tests: starting deployments costs seconds."""
    from workspace.local import LocalMLClient

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AMLPILOT_SECRETS_BACKEND", "file")  # the daemon and gateway read it
        folder = tmp_path_factory.mktemp("endpoints")
        client = LocalMLClient(folder / "ws", user="tester", secrets_backend="file")
        try:
            yield prepare(client, trained, mlflow_db_template, folder)
        finally:
            stop_and_check(client)
            client.close()


def serving_pids(client) -> list[int]:
    """The gateway's pid and every worker's, from the gateway itself."""
    from workspace.local.serving import state, waits

    row = state.serving_row(client._ctx.store)
    pids = [row["pid"]] if row["pid"] else []
    try:
        instances = waits.admin_get(client._ctx.store, "instances") or {}
    except OSError:
        instances = {}
    return pids + [i["pid"] for group in instances.values() for i in group if i["pid"]]


def worker_pids(client, endpoint: str, deployment: str) -> list[int]:
    from workspace.local.serving import waits

    return [i["pid"] for i in (waits.admin_get(client._ctx.store, "instances") or {}).get(f"{endpoint}/{deployment}", [])]


def make_endpoint(client, name: str = "diabetes-ep", auth_mode: str = "key", **kwargs):
    from azure.ai.ml.entities import ManagedOnlineEndpoint

    return client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name=name, auth_mode=auth_mode, **kwargs)).result()


def mlflow_deployment(client, name: str, endpoint: str = "diabetes-ep", **kwargs):
    from azure.ai.ml.entities import ManagedOnlineDeployment

    deployment = ManagedOnlineDeployment(name=name, endpoint_name=endpoint, model="azureml:diabetes-mlflow@latest",
                                         instance_count=kwargs.pop("instance_count", 1), **kwargs)
    return client.online_deployments.begin_create_or_update(deployment).result()


def script_deployment(client, name: str, endpoint: str = "diabetes-ep", **kwargs):
    from azure.ai.ml.entities import CodeConfiguration, ManagedOnlineDeployment

    deployment = ManagedOnlineDeployment(
        name=name, endpoint_name=endpoint, model="azureml:diabetes-custom@latest",
        code_configuration=CodeConfiguration(code=str(client.test_code_dir), scoring_script="score.py"),
        environment="azureml:AzureML-sklearn-1.5@latest", instance_count=kwargs.pop("instance_count", 1), **kwargs,
    )
    return client.online_deployments.begin_create_or_update(deployment).result()


def set_traffic(client, endpoint: str, traffic: dict, mirror: dict | None = None):
    entity = client.online_endpoints.get(endpoint)
    entity.traffic = traffic
    if mirror is not None:
        entity.mirror_traffic = mirror
    return client.online_endpoints.begin_create_or_update(entity).result()


class Caller:
    """Posts to an endpoint with httpx, keeping one connection per thread."""

    def __init__(self, client, endpoint: str = "diabetes-ep") -> None:
        self.url = client.online_endpoints.get(endpoint).scoring_uri
        self.auth = client.online_endpoints.auth_header(endpoint)
        self._local = threading.local()

    def post(self, body, headers: dict | None = None, raw: bytes | None = None, auth: str | None = "default"):
        import httpx

        http = getattr(self._local, "http", None)
        if http is None:
            http = self._local.http = httpx.Client(timeout=30)
        sent = {"Content-Type": "application/json", **(headers or {})}
        if auth == "default":
            sent["Authorization"] = self.auth
        elif auth is not None:
            sent["Authorization"] = auth
        return http.post(self.url, content=raw if raw is not None else json.dumps(body).encode(), headers=sent)


def rows(n: int = 3, offset: int = 0) -> list[list]:
    frame = training_frame(offset + n).iloc[offset:offset + n]
    return frame[FEATURES].values.tolist()
