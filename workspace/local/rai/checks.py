"""Bad input is refused before anything computes, with one line naming the field and the value.

The same checks run when a pipeline holding RAI steps is submitted
(``check_pipeline_steps``), when the agent previews a dashboard, and again
inside each step, so a pipeline built any way fails early and clearly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from workspace.errors import UserInputError

TASK_TYPES = ("classification", "regression")
NONE_TEXT = ("", "none", "null")
_NUMERIC_SIGNATURE_TYPES = ("long", "integer", "double", "float")


def parse_list(field: str, value: Any) -> list:
    """Azure's components take lists as JSON text ('["Age", "BMI"]'); lists are accepted as they are."""
    if value is None or (isinstance(value, str) and value.strip().lower() in NONE_TEXT):
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    try:
        parsed = json.loads(value)
    except (TypeError, json.JSONDecodeError):
        raise UserInputError.invalid(field, value, 'is not a JSON list, e.g. ["Age", "BMI"]') from None
    if not isinstance(parsed, list):
        raise UserInputError.invalid(field, value, 'is not a JSON list, e.g. ["Age", "BMI"]')
    return parsed


def parse_json(field: str, value: Any, kind: type, example: str) -> Any:
    if value is None or (isinstance(value, str) and value.strip().lower() in NONE_TEXT):
        return kind()
    if isinstance(value, kind):
        return value
    try:
        parsed = json.loads(value)
    except (TypeError, json.JSONDecodeError):
        raise UserInputError.invalid(field, value, f"is not JSON, e.g. {example}") from None
    if not isinstance(parsed, kind):
        raise UserInputError.invalid(field, value, f"is not a JSON {kind.__name__}, e.g. {example}")
    return parsed


def is_unset(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in NONE_TEXT)


def check_task(task_type: Any) -> str:
    if str(task_type).lower() not in TASK_TYPES:
        raise UserInputError.invalid("task_type", task_type, f"is not a task type; use {' or '.join(TASK_TYPES)}")
    return str(task_type).lower()


def check_data(task_type: str, target: str, train_columns: list, test_columns: list, model_folder: Path | None,
               data_types: dict | None = None) -> list[str]:
    """The model's feature columns, after checking the target and the model's signature against the data."""
    if not target:
        raise UserInputError.missing("target_column_name")
    for field, columns in (("train_dataset", train_columns), ("test_dataset", test_columns)):
        if target not in columns:
            raise UserInputError.invalid("target_column_name", target, f"is not a column of {field} (columns: {_shown(columns)})")
    features = [c for c in test_columns if c != target]
    if model_folder is None:
        return features
    from workspace.local.rai.model import signature_columns, signature_types

    wanted = signature_columns(model_folder)
    if wanted is None:
        return features
    for field, columns in (("test_dataset", test_columns), ("train_dataset", train_columns)):
        missing = [c for c in wanted if c not in columns]
        if missing:
            raise UserInputError.invalid("model_input", f"signature column {missing[0]}",
                                         f"is not in {field}; the model expects {_shown(wanted)} but the data has {_shown(columns)}")
    if target in wanted:
        raise UserInputError.invalid("target_column_name", target, "is an input of the model's signature, so it can't be the target")
    for column, kind in signature_types(model_folder).items():
        if kind in _NUMERIC_SIGNATURE_TYPES and data_types and data_types.get(column) == "object":
            raise UserInputError.invalid("model_input", f"signature column {column}", f"is {kind} in the model's signature, but text in test_dataset")
    return wanted


def check_features(field: str, names: list, features: list[str], most: int | None = None) -> list:
    for name in names:
        if name not in features:
            raise UserInputError.invalid(field, name, f"is not a feature column (features: {_shown(features)})")
    if most is not None and len(names) > most:
        raise UserInputError.invalid(field, names, f"names {len(names)} features; at most {most} are allowed")
    return names


def check_counterfactual(task_type: str, desired_class: Any, desired_range: Any, classes: list | None = None) -> None:
    if task_type == "regression" and not is_unset(desired_class):
        raise UserInputError.invalid("desired_class", desired_class, "applies to classification; a regression task takes desired_range")
    if task_type == "classification" and parse_list("desired_range", desired_range):
        raise UserInputError.invalid("desired_range", desired_range, "applies to regression; a classification task takes desired_class")
    if task_type == "regression":
        bounds = parse_list("desired_range", desired_range)
        if len(bounds) != 2 or not all(isinstance(b, (int, float)) for b in bounds) or bounds[0] > bounds[1]:
            raise UserInputError.invalid("desired_range", desired_range, "needs two numbers [low, high] for a regression task")
    elif not is_unset(desired_class) and str(desired_class) != "opposite" and classes:
        from workspace.local.rai.compute.encoding import label_text

        if label_text([desired_class])[0] not in set(label_text(classes)):
            raise UserInputError.invalid("desired_class", desired_class, f"is not a class of the model (classes: {_shown(classes)}) nor 'opposite'")


def _shown(columns: list) -> str:
    columns = [str(c) for c in columns]
    return ", ".join(columns[:10]) + (", ..." if len(columns) > 10 else "")
