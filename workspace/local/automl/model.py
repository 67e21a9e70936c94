"""What an AutoML job logs as its best model: the featurizer and the learner, with the labels and time logic around them.

This module is pickled *by value* into the MLflow model (cloudpickle), so a
model loads with ``mlflow.pyfunc.load_model`` where amlpilot isn't installed:
it must import nothing from amlpilot, and only numpy, pandas and scikit-learn
(inside functions) from elsewhere. ``pipeline`` is always a plain scikit-learn
``Pipeline`` (featurizer, then the learner FLAML chose).
"""

from __future__ import annotations

DATE_PARTS = ("year", "quarter", "month", "day", "dayofweek", "dayofyear", "hour", "minute", "second")


def date_parts(frame, parts: dict):
    """``{column: [part, ...]}`` -> one numeric column per part (``<column>_<part>``); the originals go."""
    import pandas as pd

    out = {}
    for column, wanted in parts.items():
        stamps = pd.to_datetime(frame[column], errors="coerce")
        for part in wanted:
            out[f"{column}_{part}"] = getattr(stamps.dt, part).astype("float64")
    return pd.DataFrame(out, index=frame.index)


def date_part_names(transformer, input_features) -> list[str]:
    """``get_feature_names_out`` of the date-part FunctionTransformer."""
    parts = transformer.kw_args["parts"]
    return [f"{column}_{part}" for column, wanted in parts.items() for part in wanted]


def _frame(X, columns: list[str]):
    import pandas as pd

    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X, columns=columns)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"input: column {missing[0]!r} is missing; the model takes {', '.join(columns)}")
    return frame[columns]


class AutoMLRegressor:
    """predict(X) with the raw columns the job trained on (others are ignored)."""

    def __init__(self, pipeline, columns: list[str]) -> None:
        self.pipeline, self.columns = pipeline, list(columns)

    def predict(self, X):
        return self.pipeline.predict(_frame(X, self.columns))


class AutoMLClassifier(AutoMLRegressor):
    """The learner predicts class indices; this maps them back to the labels of the training data."""

    def __init__(self, pipeline, columns: list[str], classes: list) -> None:
        super().__init__(pipeline, columns)
        self.classes_ = list(classes)

    def predict(self, X):
        import numpy as np

        codes = np.asarray(self.pipeline.predict(_frame(X, self.columns))).astype(int)
        return np.asarray(self.classes_)[codes]

    def predict_proba(self, X):
        return self.pipeline.predict_proba(_frame(X, self.columns))


# -- forecasting -------------------------------------------------------------


def calendar(frame, spec: dict):
    """The time column -> a period index (trend) and its varying date parts; the raw time column goes."""
    import pandas as pd

    time_column = spec["time_column"]
    stamps = pd.to_datetime(frame[time_column])
    out = frame.drop(columns=[time_column]).copy()
    out["time_index"] = ((stamps - pd.Timestamp(spec["origin"])) / pd.Timedelta(spec["step"])).astype("float64")
    for part in spec["date_parts"]:
        out[f"{time_column}_{part}"] = getattr(stamps.dt, part).astype("float64")
    return out


def lag_features(values: list, spec: dict) -> dict:
    """Lags and the rolling mean for the next period, from the series' values so far (most recent last)."""
    import numpy as np

    features = {f"lag_{k}": (values[-k] if len(values) >= k else np.nan) for k in spec["lags"]}
    window = spec.get("window")
    if window:
        tail = values[-window:]
        features[f"rolling_mean_{window}"] = float(np.mean(tail)) if len(tail) == window else np.nan
    return features


class AutoMLForecaster:
    """predict(X): X holds the time column, the series id columns and known features of future periods.

    Forecasts are recursive: each period's prediction becomes the lag of the
    next. Periods skipped between the training data's end and a requested time
    are predicted too (their known features are unknown, so imputed).
    """

    def __init__(self, pipeline, spec: dict, history: dict) -> None:
        self.pipeline, self.spec, self.history = pipeline, spec, history

    def predict(self, X):
        import numpy as np
        import pandas as pd

        spec = self.spec
        frame = X.copy() if isinstance(X, pd.DataFrame) else pd.DataFrame(X, columns=spec["input_columns"])
        frame[spec["time_column"]] = pd.to_datetime(frame[spec["time_column"]])
        result = pd.Series(np.nan, index=frame.index, dtype="float64")
        ids = spec["id_columns"]
        groups = frame.groupby(ids, sort=False) if ids else [((), frame)]
        for series, rows in groups:
            result.loc[rows.index] = self._series(series if isinstance(series, tuple) else (series,), rows)
        return result.to_numpy()

    def _series(self, series: tuple, rows):
        import pandas as pd

        spec = self.spec
        known = self.history.get(_series_key(series))
        if known is None:
            raise ValueError(f"input: series {series!r} was not in the training data")
        values, last = list(known["values"]), pd.Timestamp(known["last_time"])
        step = pd.Timedelta(spec["step"])
        predictions = {}
        for index, row in rows.sort_values(spec["time_column"]).iterrows():
            when = row[spec["time_column"]]
            while last + step < when - step / 2:  # a skipped period: predict it to have its lags
                last = last + step
                values.append(self._one(series, last, {}, values))
            predictions[index] = self._one(series, when, row, values)
            values.append(predictions[index])
            last = max(last, when)
        return [predictions[i] for i in rows.index]

    def _one(self, series: tuple, when, row, values: list) -> float:
        import numpy as np
        import pandas as pd

        spec = self.spec
        record = {c: row.get(c, np.nan) if hasattr(row, "get") else np.nan for c in spec["known_columns"]}
        record.update(dict(zip(spec["id_columns"], series)))
        record[spec["time_column"]] = when
        record.update(lag_features(values, spec))
        features = calendar(pd.DataFrame([record]), spec)[spec["feature_columns"]]
        return float(self.pipeline.predict(features)[0])


def _series_key(series: tuple) -> str:
    return "|".join(str(v) for v in series)
