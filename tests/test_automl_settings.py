"""AutoML settings: Azure's names, featurization decisions, and bad input refused before anything is queued (no runs here)."""

from __future__ import annotations

import pytest

from workspace.errors import NotSupportedLocallyError, ResourceNotFoundError, UserInputError
from workspace.local.automl import names


def _job(task="classification", data="azureml:diabetes@latest", target="Diabetic", **kwargs):
    from azure.ai.ml import Input, automl

    kwargs.setdefault("primary_metric", "accuracy" if task == "classification" else "r2_score")
    return getattr(automl, task)(training_data=Input(type="mltable", path=data), target_column_name=target, **kwargs)


@pytest.fixture
def registered(client, diabetes_dir):
    from azure.ai.ml.entities import Data

    client.data.create_or_update(Data(name="diabetes", path=str(diabetes_dir), type="mltable"))
    return client


def _nothing_queued(client):
    from workspace.local.controlplane import controlplane_status

    assert list(client.jobs.list()) == []
    assert not controlplane_status(client.root)["running"]


# -- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize("given,expected", [
    ("AUC_weighted", "AUC_weighted"), ("AUCWeighted", "AUC_weighted"), ("auc_weighted", "AUC_weighted"),
    ("Accuracy", "accuracy"), (None, "accuracy"),
])
def test_metric_names_match_in_any_spelling(given, expected):
    assert names.check_metric("classification", given) == expected


def test_an_unknown_or_foreign_metric_lists_the_valid_ones():
    with pytest.raises(UserInputError, match=r"primary_metric: 'r2_score' is not a classification metric; use one of: accuracy, AUC_weighted, "):
        names.check_metric("classification", "r2_score")
    with pytest.raises(UserInputError, match="normalized_root_mean_squared_error, r2_score, normalized_mean_absolute_error$"):
        names.check_metric("forecasting", "f1")


def test_algorithms_map_to_flaml_learners_and_xgboost_is_refused_by_field():
    chosen = names.choose_algorithms("classification", ["LightGBM", "logistic_regression", "DecisionTree"], ["DecisionTree"])
    assert chosen == ["LightGBM", "LogisticRegression"]
    assert names.flaml_learners("classification", chosen) == ["lgbm", "lrl1", "lrl2"]
    with pytest.raises(NotSupportedLocallyError, match="^training.allowed_training_algorithms: 'XGBoostClassifier' is not supported .*xgboost isn't installed"):
        names.choose_algorithms("classification", ["LightGBM", "XGBoostClassifier"], None)
    with pytest.raises(UserInputError, match="training.allowed_training_algorithms: 'ElasticNet' is not a classification algorithm"):
        names.choose_algorithms("classification", ["ElasticNet"], None)


def test_blocking_every_algorithm_is_refused_and_blocking_the_defaults_falls_back():
    every = list(names.ALGORITHMS["regression"])
    with pytest.raises(UserInputError, match="^training.blocked_training_algorithms: .* leaves no algorithm to try"):
        names.choose_algorithms("regression", None, every)
    rest = names.choose_algorithms("regression", None, list(names.DEFAULT_ALGORITHMS["regression"]))
    assert rest and not set(rest) & set(names.DEFAULT_ALGORITHMS["regression"])


def test_translate_applies_limits_and_refuses_what_cannot_run_locally():
    from workspace.local.automl.settings import translate

    job = _job(n_cross_validations=4)
    job.set_limits(timeout_minutes=3, max_trials=7, max_concurrent_trials=2, enable_early_termination=False)
    settings = translate(job)
    assert settings["limits"] == {"timeout_minutes": 3, "trial_timeout_minutes": None, "max_trials": 7, "max_concurrent_trials": 2,
                                  "max_cores_per_trial": -1, "enable_early_termination": False}
    assert settings["validation"]["n_cross_validations"] == 4
    assert any("max_concurrent_trials=2" in w for w in settings["warnings"])
    job.set_limits(exit_score=0.9)
    with pytest.raises(NotSupportedLocallyError, match="^limits.exit_score: 0.9"):
        translate(job)
    both = _job(validation_data=_job().training_data, n_cross_validations=3)
    with pytest.raises(UserInputError, match="^n_cross_validations: 3 can't be combined with validation_data"):
        translate(both)


