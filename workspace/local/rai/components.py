"""The built-in RAI components, with Azure's names, inputs and outputs.

Every local workspace has them (``client.components.get(name, label="latest")``),
as does the registry handle ``LocalMLClient(root, registry_name="azureml")``.
Azure's registry also names them ``microsoft_azureml_<name>``; both resolve.
Each is a command component whose command runs this package's step module in
the current interpreter (the curated responsibleai environment maps to it).
"""

from __future__ import annotations

from typing import Any

VERSION = "0.18.0"
ALIAS_PREFIX = "microsoft_azureml_"
ENVIRONMENT = "azureml:AzureML-responsibleai-0.20-ubuntu20.04-py38-cpu@latest"
CONSTRUCTOR, GATHER = "rai_tabular_insight_constructor", "rai_tabular_insight_gather"
TOOL_OUTPUTS = {"rai_tabular_explanation": "explanation", "rai_tabular_causal": "causal",
                "rai_tabular_counterfactual": "counterfactual", "rai_tabular_erroranalysis": "error_analysis"}

S, I, N, B, F = "string", "integer", "number", "boolean", "uri_folder"


def _spec(display: str, module: str, inputs: dict[str, tuple], outputs: dict[str, str], deterministic: bool = True) -> dict:
    """inputs: name -> (type, default or None, optional); the command passes each as --name, optional ones in $[[ ]]."""
    parts = [f"python -m workspace.local.rai.{module}"]
    for name, (kind, _default, optional) in inputs.items():
        value = f"'${{{{inputs.{name}}}}}'" if kind == S else f"${{{{inputs.{name}}}}}"
        parts.append(f"$[[--{name} {value}]]" if optional else f"--{name} {value}")
    parts += [f"--{flag} ${{{{outputs.{name}}}}}" for name, flag in outputs.items()]
    return {"display_name": display, "command": " ".join(parts), "inputs": inputs, "outputs": list(outputs), "deterministic": deterministic}


_INSIGHTS_IN = {"rai_insights_dashboard": (F, None, False)}

SPECS: dict[str, dict] = {
    CONSTRUCTOR: _spec("RAI Insights dashboard constructor", "constructor", {
        "title": (S, "", False), "task_type": (S, None, False), "model_info": (S, "", False), "model_input": ("mlflow_model", None, True),
        "train_dataset": ("mltable", None, False), "test_dataset": ("mltable", None, False), "target_column_name": (S, None, False),
        "maximum_rows_for_test_dataset": (I, 5000, False), "categorical_column_names": (S, "[]", False), "classes": (S, "[]", False),
        "feature_metadata": (S, "{}", False), "use_model_dependency": (B, False, False),
    }, {"rai_insights_dashboard": "output_path"}),
    "rai_tabular_explanation": _spec("Explanation", "explanation", {**_INSIGHTS_IN, "comment": (S, "", False)},
                                     {"explanation": "explanation_path"}),
    "rai_tabular_causal": _spec("Causal analysis", "causal", {
        **_INSIGHTS_IN, "treatment_features": (S, None, False), "heterogeneity_features": (S, "[]", False),
        "nuisance_model": (S, "linear", False), "heterogeneity_model": (S, "linear", False), "alpha": (N, 0.05, False),
        "upper_bound_on_cat_expansion": (I, 50, False), "treatment_cost": (S, "0", False), "min_tree_leaf_samples": (I, 2, False),
        "max_tree_depth": (I, 2, False), "skip_cat_limit_checks": (B, False, False), "categories": (S, "auto", False),
        "n_jobs": (I, 1, False), "verbose": (I, 1, False), "random_state": (S, "None", False),
    }, {"causal": "causal_path"}),
    "rai_tabular_counterfactual": _spec("Counterfactuals", "counterfactual", {
        **_INSIGHTS_IN, "total_CFs": (I, 10, False), "method": (S, "random", False), "desired_class": (S, "None", False),
        "desired_range": (S, "[]", False), "permitted_range": (S, "{}", False), "features_to_vary": (S, "all", False),
        "feature_importance": (B, True, False),
    }, {"counterfactual": "counterfactual_path"}),
    "rai_tabular_erroranalysis": _spec("Error analysis", "erroranalysis", {
        **_INSIGHTS_IN, "max_depth": (I, 3, False), "num_leaves": (I, 31, False), "min_child_samples": (I, 20, False),
        "filter_features": (S, "[]", False),
    }, {"error_analysis": "error_analysis_path"}),
    # Never reused: each gather links its dashboard to the model, which a reused step would skip.
    GATHER: _spec("Gather RAI Insights dashboard", "gather", {
        "constructor": (F, None, False), **{f"insight_{i}": (F, None, True) for i in range(1, 5)},
    }, {"dashboard": "dashboard", "ux_json": "ux_json"}, deterministic=False),
    "rai_tabular_score_card": _spec("Gather RAI Insights score card", "scorecard", {
        "dashboard": (F, None, False), "pdf_generation_config": ("uri_file", None, False), "predefined_cohorts_json": ("uri_file", None, True),
    }, {"scorecard": "scorecard_path"}),
}


def canonical(name: str) -> str | None:
    """The built-in's name for ``name`` (Azure's registry alias accepted), or None."""
    plain = name[len(ALIAS_PREFIX):] if name.startswith(ALIAS_PREFIX) else name
    return plain if plain in SPECS else None


def builtin(name: str) -> Any:
    """The built-in component ``name`` as azure-ai-ml's CommandComponent."""
    from azure.ai.ml import Input, Output
    from azure.ai.ml.entities import CommandComponent

    spec = SPECS[canonical(name)]
    inputs = {}
    for input_name, (kind, default, optional) in spec["inputs"].items():
        fields = {"optional": True} if optional or default is not None else {}
        if default is not None:
            fields["default"] = default
        inputs[input_name] = Input(type=kind, **fields)
    component = CommandComponent(
        name=name, version=VERSION, display_name=spec["display_name"], command=spec["command"], environment=ENVIRONMENT,
        inputs=inputs, outputs={o: Output(type="uri_folder") for o in spec["outputs"]}, is_deterministic=spec["deterministic"],
        description=f"{spec['display_name']} (Responsible AI, computed locally by amlpilot)", tags={"builtin": "true"},
    )
    component._id = f"azureml://registries/azureml/components/{name}/versions/{VERSION}"
    return component


class RegistryComponentOperations:
    """``components`` of the registry handle ``LocalMLClient(root, registry_name="azureml")``: the built-ins, read-only."""

    def get(self, name: str, version: str | None = None, label: str | None = None) -> Any:
        from workspace.errors import ResourceNotFoundError
        from workspace.local.operations.components import _builtin

        if canonical(name) is None:
            raise ResourceNotFoundError.of("component", name, known=sorted(SPECS))
        return _builtin(name, version, label)

    def list(self, name: str | None = None, **_: Any) -> list:
        names = [name] if name else sorted(SPECS)
        return [self.get(n) for n in names]

    def create_or_update(self, component: Any, **_: Any) -> Any:
        from workspace.errors import NotSupportedLocallyError

        raise NotSupportedLocallyError.field("registry_name", "azureml", "the local azureml registry holds only the built-in components")
