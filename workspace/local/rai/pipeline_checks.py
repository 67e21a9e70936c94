"""Checks run when a pipeline holding RAI steps is submitted, so bad input fails before any step computes.

The pipeline compiler hands over its steps (resolved inputs, and which step
feeds which); the constructor's data and model are read once, and each tool
step's arguments are checked against them with the step's own ``check``.
"""

from __future__ import annotations

from pathlib import Path

from workspace.errors import AmlPilotError, UserInputError
from workspace.local.rai import checks
from workspace.local.rai.components import CONSTRUCTOR, canonical


def check_pipeline(steps: dict[str, dict]) -> None:
    rai = {step_id: canonical(step.get("component") or "") for step_id, step in steps.items()}
    rai = {step_id: name for step_id, name in rai.items() if name}
    if not rai:
        return
    for step_id in rai:
        literals = {n: b.get("value") for n, b in (steps[step_id]["template"]["spec"].get("inputs") or {}).items() if b.get("type") == "literal"}
        _named(step_id, _quotable, literals)
    facts: dict[str, dict] = {}
    for step_id, name in rai.items():
        if name == CONSTRUCTOR:
            facts[step_id] = _named(step_id, _constructor_facts, _inputs(steps[step_id]))
    for step_id, name in rai.items():
        source = (steps[step_id].get("refs") or {}).get("rai_insights_dashboard")
        if name != CONSTRUCTOR and source and source[0] in facts:
            _named(step_id, _tool_check, name, facts[source[0]], _inputs(steps[step_id]))


def _inputs(step: dict) -> dict:
    resolved = step["template"]["spec"].get("inputs") or {}
    return {n: (b.get("value") if b.get("type") == "literal" else b.get("local")) for n, b in resolved.items()}


def _named(step_id: str, function, *args):
    """Errors name the step and the input: 'jobs.counterfactual.inputs.desired_class: ...'."""
    try:
        return function(*args)
    except AmlPilotError as exc:
        raise UserInputError(f"jobs.{step_id}.inputs.{exc.message}", field=getattr(exc, "field", None), value=getattr(exc, "value", None)) from None


def _quotable(inputs: dict) -> None:
    """Text literals reach the step inside '...' on its command line, so they can't hold a single quote (paths are quoted safely)."""
    for name, value in inputs.items():
        if isinstance(value, str) and "'" in value:
            raise UserInputError.invalid(name, value, "holds a single quote, which the step's command line can't carry; leave it out")


def _constructor_facts(inputs: dict) -> dict:
    from workspace.local.rai.steps import read_table

    task_type = checks.check_task(inputs.get("task_type"))
    if not inputs.get("model_input"):
        raise UserInputError.missing("model_input", "an mlflow_model Input, e.g. azureml:diabetes-model:1")
    train = read_table(inputs["train_dataset"], "train_dataset")
    test = read_table(inputs["test_dataset"], "test_dataset")
    target = inputs.get("target_column_name")
    dtypes = {c: ("object" if test[c].dtype == object else str(test[c].dtype)) for c in test.columns}
    features = checks.check_data(task_type, target, list(train.columns), list(test.columns), Path(inputs["model_input"]), dtypes)
    checks.check_features("categorical_column_names", checks.parse_list("categorical_column_names", inputs.get("categorical_column_names")), features)
    from workspace.local.rai.compute.encoding import label_text

    classes = checks.parse_list("classes", inputs.get("classes")) or sorted(set(label_text(train[target])))
    return {"task_type": task_type, "features": features, "classes": classes if task_type == "classification" else None}


def _tool_check(name: str, facts: dict, inputs: dict) -> None:
    from workspace.local.rai import causal, counterfactual, erroranalysis

    task_type, features, classes = facts["task_type"], facts["features"], facts["classes"]
    if name == "rai_tabular_causal":
        causal.check(task_type, features, classes, inputs.get("treatment_features"), inputs.get("heterogeneity_features", "[]"),
                     inputs.get("nuisance_model", "linear"), inputs.get("alpha", 0.05), inputs.get("treatment_cost", "0"),
                     inputs.get("heterogeneity_model", "linear"))
    elif name == "rai_tabular_counterfactual":
        counterfactual.check(task_type, features, classes, total_cfs=inputs.get("total_CFs", 10), method=inputs.get("method", "random"),
                             desired_class=inputs.get("desired_class", "None"), desired_range=inputs.get("desired_range", "[]"),
                             permitted_range=inputs.get("permitted_range", "{}"), features_to_vary=inputs.get("features_to_vary", "all"))
    elif name == "rai_tabular_erroranalysis":
        erroranalysis.check(features, inputs.get("max_depth", 3), inputs.get("num_leaves", 31), inputs.get("min_child_samples", 20),
                            checks.parse_list("filter_features", inputs.get("filter_features")))