# -- featurization -------------------------------------------------------------------------------


def test_featurization_drops_ids_and_constants_encodes_categories_and_splits_dates():
    import numpy as np
    import pandas as pd

    from workspace.local.automl import featurize

    rows = 200
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "CustomerID": np.arange(rows) + 1000, "guid": [f"g-{i:05d}" for i in range(rows)], "constant": 1,
        "color": rng.choice(["red", "green", "blue"], rows), "city": [f"c{i % 40}" for i in range(rows)],
        "when": pd.date_range("2024-01-01", periods=rows, freq="D").astype(str), "amount": rng.normal(size=rows),
    })
    frame.loc[::7, "amount"] = np.nan
    featurization = {"mode": "auto", "blocked_transformers": [], "column_purposes": {}, "imputers": {}}
    plan = {c.name: c for c in featurize.plan_columns(frame, featurization, set())}
    assert {n: plan[n].action for n in plan} == {"CustomerID": "drop", "guid": "drop", "constant": "drop", "color": "onehot",
                                                 "city": "ordinal", "when": "dateparts", "amount": "numeric"}
    assert "year" not in plan["when"].parts and {"month", "day", "dayofweek"} <= set(plan["when"].parts)
    featurizer = featurize.build(list(plan.values()))
    out = featurizer.fit_transform(frame)
    assert out.notna().all().all() and all(np.issubdtype(t, np.number) for t in out.dtypes)
    assert {"color_red", "city", "when_month", "amount"} <= set(out.columns)
    summary = {s["RawFeatureName"]: s for s in featurize.summary(list(plan.values()), featurizer)}
    assert summary["CustomerID"]["Dropped"] == "Yes" and summary["color"]["EngineeredFeatureCount"] == 3
    off = {"mode": "off", "blocked_transformers": [], "column_purposes": {}, "imputers": {}}
    with pytest.raises(UserInputError, match="^featurization.mode: 'off' needs numeric columns, but 'guid' holds"):
        featurize.plan_columns(frame, off, set())


# -- refused before queueing ------------------------------------------------------------------------


def test_a_missing_target_column_names_it_and_lists_real_columns(registered):
    with pytest.raises(UserInputError, match=r"^target_column_name: 'Diabetc' is not a column of training_data \(columns: PatientID, Pregnancies, "):
        registered.jobs.create_or_update(_job(target="Diabetc"))
    _nothing_queued(registered)


@pytest.mark.parametrize("make,error,message", [
    (lambda: _job(data="azureml:nope@latest"), ResourceNotFoundError, "^training_data: 'azureml:nope@latest' was not found"),
    (lambda: _job(compute="no-cluster"), ResourceNotFoundError, "^compute: 'no-cluster' was not found"),
    (lambda: _blocked_all(), UserInputError, "^training.blocked_training_algorithms: .* leaves no algorithm"),
    (lambda: _allowed(["XGBoostClassifier"]), NotSupportedLocallyError, "^training.allowed_training_algorithms: 'XGBoostClassifier'"),
    (lambda: _job("regression", target="BMI", primary_metric="r2_score", validation_data=_job().training_data, n_cross_validations=3),
     UserInputError, "^n_cross_validations: 3 can't be combined"),
])
def test_bad_settings_fail_before_anything_is_queued(registered, make, error, message):
    with pytest.raises(error, match=message):
        registered.jobs.create_or_update(make())
    _nothing_queued(registered)


def _blocked_all():
    job = _job()
    job.set_training(blocked_training_algorithms=list(names.ALGORITHMS["classification"]))
    return job


def _allowed(algorithms):
    job = _job()
    job.set_training(allowed_training_algorithms=algorithms)
    return job


def test_an_unknown_metric_in_yaml_lists_the_valid_ones(tmp_path):
    from workspace.loaders import load_entity

    path = tmp_path / "automl.yml"
    path.write_text("type: automl\ntask: classification\nprimary_metric: f1_score\ntarget_column_name: Diabetic\n"
                    "training_data:\n  type: mltable\n  path: azureml:diabetes@latest\n")
    with pytest.raises(UserInputError, match=r"^automl.yml: primary_metric: 'f1_score' is invalid: .*not in set .*'auc_weighted', 'accuracy'"):
        load_entity(path)
