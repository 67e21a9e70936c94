"""The FLAML search: Azure's settings -> ``flaml.AutoML.fit``, and the learner it chose as a scikit-learn step.

FLAML gets data that our featurizer already made numeric and complete, and
labels already encoded as 0..k-1, with ``skip_transform=True``: FLAML then
changes nothing about the data, so the raw learner it trained (LightGBM,
scikit-learn) fits behind our featurizer as is, and the logged model needs
neither FLAML nor amlpilot to load.
"""

from __future__ import annotations

import logging
import sys
import types
import warnings
from typing import Any

SEED = 1  # FLAML's search is seeded: the same data and budget give the same trials


def load_automl() -> type:
    """FLAML's ``AutoML`` class, importable without xgboost.

    flaml.automl 2.7 imports xgboost at module load, only to read its version and
    to wrap its classes; xgboost isn't installed here (its wheels pull in CUDA).
    A stand-in module is registered for the duration of that import only, so
    nothing later can mistake it for xgboost, and the xgboost learners are never
    offered (``names.UNAVAILABLE``).
    """
    warnings.filterwarnings("ignore", message="flaml.automl is not available")
    if "flaml.automl.automl" not in sys.modules:
        stand_in = types.ModuleType("xgboost")
        stand_in.__version__ = "0.0.0"
        stand_in.XGBClassifier = stand_in.XGBRegressor = _missing_xgboost_class()
        sys.modules["xgboost"] = stand_in
        try:
            import flaml.automl.automl  # noqa: F401
        finally:
            if sys.modules.get("xgboost") is stand_in:
                del sys.modules["xgboost"]
    from flaml.automl.automl import AutoML

    return AutoML


def _missing_xgboost_class() -> type:
    def unavailable(*_: Any, **__: Any) -> None:
        raise ImportError("xgboost isn't installed in this environment")

    return type("XGBoostUnavailable", (), {"__doc__": "xgboost isn't installed.", "__init__": unavailable,
                                            "fit": unavailable, "predict": unavailable})


def decision_tree_learner() -> type:
    """Azure's DecisionTree as a FLAML learner (FLAML has none of its own)."""
    from flaml import tune
    from flaml.automl.model import SKLearnEstimator

    class DecisionTreeEstimator(SKLearnEstimator):
        @classmethod
        def search_space(cls, data_size, task, **params):
            return {
                "max_depth": {"domain": tune.randint(lower=2, upper=32), "init_value": 6, "low_cost_init_value": 2},
                "min_samples_leaf": {"domain": tune.lograndint(lower=1, upper=128), "init_value": 4},
                "max_features": {"domain": tune.uniform(lower=0.1, upper=1.0), "init_value": 1.0},
            }

        def __init__(self, task="binary", n_jobs=None, **config):  # trees take no n_jobs
            super().__init__(task, **config)
            from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

            self.estimator_class = DecisionTreeClassifier if self._task.is_classification() else DecisionTreeRegressor

    return DecisionTreeEstimator


def validation(settings: dict, rows: int, has_validation_data: bool) -> dict:
    """FLAML's evaluation arguments; without any, Azure's defaults: CV under 20,000 rows, else a 10% holdout."""
    chosen = settings["validation"]
    if has_validation_data:
        return {"eval_method": "holdout"}
    if chosen["n_cross_validations"]:
        return {"eval_method": "cv", "n_splits": chosen["n_cross_validations"]}
    if chosen["validation_data_size"]:
        return {"eval_method": "holdout", "split_ratio": chosen["validation_data_size"]}
    if rows < 20_000:
        return {"eval_method": "cv", "n_splits": 10 if rows < 1_000 else 3}
    return {"eval_method": "holdout", "split_ratio": 0.1}


def search(settings: dict, X, y, *, budget: float, log_path: str, objective, X_val=None, y_val=None, weights=None):
    """Run FLAML; returns the fitted ``AutoML`` (its training log holds every trial)."""
    AutoML = load_automl()
    # A trial cut off by the time budget is replaced by a dummy model; FLAML's warning about it (a stack frame) is noise in the job log.
    logging.getLogger("flaml.automl").setLevel(logging.ERROR)
    automl = AutoML()
    if "dtree" in settings["learners"]:
        automl.add_learner("dtree", decision_tree_learner())
    limits = settings["limits"]
    task = "classification" if settings["task"] == "classification" else "regression"
    arguments = dict(
        task=task, metric=objective, time_budget=max(1.0, budget), max_iter=int(limits["max_trials"]),
        estimator_list=list(settings["learners"]), early_stop=bool(limits["enable_early_termination"]),
        n_jobs=int(limits["max_cores_per_trial"]), log_file_name=log_path, log_type="all", verbose=0,
        seed=SEED, skip_transform=True, mlflow_logging=False, retrain_full=True,
        **validation(settings, len(X), X_val is not None),
    )
    if limits.get("trial_timeout_minutes"):
        arguments["train_time_limit"] = float(limits["trial_timeout_minutes"]) * 60
    if settings["task"] == "forecasting":
        arguments["split_type"] = "time"  # rows are in time order: validate on the latest periods
    if X_val is not None:
        arguments.update(X_val=X_val, y_val=y_val)
    if weights is not None:
        arguments["sample_weight"] = weights
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        automl.fit(X_train=X, y_train=y, **arguments)
    if automl.model is None:
        raise RuntimeError("FLAML finished without a trained model (no trial completed within the time budget)")
    return automl


def learner_steps(automl) -> list[tuple[str, Any]]:
    """The chosen learner as pipeline steps, including what FLAML does to the data before it (SGD normalises rows)."""
    steps = []
    if automl.best_estimator == "sgd":
        from sklearn.preprocessing import Normalizer

        steps.append(("normalizer", Normalizer()))
    steps.append(("model", automl.model.estimator))
    return steps
