"""Step ``rai_tabular_insight_constructor``: check the model and data, freeze them into an insights folder.

``python -m workspace.local.rai.constructor --task_type ... --output_path DIR``
takes Azure's argument names.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path

from workspace.errors import UserInputError
from workspace.local.rai import checks
from workspace.local.rai.steps import flag, parser, read_table, run

_log = logging.getLogger("rai.constructor")


def main(argv: list[str] | None) -> None:
    p = parser("Create an RAI insights folder from an MLflow model and train/test MLTables")
    p.add_argument("--title", default="")
    p.add_argument("--task_type", required=True)
    p.add_argument("--model_info", default="")
    p.add_argument("--model_input", required=True)
    p.add_argument("--model_info_path", default="")
    p.add_argument("--train_dataset", required=True)
    p.add_argument("--test_dataset", required=True)
    p.add_argument("--target_column_name", required=True)
    p.add_argument("--maximum_rows_for_test_dataset", type=int, default=5000)
    p.add_argument("--categorical_column_names", default="[]")
    p.add_argument("--classes", default="[]")
    p.add_argument("--feature_metadata", default="{}")
    p.add_argument("--use_model_dependency", default="False")
    p.add_argument("--output_path", required=True)
    args = p.parse_args(argv)
    build(args.output_path, task_type=args.task_type, model_dir=args.model_input, train=read_table(args.train_dataset, "train_dataset"),
          test=read_table(args.test_dataset, "test_dataset"), target=args.target_column_name, title=args.title,
          model_info=args.model_info, max_test_rows=args.maximum_rows_for_test_dataset,
          categorical=checks.parse_list("categorical_column_names", args.categorical_column_names),
          classes=checks.parse_list("classes", args.classes),
          feature_metadata=checks.parse_json("feature_metadata", args.feature_metadata, dict, '{"dropped_features": []}'),
          use_model_dependency=flag(args.use_model_dependency))


def build(out: str | Path, *, task_type: str, model_dir: str | Path, train, test, target: str, title: str = "", model_info: str = "",
          max_test_rows: int = 5000, categorical: list | None = None, classes: list | None = None,
          feature_metadata: dict | None = None, use_model_dependency: bool = False) -> dict:
    import pandas as pd

    from workspace.local.rai.folder import write_constructor
    from workspace.local.rai.model import load_model

    task_type = checks.check_task(task_type)
    dtypes = {c: ("object" if test[c].dtype == object else str(test[c].dtype)) for c in test.columns}
    features = checks.check_data(task_type, target, list(train.columns), list(test.columns), Path(model_dir), dtypes)
    dropped = (feature_metadata or {}).get("dropped_features") or []
    features = [f for f in features if f not in dropped]
    # Azure's feature_metadata may name categorical features too; both lists count.
    named = list(dict.fromkeys([*(categorical or []), *((feature_metadata or {}).get("categorical_features") or [])]))
    categorical = checks.check_features("categorical_column_names", named, features)
    if max_test_rows < 1:
        raise UserInputError.invalid("maximum_rows_for_test_dataset", max_test_rows, "must be at least 1")
    if len(test) > max_test_rows:
        _log.info("test_dataset has %d rows; using a random %d (maximum_rows_for_test_dataset)", len(test), max_test_rows)
        test = test.sample(max_test_rows, random_state=0).sort_index()
    train, test = train[features + [target]].reset_index(drop=True), test[features + [target]].reset_index(drop=True)
    model = load_model(Path(model_dir), task_type)
    predictions = pd.DataFrame({"prediction": model.predict(test)})
    from workspace.local.rai.compute.encoding import label_text

    known = classes or model.classes or sorted(train[target].unique())
    model_classes = [str(c) for c in label_text(known)] if task_type == "classification" else None
    if task_type == "classification" and model.has_proba:
        for i, label in enumerate(model.classes):
            predictions[f"proba_{label}"] = model.predict_proba(test)[:, i]
    config = {
        "title": title or f"RAI insights for {model_info or Path(model_dir).name}", "task_type": task_type, "target_column": target,
        "features": features, "categorical_features": categorical, "classes": model_classes, "model_id": model_info or None,
        "feature_metadata": feature_metadata or {}, "use_model_dependency": use_model_dependency,
        "rows": {"train": len(train), "test": len(test)}, "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    write_constructor(Path(out), config, Path(model_dir), train, test, predictions)
    _log.info("insights folder for %s: %d features, %d train rows, %d test rows", config["title"], len(features), len(train), len(test))
    return config


if __name__ == "__main__":
    run(main)
