"""One AutoML job's data: as FLAML searches it, and as the exported model takes it."""

from __future__ import annotations

from typing import Any

from workspace.errors import UserInputError
from workspace.local.automl import featurize, metrics, timeseries, trainer


class Problem:
    """Training (and validation, test) frames -> featurized matrices, encoded labels, an input example."""

    def __init__(self, settings: dict, frames: dict) -> None:
        self.settings, self.task = settings, settings["task"]
        self.target = settings["target"]
        self.X_val = self.y_val = self.weights = self.test = None
        self.classes: list = []
        train = _with_target(frames["training_data"], self.target, "training_data").dropna(subset=[self.target])
        if self.task == "forecasting":
            raw, y, self.ts_spec, self.history = timeseries.prepare(train, settings)
            self.example = self._future_example(train)
        else:
            train, self.test = self._split_test(train, frames.get("test_data"))
            raw, y = train.drop(columns=[self.target]), train[self.target]
            if settings.get("weight_column"):
                self.weights = raw.pop(settings["weight_column"]).to_numpy()
            self.example = raw.head(5)
        self.raw = raw
        self.y = self._encode(y, "training_data")
        self.y_range = 0.0 if self.task == "classification" else float(y.max() - y.min())
        self.plan = featurize.plan_columns(raw, settings["featurization"], set())
        self.featurizer = featurize.build(self.plan)
        self.X = self.featurizer.fit_transform(raw)
        self.summary = featurize.summary(self.plan, self.featurizer)
        if frames.get("validation_data") is not None:
            valid = _with_target(frames["validation_data"], self.target, "validation_data")
            self.X_val = self.featurizer.transform(valid[raw.columns])
            self.y_val = self._encode(valid[self.target], "validation_data")

    def _split_test(self, train, test):
        size = self.settings.get("test_data_size")
        if test is not None:
            return train, _with_target(test, self.target, "test_data")
        if not size:
            return train, None
        from sklearn.model_selection import train_test_split

        stratify = train[self.target] if self.task == "classification" else None
        return train_test_split(train, test_size=float(size), random_state=trainer.SEED, stratify=stratify)

    def _encode(self, y, field: str):
        """Class labels -> 0..k-1 (the classes are those of the training data), numbers as floats."""
        import numpy as np
        import pandas as pd

        if self.task != "classification":
            return pd.to_numeric(y, errors="raise").to_numpy(dtype=float)
        if not self.classes:
            values = y.unique().tolist()
            self.classes = sorted(values, key=lambda v: (str(type(v)), v))
            if len(self.classes) < 2:
                raise UserInputError.invalid("target_column_name", self.target, f"has a single class ({self.classes[0]!r}); classification needs two or more")
        codes = pd.Categorical(y, categories=self.classes).codes
        if (codes < 0).any():
            unseen = y[codes < 0].iloc[0]
            raise UserInputError.invalid(field, unseen, f"is a label of {self.target!r} that training_data doesn't have")
        return np.asarray(codes, dtype=int)

    def _future_example(self, train):
        """One row per series (up to 5) for the period after the training data: what a forecast request holds."""
        import pandas as pd

        spec = self.ts_spec
        frame = train.copy()
        frame[spec["time_column"]] = pd.to_datetime(frame[spec["time_column"]], format="mixed")
        last = frame.sort_values(spec["time_column"]).groupby(spec["id_columns"], sort=False).tail(1) if spec["id_columns"] \
            else frame.sort_values(spec["time_column"]).tail(1)
        example = last[spec["input_columns"]].head(5).copy()
        example[spec["time_column"]] = example[spec["time_column"]] + pd.Timedelta(spec["step"])
        return example.reset_index(drop=True)

    def objective(self):
        return metrics.flaml_objective(self.task, self.settings["primary_metric"], n_classes=len(self.classes), y_range=self.y_range)

    def export(self, automl) -> Any:
        """The best learner behind the featurizer, wrapped for labels or recursion; checked against FLAML's own."""
        from sklearn.pipeline import Pipeline

        from workspace.local.automl.model import AutoMLClassifier, AutoMLForecaster, AutoMLRegressor

        pipeline = Pipeline([("featurizer", self.featurizer), *trainer.learner_steps(automl)])
        _check_same(pipeline, automl, self.raw.head(200), self.featurizer)
        if self.task == "classification":
            return AutoMLClassifier(pipeline, list(self.raw.columns), self.classes)
        if self.task == "regression":
            return AutoMLRegressor(pipeline, list(self.raw.columns))
        return AutoMLForecaster(pipeline, self.ts_spec, self.history)

    def test_scores(self, model, client, parent_run_id: str) -> dict:
        """Metrics of the best model on test_data (or the test_data_size share held back), logged as test_<metric>."""
        if self.test is None:
            return {}
        import time

        from mlflow.entities import Metric

        features = self.test.drop(columns=[self.target])
        truth = self._encode(self.test[self.target], "test_data")
        output = model.predict_proba(features) if self.task == "classification" else model.predict(features)
        scores = metrics.score(self.task, truth, output, n_classes=len(self.classes), y_range=self.y_range)
        now = int(time.time() * 1000)
        client.log_batch(parent_run_id, metrics=[Metric(f"test_{k}", v, now, 0) for k, v in scores.items() if v == v])
        primary = self.settings["primary_metric"]
        return {f"azureml.automl.test_{primary}": f"{scores[primary]:.6g}"}


def _with_target(frame, target: str, field: str):
    if target not in frame.columns:
        shown = ", ".join(map(str, list(frame.columns)[:8]))
        raise UserInputError.invalid("target_column_name", target, f"is not a column of {field} (columns: {shown})")
    return frame


def _check_same(pipeline, automl, sample, featurizer) -> None:
    """The exported pipeline must predict what FLAML's model predicts, or the logged model would lie."""
    import numpy as np

    ours = np.asarray(pipeline.predict(sample), dtype=float)
    theirs = np.asarray(automl.predict(featurizer.transform(sample)), dtype=float)
    if not np.allclose(ours, theirs, rtol=1e-6, atol=1e-9, equal_nan=True):
        raise RuntimeError(f"the exported {automl.best_estimator} pipeline disagrees with FLAML's model; please report this")
