"""Fixtures and helpers shared by the tests/test_rai_*.py files (this module holds no tests).

The data is the real diabetes table, sampled small; the model is a real
scikit-learn classifier saved as an MLflow model, trained on the features only
(PatientID stays in the data, as it would in a user's table, and the model's
signature tells the insights which columns are features).
"""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "diabetes" / "diabetes.csv"
TARGET = "Diabetic"
FEATURES = ["Pregnancies", "PlasmaGlucose", "DiastolicBloodPressure", "TricepsThickness", "SerumInsulin", "BMI", "DiabetesPedigree", "Age"]
MLTABLE = "paths:\n  - file: ./data.csv\ntransformations:\n  - read_delimited:\n      delimiter: ','\n      encoding: 'utf8'\n"


def diabetes(rows: int):
    import pandas as pd

    return pd.read_csv(SHARED).head(rows)


def train_model(train, features=FEATURES, target=TARGET, kind: str = "forest"):
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    if kind == "regressor":
        return RandomForestRegressor(n_estimators=25, max_depth=6, random_state=0).fit(train[features], train[target])
    return RandomForestClassifier(n_estimators=25, max_depth=6, random_state=0).fit(train[features], train[target])


def save_model(estimator, folder: Path, sample) -> Path:
    import mlflow.sklearn
    from mlflow.models import infer_signature

    mlflow.sklearn.save_model(estimator, str(folder), serialization_format="cloudpickle", pip_requirements=["scikit-learn"],
                              signature=infer_signature(sample, estimator.predict(sample)))
    return folder


def mltable_folder(frame, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / "data.csv", index=False)
    (folder / "MLTable").write_text(MLTABLE)
    return folder


@pytest.fixture(scope="module")
def diabetes_split():
    frame = diabetes(450)
    return frame.iloc[:300].reset_index(drop=True), frame.iloc[300:].reset_index(drop=True)


@pytest.fixture(scope="module")
def insights_folder(tmp_path_factory, diabetes_split):
    """A constructor folder built directly (no job): model, train 300 rows, test 150 rows."""
    from workspace.local.rai.constructor import build

    train, test = diabetes_split
    root = tmp_path_factory.mktemp("rai")
    model = save_model(train_model(train), root / "model", train[FEATURES])
    build(root / "constructor", task_type="classification", model_dir=model, train=train, test=test, target=TARGET, model_info="diabetes-model:1")
    return root / "constructor"


def register_assets(client, tmp_path: Path, train, test) -> None:
    """diabetes-train, diabetes-test (mltable) and diabetes-model (mlflow_model) in the client's workspace."""
    from azure.ai.ml.entities import Data, Model

    client.data.create_or_update(Data(name="diabetes-train", type="mltable", path=str(mltable_folder(train, tmp_path / "train"))))
    client.data.create_or_update(Data(name="diabetes-test", type="mltable", path=str(mltable_folder(test, tmp_path / "test"))))
    model = save_model(train_model(train), tmp_path / "diabetes-model", train[FEATURES])
    client.models.create_or_update(Model(name="diabetes-model", type="mlflow_model", path=str(model)))


SCORECARD_CONFIG = {
    "Model": {"ModelName": "diabetes-model", "ModelType": "Classification", "ModelSummary": "Predicts diabetes from eight measurements."},
    "Metrics": {"accuracy_score": {"threshold": ">=0.7"}, "recall_score": {"threshold": ">=0.99"}},
    "FeatureImportance": {"top_n": 4},
    "Fairness": {"metric": ["accuracy_score"], "sensitive_features": ["Age"], "fairness_evaluation_kind": "difference", "threshold": "<=0.5"},
}


@pytest.fixture(scope="module")
def dashboard_folder(insights_folder):
    """Every insight computed on the small diabetes split and gathered into a dashboard folder (plus a score card)."""
    from workspace.local.rai import causal, counterfactual, erroranalysis, explanation, gather, scorecard
    from workspace.local.rai.folder import load

    root = insights_folder.parent
    insights = load(insights_folder)
    explanation.compute(insights, root / "explanation")
    erroranalysis.compute(insights, root / "error_analysis")
    counterfactual.compute(insights, root / "counterfactual", total_cfs=3, desired_class="opposite", max_rows=20)
    causal.compute(insights, root / "causal", treatment_features='["BMI", "Age"]', heterogeneity_features='["Pregnancies"]')
    folders = [root / k for k in ("explanation", "error_analysis", "counterfactual", "causal")]
    gather.gather(insights_folder, folders, root / "dashboard", root / "ux_json")
    scorecard.build(root / "dashboard", SCORECARD_CONFIG, root / "scorecard")
    return root / "dashboard"
