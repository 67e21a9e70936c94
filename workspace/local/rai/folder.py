"""The insights folder: what the steps pass to each other and what the dashboard reads.

Layout (every JSON file carries ``format_version``)::

    rai_insights.json        title, task, target, features, classes, model id
    model/                   the MLflow model, copied so the folder stands alone
    data/train.parquet       training rows (features + target)
    data/test.parquet        test rows, at most maximum_rows_for_test_dataset
    data/predictions.parquet the model's predictions (and probabilities) on test
    insights/<kind>/insight.json (+ parquet)   added by gather, one per tool

A tool step writes ``insight.json`` (and any parquet) into its own output folder.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workspace.errors import UserInputError
from workspace.local.rai import FORMAT_VERSION

INSIGHT_KINDS = ("explanation", "causal", "counterfactual", "error_analysis")


@dataclass
class Insights:
    """An insights folder loaded for computing: frames, the model, and its config."""

    root: Path
    config: dict
    train: Any
    test: Any
    predictions: Any
    extra: dict = field(default_factory=dict)

    @property
    def task_type(self) -> str:
        return self.config["task_type"]

    @property
    def target(self) -> str:
        return self.config["target_column"]

    @property
    def features(self) -> list[str]:
        return list(self.config["features"])

    @property
    def categorical(self) -> list[str]:
        return list(self.config.get("categorical_features") or [])

    def model(self):
        from workspace.local.rai.model import load_model

        return load_model(self.root / "model", self.task_type)

    def y_test(self):
        return self.test[self.target].to_numpy()

    def y_pred(self):
        return self.predictions["prediction"].to_numpy()


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"format_version": FORMAT_VERSION, **data}, indent=1, default=_plain))
    tmp.replace(path)


def read_json(path: Path) -> dict:
    if not path.is_file():
        raise UserInputError.missing_path("rai_insights_dashboard", path)
    data = json.loads(path.read_text())
    if str(data.get("format_version")) != FORMAT_VERSION:
        raise UserInputError.invalid("format_version", data.get("format_version"), f"of {path} is not {FORMAT_VERSION}, the version this amlpilot reads")
    return data


def write_constructor(out: Path, config: dict, model_dir: Path, train, test, predictions) -> None:
    out.mkdir(parents=True, exist_ok=True)
    if (out / "model").exists():
        shutil.rmtree(out / "model")
    shutil.copytree(model_dir, out / "model")
    (out / "data").mkdir(exist_ok=True)
    train.to_parquet(out / "data" / "train.parquet", index=False)
    test.to_parquet(out / "data" / "test.parquet", index=False)
    predictions.to_parquet(out / "data" / "predictions.parquet", index=False)
    write_json(out / "rai_insights.json", config)


def load(folder: Path) -> Insights:
    import pandas as pd

    folder = Path(folder)
    config = read_json(folder / "rai_insights.json")
    data = folder / "data"
    return Insights(folder, config, pd.read_parquet(data / "train.parquet"), pd.read_parquet(data / "test.parquet"),
                    pd.read_parquet(data / "predictions.parquet"))


def write_insight(out: Path, kind: str, data: dict, tables: dict | None = None) -> None:
    """One tool's result: ``insight.json`` plus named parquet tables."""
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in (tables or {}).items():
        frame.to_parquet(out / f"{name}.parquet", index=False)
    write_json(out / "insight.json", {"kind": kind, "tables": sorted(tables or {}), **data})


def read_insight(folder: Path) -> tuple[dict, dict]:
    import pandas as pd

    data = read_json(Path(folder) / "insight.json")
    tables = {name: pd.read_parquet(Path(folder) / f"{name}.parquet") for name in data.get("tables", [])}
    return data, tables


def read_dashboard(folder: Path) -> dict:
    """The dashboard folder's ``dashboard.json``: everything the HTML page and ``rai show`` render."""
    return read_json(Path(folder) / "dashboard.json")


def _plain(value: Any) -> Any:
    """numpy scalars and arrays as JSON."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    return str(value)
