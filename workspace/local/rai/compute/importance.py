"""Feature importance: SHAP values (aggregate = mean |SHAP|), with permutation importance as the fallback.

Individual importances are SHAP values per test row, computed for at most
``max_rows`` rows against a small background sample of the training data, with
shap's permutation explainer on the model's own function (probability of each
class, or the prediction for regression), so any MLflow model works.
"""

from __future__ import annotations

import logging

_log = logging.getLogger(__name__)
BACKGROUND_ROWS = 50
PERMUTATION_ROWS = 200  # the model-agnostic explainer costs ~(2 x features + 1) x background predictions per row


def explain(model, train, test, features: list[str], task_type: str, target: str, *, max_rows: int = 500, seed: int = 0) -> dict:
    try:
        fast = _tree_shap(model, train, test, features, task_type, max_rows)
        return fast if fast is not None else _shap(model, train, test, features, task_type, min(max_rows, PERMUTATION_ROWS), seed)
    except ImportError:
        _log.warning("shap is not installed; using permutation importance (no individual importances)")
        return _permutation(model, test, features, task_type, target, seed)


def _tree_shap(model, train, test, features, task_type, max_rows) -> dict | None:
    """shap's exact TreeExplainer, when the model is a plain scikit-learn or LightGBM tree model on numeric features."""
    import numpy as np
    import shap

    estimator = model.estimator
    if estimator is None or any(train[f].dtype == object for f in features):
        return None
    try:
        explainer = shap.TreeExplainer(estimator)
        rows = test[features].iloc[:max_rows]
        values = np.asarray(explainer.shap_values(rows, check_additivity=False), dtype=float)
    except Exception:  # not a tree model shap knows (a pipeline, a linear model): use the generic explainer
        return None
    return _result("shap (tree explainer)", values, features, model.classes if task_type == "classification" else None, len(rows))


def _function(model, features: list[str], task_type: str, dtypes: dict, categories: dict):
    """The model as a function of a numeric matrix (categoricals as codes); classifiers give one column per class."""
    import numpy as np
    import pandas as pd

    def as_frame(matrix):
        frame = pd.DataFrame(np.asarray(matrix, dtype=float), columns=features)
        for name, cats in categories.items():
            frame[name] = np.asarray(cats, dtype=object)[frame[name].round().astype(int).clip(0, len(cats) - 1)]
        return frame.astype(dtypes)

    if task_type == "classification" and model.has_proba:
        return (lambda m: model.predict_proba(as_frame(m))), [str(c) for c in model.classes]
    return (lambda m: np.asarray(model.predict(as_frame(m)), dtype=float)), None


def _shap(model, train, test, features, task_type, max_rows, seed) -> dict:
    import numpy as np
    import shap

    from workspace.local.rai.compute.encoding import encode

    categorical = [f for f in features if train[f].dtype == object or str(train[f].dtype) in ("string", "category", "str")]
    background, categories = encode(train[features].sample(min(BACKGROUND_ROWS, len(train)), random_state=seed), features, categorical)
    rows, _ = encode(test[features].iloc[:max_rows], features, categorical, categories)
    function, classes = _function(model, features, task_type, {f: train[f].dtype for f in features}, categories)
    masker = shap.maskers.Independent(background, max_samples=len(background))
    explainer = shap.explainers.Permutation(function, masker, seed=seed)
    values = np.asarray(explainer(rows, max_evals=2 * len(features) + 1, silent=True).values, dtype=float)
    return _result("shap (permutation explainer)", values, features, classes, len(rows))


def _result(method: str, values, features: list[str], classes: list | None, rows: int) -> dict:
    import numpy as np

    classes = [str(c) for c in classes] if classes else None
    if values.ndim == 2:
        values = values[:, :, None]  # one output: (rows, features, 1)
    per_class = np.abs(values).mean(axis=0)  # (features, outputs)
    # Binary classifiers: the positive class's values; otherwise the mean over classes.
    chosen = values[:, :, -1] if values.shape[2] <= 2 else values.mean(axis=2)
    aggregate = per_class[:, -1] if per_class.shape[1] <= 2 else per_class.mean(axis=1)
    return {
        "method": method, "features": features, "classes": classes,
        "explained_class": classes[-1] if classes else None,
        "global_importance": dict(zip(features, map(float, aggregate))),
        "global_importance_by_class": {str(c): dict(zip(features, map(float, per_class[:, i]))) for i, c in enumerate(classes or []) if i < per_class.shape[1]},
        "local_importance": chosen, "local_rows": rows, "expected_value": None,
    }


def _permutation(model, test, features, task_type, target, seed) -> dict:
    from sklearn.inspection import permutation_importance

    class _Scorer:
        def fit(self, *_):
            return self

        def predict(self, frame):
            return model.predict(frame)

    scoring = "accuracy" if task_type == "classification" else "neg_mean_absolute_error"
    result = permutation_importance(_Scorer(), test[features], test[target], scoring=scoring, n_repeats=5, random_state=seed)
    return {
        "method": "permutation importance", "features": features, "classes": None, "explained_class": None,
        "global_importance": dict(zip(features, map(float, result.importances_mean))), "global_importance_by_class": {},
        "local_importance": None, "local_rows": 0, "expected_value": None,
    }
