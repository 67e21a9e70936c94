"""Fixtures and helpers shared by the tests/test_batch_*.py files (this module holds no tests).

The model is a real scikit-learn logistic regression on the diabetes data,
saved as an MLflow model with a signature; the input is four CSV files of 20
rows each, the third of them corrupt (not a table of the model's columns).
"""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import pytest

from conftest import SHARED_DATA

FEATURES = ["Pregnancies", "PlasmaGlucose", "DiastolicBloodPressure", "TricepsThickness",
            "SerumInsulin", "BMI", "DiabetesPedigree", "Age"]
CORRUPT = "part-2.csv"
ROWS_PER_FILE = 20

# A custom-model scoring script: the "model" is a glucose cut-off read from AZUREML_MODEL_DIR.
# With FLAKY set, each mini-batch fails once: one that starts with part-0 raises, part-1 hangs
# past retry_settings.timeout, others kill their worker; the marks of first attempts live in MARKS.
SCORE_PY = textwrap.dedent(
    """
    import json, os, pathlib, time
    import pandas as pd

    def init():
        global cut
        cut = json.loads(pathlib.Path(os.environ["AZUREML_MODEL_DIR"], "rule", "rule.json").read_text())["cut"]
        print("init: cut", cut)

    def run(mini_batch):
        first = pathlib.Path(mini_batch[0]).name
        mark = pathlib.Path(os.environ.get("MARKS", "."), first + ".tried")
        if os.environ.get("FLAKY") == "1" and not mark.exists():
            mark.write_text("once")
            if first.startswith("part-0"):
                raise RuntimeError("transient failure on " + first)
            if first.startswith("part-1"):
                time.sleep(120)
            os._exit(3)
        rows = []
        for path in mini_batch:
            data = pd.read_csv(path)
            for glucose in data["PlasmaGlucose"]:
                rows.append([pathlib.Path(path).name, int(glucose > cut)])
        return pd.DataFrame(rows, columns=["file", "prediction"])
    """
)


@pytest.fixture(scope="session")
def diabetes_frame():
    import pandas as pd

    return pd.read_csv(SHARED_DATA / "diabetes" / "diabetes.csv")


@pytest.fixture(scope="session")
def mlflow_model_dir(tmp_path_factory, diabetes_frame) -> Path:
    """A logistic regression saved with mlflow.sklearn (with a signature), once per session."""
    import mlflow.sklearn
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression

    features, label = diabetes_frame[FEATURES], diabetes_frame["Diabetic"]
    model = LogisticRegression(max_iter=1000).fit(features[:2000], label[:2000])
    folder = tmp_path_factory.mktemp("mlflow-model") / "model"
    with warnings.catch_warnings():  # MLflow's hint about integer columns: the data has no missing values
        warnings.simplefilter("ignore", UserWarning)
        signature = infer_signature(features[:5], model.predict(features[:5]))
    mlflow.sklearn.save_model(model, folder, signature=signature)
    return folder


@pytest.fixture
def input_folder(tmp_path, diabetes_frame) -> Path:
    """part-0.csv .. part-3.csv, 20 rows each from row 3000 on; part-2.csv is corrupt."""
    folder = tmp_path / "to-score"
    folder.mkdir()
    for i in range(4):
        start = 3000 + i * ROWS_PER_FILE
        diabetes_frame[FEATURES][start:start + ROWS_PER_FILE].to_csv(folder / f"part-{i}.csv", index=False)
    (folder / CORRUPT).write_text("this is,not\na,table of diabetes\n")
    return folder


@pytest.fixture
def rule_model_dir(tmp_path) -> Path:
    folder = tmp_path / "rule"
    folder.mkdir()
    (folder / "rule.json").write_text('{"cut": 140}')
    return folder


@pytest.fixture
def score_code(tmp_path) -> Path:
    folder = tmp_path / "score-src"
    folder.mkdir()
    (folder / "score.py").write_text(SCORE_PY)
    return folder


def register_mlflow_model(client, folder: Path, name: str = "diabetes-lr"):
    from azure.ai.ml.entities import Model

    return client.models.create_or_update(Model(name=name, path=str(folder), type="mlflow_model"))


def make_endpoint(client, name: str = "diabetes-ep"):
    from azure.ai.ml.entities import BatchEndpoint

    return client.batch_endpoints.begin_create_or_update(BatchEndpoint(name=name)).result()


def model_deployment(name: str, endpoint: str, model: str, **settings):
    from azure.ai.ml.entities import BatchRetrySettings, ModelBatchDeployment, ModelBatchDeploymentSettings

    retry = settings.pop("retry", None)
    return ModelBatchDeployment(
        name=name, endpoint_name=endpoint, model=model,
        code_configuration=settings.pop("code_configuration", None), environment=settings.pop("environment", None),
        settings=ModelBatchDeploymentSettings(
            mini_batch_size=settings.pop("mini_batch_size", 2), max_concurrency_per_instance=settings.pop("max_concurrency_per_instance", 2),
            retry_settings=BatchRetrySettings(**retry) if retry else None, **settings,
        ),
    )


def good_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name != CORRUPT)
