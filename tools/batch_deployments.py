"""batch_deployments-*: the model behind a batch endpoint and how it splits the work: create, list, show, delete."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field

from tools.base import ML, Plan, ToolCall, ToolPlugin, one_of, tool
from tools.batch_endpoints import batch_deployment_names, default_deployment
from tools.online_deployments import ModelRef, ModelVersion, ScoringScript, Environment, model_reference
from workspace.errors import UserInputError

DEPLOYMENTS = f"{ML}/batchEndpoints/deployments"
READ, WRITE, DELETE = f"{DEPLOYMENTS}/read", f"{DEPLOYMENTS}/write", f"{DEPLOYMENTS}/delete"
OUTPUT_ACTIONS = ("append_row", "summary_only")

EndpointRef = Annotated[str, Field(min_length=1, max_length=64), "Name of the batch endpoint the deployment belongs to"]
DeploymentName = Annotated[str, Field(min_length=3, max_length=32, pattern=r"^[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]$"),
                           "Name of the batch deployment: 3-32 letters, digits and hyphens"]


def batch_deployment_summary(deployment: Any, endpoint: Any = None) -> dict:
    settings = getattr(deployment, "settings", None) or deployment
    model = deployment.model
    summary = {
        "name": deployment.name, "endpoint_name": deployment.endpoint_name,
        "model": model if isinstance(model, str) or model is None else (
            f"azureml:{model.name}:{model.version}" if getattr(model, "version", None) else str(getattr(model, "path", model))),
        "compute": str(deployment.compute).removeprefix("azureml:") if getattr(deployment, "compute", None) else None,
        "instance_count": getattr(settings, "instance_count", None) or getattr(getattr(deployment, "resources", None), "instance_count", None),
        "max_concurrency_per_instance": getattr(settings, "max_concurrency_per_instance", None),
        "mini_batch_size": getattr(settings, "mini_batch_size", None),
        "output_action": str(getattr(getattr(settings, "output_action", None), "value", getattr(settings, "output_action", None)) or "") or None,
        "output_file_name": getattr(settings, "output_file_name", None),
        "error_threshold": getattr(settings, "error_threshold", None),
    }
    if endpoint is not None:
        summary["default"] = default_deployment(endpoint) == deployment.name
    return {k: v for k, v in summary.items() if v not in (None, "")}


class BatchDeploymentsPlugin(ToolPlugin):
    plugin_name = "batch_deployments"
    description = "Batch deployments: the model a batch endpoint scores with, on which compute, in what mini-batches."

    def _deployment(self, name: str, endpoint_name: str) -> Any:
        return self.client.batch_deployments.get(name=name, endpoint_name=endpoint_name)

    @tool(effect="read", permission=READ, examples=[
        "list the deployments of nightly-scoring", "what's deployed on the batch endpoint?", "show batch deployments of churn-batch",
        "which model does nightly-scoring use", "batch deployments for fraud-batch",
    ])
    def list(self, endpoint_name: EndpointRef) -> list[dict]:
        """List a batch endpoint's deployments: model, compute, parallelism, mini-batch size, output, which is the default."""
        endpoint = self.client.batch_endpoints.get(endpoint_name)
        return [batch_deployment_summary(d, endpoint) for d in self.client.batch_deployments.list(endpoint_name=endpoint_name)]

    @tool(effect="read", permission=READ, examples=[
        "show batch deployment mlflow-dpl on nightly-scoring", "what mini batch size does mlflow-dpl use?",
        "details of the default batch deployment", "how many workers does mlflow-dpl run", "describe batch deployment v2-dpl",
    ])
    def get(self, name: Annotated[str, Field(min_length=1, max_length=32), "Name of the batch deployment"], endpoint_name: EndpointRef) -> dict:
        """Show one batch deployment: its model, compute, instances, concurrency, mini-batch size, output and error threshold."""
        endpoint = self.client.batch_endpoints.get(endpoint_name)
        return batch_deployment_summary(self._deployment(name, endpoint_name), endpoint)

    @tool(effect="write", permission=WRITE, examples=[
        "deploy diabetes-model to nightly-scoring as mlflow-dpl on cpu-cluster", "add a batch deployment of churn-model:2 to churn-batch",
        "create batch deployment v2-dpl for credit version 3 with mini batch size 5", "put fraud-model behind fraud-batch using 2 instances",
        "set up batch scoring of diabetes-model on cpu-cluster, writing predictions.csv",
    ])
    def create(
        self, name: DeploymentName, endpoint_name: EndpointRef, model: ModelRef,
        compute: Annotated[str | None, Field(min_length=1, max_length=64), "Compute cluster the scoring jobs run on; omit for serverless"] = None,
        model_version: ModelVersion = None,
        instance_count: Annotated[int, Field(ge=1, le=100), "Nodes each scoring job uses"] = 1,
        max_concurrency_per_instance: Annotated[int, Field(ge=1, le=64), "Worker processes per node"] = 2,
        mini_batch_size: Annotated[int, Field(ge=1, le=10000), "Files per mini-batch given to one run() call"] = 10,
        output_action: Annotated[Literal[OUTPUT_ACTIONS], one_of(*OUTPUT_ACTIONS),
                                 "append_row (write every prediction to output_file_name) or summary_only"] = "append_row",
        output_file_name: Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[^/\\]+$"), "File the predictions go to"] = "predictions.csv",
        error_threshold: Annotated[int, Field(ge=-1, le=1000000), "Failed files tolerated before the job fails; -1 tolerates any"] = -1,
        scoring_script: ScoringScript = None, environment: Environment = None,
    ) -> dict:
        """Add a deployment to a batch endpoint: a registered model (MLflow, or custom with a scoring script with init() and run(mini_batch)) and how scoring jobs split files across workers. The endpoint's first deployment becomes its default."""
        plan = self.preview_create(name, endpoint_name, model, compute, model_version, instance_count, max_concurrency_per_instance,
                                   mini_batch_size, output_action, output_file_name, error_threshold, scoring_script, environment)
        from azure.ai.ml.entities import CodeConfiguration, ModelBatchDeployment, ModelBatchDeploymentSettings

        code = None
        if scoring_script:
            script = Path(scoring_script).expanduser().resolve()
            code = CodeConfiguration(code=str(script.parent), scoring_script=script.name)
        settings = ModelBatchDeploymentSettings(
            mini_batch_size=mini_batch_size, instance_count=instance_count, max_concurrency_per_instance=max_concurrency_per_instance,
            output_action=output_action, output_file_name=output_file_name, error_threshold=error_threshold)
        entity = ModelBatchDeployment(name=name, endpoint_name=endpoint_name, model=plan.desired["model"], compute=compute,
                                      settings=settings, code_configuration=code, environment=environment)
        created = self.client.batch_deployments.begin_create_or_update(entity).result()
        if plan.desired["default"]:
            endpoint = self.client.batch_endpoints.get(endpoint_name)
            if default_deployment(endpoint) != name:
                endpoint.defaults = {"deployment_name": name}
                self.client.batch_endpoints.begin_create_or_update(endpoint).result()
        return {"status": "deployed", "deployment": batch_deployment_summary(created, self.client.batch_endpoints.get(endpoint_name)),
                "summary": plan.summary}

    def preview_create(self, name: str, endpoint_name: str, model: str, compute: str | None = None, model_version: str | None = None,
                       instance_count: int = 1, max_concurrency_per_instance: int = 2, mini_batch_size: int = 10,
                       output_action: str = "append_row", output_file_name: str = "predictions.csv", error_threshold: int = -1,
                       scoring_script: str | None = None, environment: str | None = None) -> Plan:
        endpoint = self.client.batch_endpoints.get(endpoint_name)  # raises, naming the known endpoints
        existing = batch_deployment_names(self.client, endpoint_name)
        if name in existing:
            raise UserInputError.invalid("name", name, f"is already a deployment of {endpoint_name}; pick another name")
        if compute is not None:
            self.client.compute.get(compute)  # raises, naming the known computes
        reference, model_type = model_reference(self.client, model, model_version)
        if scoring_script is None and model_type != "mlflow_model":
            raise UserInputError.invalid("model", model, f"is a {model_type}; give scoring_script (a score.py with init() and run(mini_batch))")
        if scoring_script is not None and not Path(scoring_script).expanduser().is_file():
            raise UserInputError.missing_path("scoring_script", scoring_script)
        becomes_default = default_deployment(endpoint) is None
        desired = {"name": name, "model": reference, "compute": compute or "serverless", "workers": f"{instance_count} x {max_concurrency_per_instance}",
                   "mini_batch_size": mini_batch_size, "output": output_file_name if output_action == "append_row" else "summary only",
                   "error_threshold": error_threshold, "default": becomes_default}
        return Plan(
            action="create batch deployment", target=f"batch_endpoints/{endpoint_name}/deployments/{name}", current=None,
            desired=desired, resource_name=name,
            summary=(f"batch deployment {endpoint_name}/{name}: absent -> {reference} on {compute or 'serverless'}, "
                     f"{instance_count} x {max_concurrency_per_instance} workers, {mini_batch_size} files per mini-batch"
                     + (", the endpoint's default" if becomes_default else "")),
            inverse=None if becomes_default else ToolCall(tool="batch_deployments-delete", arguments={"name": name, "endpoint_name": endpoint_name}),
        )

    @tool(effect="destructive", permission=DELETE, resource_arg="name", examples=[
        "delete batch deployment v1-dpl from nightly-scoring", "remove the old batch deployment", "drop mlflow-dpl from churn-batch",
        "get rid of batch deployment test-dpl", "tear down the v1 batch deployment of fraud-batch",
    ])
    def delete(self, name: Annotated[str, Field(min_length=1, max_length=32), "Name of the batch deployment to delete"],
               endpoint_name: EndpointRef) -> dict:
        """Delete a batch deployment. The endpoint's default deployment can't be deleted while other deployments remain: make another the default first."""
        plan = self.preview_delete(name, endpoint_name)
        self.client.batch_deployments.begin_delete(name=name, endpoint_name=endpoint_name).result()
        return {"status": "deleted", "name": name, "endpoint_name": endpoint_name, "summary": plan.summary}

    def preview_delete(self, name: str, endpoint_name: str) -> Plan:
        endpoint = self.client.batch_endpoints.get(endpoint_name)
        current = batch_deployment_summary(self._deployment(name, endpoint_name), endpoint)
        others = [d for d in batch_deployment_names(self.client, endpoint_name) if d != name]
        if current.get("default") and others:
            raise UserInputError.invalid("name", name, f"is {endpoint_name}'s default deployment; make {others[0]} the default first")
        return Plan(
            action="delete batch deployment", target=f"batch_endpoints/{endpoint_name}/deployments/{name}", current=current,
            desired=None, summary=f"batch deployment {endpoint_name}/{name} ({current.get('model')}) -> absent", resource_name=name,
        )
