"""rai-*: Responsible AI dashboards: build one for a registered model (error analysis, explanations, counterfactuals, causal analysis), list them, read one's summary.

A dashboard is a pipeline job of Azure's built-in RAI components (constructor,
tools, gather), exactly as Azure ML's notebooks build it, so the same request
runs on Azure ML unchanged.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import Field

from tools.base import ML, Plan, ToolCall, ToolPlugin, one_of, tool
from tools.jobs import Compute, Experiment, JobName, NewJobName, get_reference, job_summary
from workspace.errors import UserInputError

READ, WRITE = f"{ML}/jobs/read", f"{ML}/jobs/write"
INSIGHTS = ("explanation", "error_analysis", "counterfactual", "causal")
TASKS = ("classification", "regression")
COMPONENT = {"explanation": "rai_tabular_explanation", "error_analysis": "rai_tabular_erroranalysis",
             "counterfactual": "rai_tabular_counterfactual", "causal": "rai_tabular_causal"}

ModelReference = Annotated[str, Field(min_length=1, max_length=300), "A registered MLflow model: name, name:version or azureml:name@latest"]
DataReference = Annotated[str, Field(min_length=1, max_length=300), "An mltable data asset: name, name:version or azureml:name@latest"]
Insight = Annotated[Literal[INSIGHTS], one_of(*INSIGHTS)]
Features = Annotated[list[Annotated[str, Field(min_length=1, max_length=255)]] | None, Field(max_length=20)]


class RaiPlugin(ToolPlugin):
    plugin_name = "rai"
    description = "Responsible AI: dashboards with error analysis, feature importance, counterfactuals and causal analysis for a registered model."

    @tool(effect="write", permission=WRITE, examples=[
        "build a responsible AI dashboard for diabetes-model on diabetes-train and diabetes-test",
        "create an RAI dashboard for diabetes-model:1 with train data diabetes-train and test data diabetes-test predicting Diabetic",
        "run error analysis and explanations for credit-model on credit-test", "explain diabetes-model's predictions on diabetes-test",
        "what is the causal effect of BMI on Diabetic? use diabetes-model on diabetes-train and diabetes-test",
        "responsible ai insights for churn-model with counterfactuals that flip the prediction",
    ])
    def create_dashboard(
        self, model: ModelReference, train_data: DataReference, test_data: DataReference,
        target_column: Annotated[str | None, Field(min_length=1, max_length=255),
                                 "The column the model predicts; omit to take the one data column the model doesn't read (IDs aside)"] = None,
        task_type: Annotated[Literal[TASKS] | None, one_of(*TASKS), "classification or regression; omit to infer from the target column"] = None,
        insights: Annotated[list[Insight] | None, Field(max_length=4),
                            "Which insights: explanation, error_analysis, counterfactual, causal; omit for all (causal only when treatment_features are given)"] = None,
        treatment_features: Annotated[Features, "Causal analysis: the features whose effect on the target to estimate, e.g. [\"BMI\"]"] = None,
        desired_class: Annotated[str | None, Field(max_length=100), "Counterfactuals (classification): the class to reach, or 'opposite'"] = None,
        desired_range: Annotated[list[float] | None, Field(min_length=2, max_length=2), "Counterfactuals (regression): [low, high] to reach"] = None,
        title: Annotated[str | None, Field(max_length=200), "The dashboard's title"] = None,
        compute: Compute = None, experiment_name: Experiment = None, name: NewJobName = None,
    ) -> dict:
        """Build a Responsible AI dashboard for a registered MLflow model: submits a pipeline of Azure's RAI components (constructor, the chosen insights, gather).

        Everything is checked first (target in the data, treatment features are columns, desired_class only for classification,
        the model's signature matches the data). Follow it with jobs-get; read it with rai-show when it has completed.
        """
        args = {k: v for k, v in locals().items() if k != "self"}
        plan = self.preview_create_dashboard(**args)
        created = self.client.jobs.create_or_update(self._pipeline(plan.desired, compute, experiment_name, name))
        return {"status": "submitted", "job": job_summary(created), "summary": plan.summary, "dashboard": created.name}

    def preview_create_dashboard(
        self, model: str, train_data: str, test_data: str, target_column: str | None = None, task_type: str | None = None,
        insights: list[str] | None = None, treatment_features: list[str] | None = None, desired_class: str | None = None,
        desired_range: list[float] | None = None, title: str | None = None, compute: str | None = None,
        experiment_name: str | None = None, name: str | None = None,
    ) -> Plan:
        from workspace.local.rai import causal, checks, counterfactual

        model_entity = get_reference(self.client.models, model)
        if str(model_entity.type) != "mlflow_model":
            raise UserInputError.invalid("model", model, f"is a {model_entity.type}; a dashboard needs an mlflow_model")
        train, test = self._data("train_data", train_data), self._data("test_data", test_data)
        model_dir = self.client.models.local_path(model_entity.name, str(model_entity.version))
        target = target_column or _guess_target(train[1], model_dir)
        if task_type is None:
            task_type = _guess_task(train[1][target]) if target in train[1].columns else "classification"  # a missing target fails below
        task = task_type
        features = checks.check_data(checks.check_task(task), target, list(train[1].columns), list(test[1].columns), model_dir,
                                     {c: ("object" if test[1][c].dtype == object else str(test[1][c].dtype)) for c in test[1].columns})
        chosen = list(dict.fromkeys(insights or [i for i in INSIGHTS if i != "causal" or treatment_features]))
        if "causal" in chosen:
            causal.check(task, features, None, treatment_features or [])
        elif treatment_features:
            chosen.append("causal")
            causal.check(task, features, None, treatment_features)
        if task == "regression" and "counterfactual" in chosen and not desired_range and not desired_class:
            raise UserInputError.missing("desired_range", "regression counterfactuals need [low, high] to reach")
        if "counterfactual" in chosen:
            counterfactual.check(task, features, None, desired_class=desired_class or ("opposite" if task == "classification" else "None"),
                                 desired_range=json.dumps(desired_range or []))
        if compute:
            self.client.compute.get(compute)
        if name:
            from tools.jobs import JobsPlugin

            JobsPlugin(self.client, self.context)._check_new_name(name)
        desired = {"model": f"{model_entity.name}:{model_entity.version}", "train_data": train[0], "test_data": test[0], "target_column": target,
                   "task_type": task, "insights": chosen, "treatment_features": treatment_features or [], "desired_class": desired_class,
                   "desired_range": desired_range, "title": title or f"RAI dashboard for {model_entity.name}:{model_entity.version}",
                   "features": features}
        return Plan(
            action="submit rai dashboard pipeline", target=f"job/{name or '(new)'}", current=None, desired=desired,
            summary=f"rai dashboard {name or '(generated name)'}: absent -> {task} of {target} by {desired['model']} on {test[0]} "
                    f"(trained on {train[0]}): {', '.join(chosen) or 'model overview only'}",
            resource_name=name, inverse=ToolCall(tool="jobs-cancel", arguments={"name": name}) if name else None,
            warnings=[] if "causal" in chosen else ["no causal analysis: name treatment_features to include it"],
        )

    @tool(effect="read", permission=READ, examples=[
        "list responsible AI dashboards", "which RAI dashboards does diabetes-model have?", "show my rai insights",
        "what responsible AI dashboards are there?", "list the rai dashboards of diabetes-model:1", "do I have any responsible ai insights?",
    ])
    def list(self, model: Annotated[str | None, Field(max_length=300), "Only dashboards of this model (name or name:version)"] = None) -> list[dict]:
        """List Responsible AI dashboards, newest first: name (the pipeline job), model, title, insights."""
        from workspace.local.rai import registry

        return [{"name": d["name"], "model": d["model_id"], "title": d["title"], "insights": d["insights"], "task_type": d["task_type"]}
                for d in registry.list_insights(self.client, model)]

    @tool(effect="read", permission=READ, examples=[
        "show the responsible AI dashboard calm_lake_123", "summarise the RAI insights of job calm_lake_123",
        "what are the top error cohorts in dashboard calm_lake_123?", "which features matter most for the rai dashboard calm_lake_123?",
        "what causal effects did the responsible ai dashboard calm_lake_123 find?", "rai summary of calm_lake_123",
    ])
    def show(self, name: JobName) -> dict:
        """Summarise a finished dashboard: metrics, top error cohorts, top features, causal effects with confidence intervals, counterfactual counts."""
        from workspace.local.rai import registry

        return dashboard_summary(registry.load_dashboard(self.client, name))

    def _data(self, field: str, reference: str) -> tuple[str, Any]:
        data = get_reference(self.client.data, reference)
        if str(data.type) != "mltable":
            raise UserInputError.invalid(field, reference, f"is a {data.type} asset; a dashboard reads mltable data")
        return f"{data.name}:{data.version}", self.client.data.load_dataframe(data.name, version=str(data.version))

    def _pipeline(self, desired: dict, compute: str | None, experiment_name: str | None, name: str | None) -> Any:
        return build_pipeline(self.client, desired, compute=compute, experiment_name=experiment_name, name=name)


def build_pipeline(client: Any, desired: dict, *, compute: str | None = None, experiment_name: str | None = None, name: str | None = None) -> Any:
    """The notebooks' pipeline: constructor, one step per insight, gather (insight_1..4 in the order chosen)."""
    from azure.ai.ml import Input
    from azure.ai.ml.dsl import pipeline

    components = {key: client.components.get(component, label="latest") for key, component in COMPONENT.items()}
    constructor = client.components.get("rai_tabular_insight_constructor", label="latest")
    gather = client.components.get("rai_tabular_insight_gather", label="latest")
    task = desired["task_type"]
    arguments = {
        "explanation": {"comment": desired["title"]}, "error_analysis": {},
        "causal": {"treatment_features": json.dumps(desired["treatment_features"])},
        "counterfactual": {"total_CFs": 10, "desired_class": desired["desired_class"] or ("opposite" if task == "classification" else "None"),
                           "desired_range": json.dumps(desired["desired_range"] or [])},
    }
    outputs = {"explanation": "explanation", "error_analysis": "error_analysis", "causal": "causal", "counterfactual": "counterfactual"}

    @pipeline(name=name, display_name=desired["title"], experiment_name=experiment_name or "rai_dashboards", default_compute=compute)
    def rai_dashboard():
        built = constructor(
            title=desired["title"], task_type=task, model_info=desired["model"], model_input=Input(type="mlflow_model", path=f"azureml:{desired['model']}"),
            train_dataset=Input(type="mltable", path=f"azureml:{desired['train_data']}"), test_dataset=Input(type="mltable", path=f"azureml:{desired['test_data']}"),
            target_column_name=desired["target_column"],
        )
        insights = built.outputs.rai_insights_dashboard
        steps = [components[key](rai_insights_dashboard=insights, **arguments[key]) for key in desired["insights"]]
        gathered = gather(constructor=insights, **{f"insight_{i + 1}": getattr(step.outputs, outputs[key])
                                                  for i, (key, step) in enumerate(zip(desired["insights"], steps))})
        return {"dashboard": gathered.outputs.dashboard}

    job = rai_dashboard()
    if name:
        job.name = name
    return job


def dashboard_summary(data: dict, top: int = 5) -> dict:
    config, insights = data["config"], data["insights"]
    summary: dict[str, Any] = {"title": config["title"], "model": config.get("model_id"), "task_type": config["task_type"],
                               "target": config["target_column"], "test_rows": config["rows"]["test"], "metrics": data["overview"]["metrics"]}
    if (ea := insights.get("error_analysis")):
        summary["overall_error"] = ea["overall_error_rate"]
        summary["top_error_cohorts"] = [{k: c[k] for k in ("description", "size", "error_rate")} for c in ea["top_cohorts"][:top]]
    if (ex := insights.get("explanation")):
        summary["top_features"] = dict(sorted(ex["global_importance"].items(), key=lambda kv: -kv[1])[:top])
    if (ca := insights.get("causal")):
        summary["causal_effects"] = [{k: t[k] for k in ("feature", "point", "ci_lower", "ci_upper", "p_value")} for t in ca["treatments"]]
    if (cf := insights.get("counterfactual")):
        summary["counterfactuals"] = {"rows": len(cf["rows"]), "found": sum(r["found"] for r in cf["rows"])}
    return summary


def _guess_target(frame: Any, model_dir: Any) -> str:
    """The one column the model doesn't read, leaving out ID-like columns (all values distinct, or named *ID)."""
    from workspace.local.rai.model import signature_columns

    inputs = signature_columns(model_dir)
    if inputs is None:
        raise UserInputError.missing("target_column", "the model has no signature to tell features from the target")
    left = [c for c in frame.columns if c not in inputs]
    candidates = [c for c in left if not str(c).lower().endswith("id") and frame[c].nunique() < len(frame)]
    if len(candidates) != 1:
        raise UserInputError.missing("target_column", f"candidates: {', '.join(map(str, candidates or left)) or 'none'}")
    return candidates[0]


def _guess_task(values: Any) -> str:
    return "classification" if values.dtype in (object, bool) or values.nunique() <= 10 else "regression"
