"""online_deployments-*: the models behind an online endpoint (blue, green, ...): deploy, scale, logs, delete.

Deploying can also give the new deployment a share of the endpoint's traffic
in the same step, which is how a blue/green rollout starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field

from tools.base import ML, Plan, ToolCall, ToolPlugin, one_of, tool
from tools.compute import VM_SIZES
from tools.online_endpoints import deployment_names, shifted, split_text
from workspace.errors import UserInputError

DEPLOYMENTS = f"{ML}/onlineEndpoints/deployments"
READ, WRITE, DELETE = f"{DEPLOYMENTS}/read", f"{DEPLOYMENTS}/write", f"{DEPLOYMENTS}/delete"
INSTANCE_TYPES = VM_SIZES  # managed online endpoints take the same Azure VM sizes as compute

DeploymentName = Annotated[str, Field(min_length=3, max_length=32, pattern=r"^[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]$"),
                           "Name of the deployment, e.g. blue or green: 3-32 letters, digits and hyphens"]
EndpointRef = Annotated[str, Field(min_length=1, max_length=64), "Name of the online endpoint the deployment belongs to"]
ModelRef = Annotated[str, Field(min_length=1, max_length=2048),
                     "Registered model to deploy: name (its latest version), name:version or azureml:name:version; "
                     "or runs:/<run_id>/<path> of an MLflow model a job logged"]
ModelVersion = Annotated[str | None, Field(min_length=1, max_length=64), "Version of the model; omit for its latest"]
InstanceType = Annotated[Literal[INSTANCE_TYPES], one_of(*INSTANCE_TYPES), "VM size of each instance, e.g. STANDARD_DS3_v2"]
InstanceCount = Annotated[int, Field(ge=1, le=20), "How many instances serve requests (locally: worker processes)"]
ScoringScript = Annotated[str | None, Field(min_length=1, max_length=2048),
                          "A score.py with init() and run() for a custom (non-MLflow) model; its folder is uploaded as the code"]
Environment = Annotated[str | None, Field(min_length=1, max_length=300), "Environment for a scoring script, e.g. azureml:AzureML-sklearn-1.5@latest"]


def deployment_summary(deployment: Any, endpoint: Any = None) -> dict:
    summary = {
        "name": deployment.name, "endpoint_name": deployment.endpoint_name, "model": _model_text(deployment.model),
        "instance_type": deployment.instance_type, "instance_count": deployment.instance_count,
        "provisioning_state": getattr(deployment, "provisioning_state", None),
    }
    if endpoint is not None:
        summary["traffic"] = int((endpoint.traffic or {}).get(deployment.name, 0))
        mirror = int((getattr(endpoint, "mirror_traffic", None) or {}).get(deployment.name, 0))
        summary.update({"mirror_traffic": mirror} if mirror else {})
    return {k: v for k, v in summary.items() if v not in (None, "")}


def _model_text(model: Any) -> str | None:
    if model is None or isinstance(model, str):
        return model
    if getattr(model, "name", None) and getattr(model, "version", None):
        return f"azureml:{model.name}:{model.version}"
    return str(getattr(model, "path", None) or model)


def model_reference(client: Any, model: str, version: str | None) -> tuple[str, str]:
    """'credit', '2' -> ('azureml:credit:2', 'mlflow_model'); the model must be registered (or a runs:/ URI)."""
    if model.startswith("runs:/"):
        return model, "mlflow_model"
    body = model.removeprefix("azureml:")
    if ":" in body and "@" not in body:
        body, given = body.split(":", 1)
        if version is not None and version != given:
            raise UserInputError.invalid("model_version", version, f"differs from the version in model ({model})")
        version = given
    name = body.split("@", 1)[0]
    entity = client.models.get(name, version=version) if version else client.models.get(name, label="latest")
    return f"azureml:{entity.name}:{entity.version}", str(getattr(entity.type, "value", entity.type))


class OnlineDeploymentsPlugin(ToolPlugin):
    plugin_name = "online_deployments"
    description = "Online deployments: the models behind an endpoint (blue, green): deploy, scale, read logs, delete."

    def _deployment(self, name: str, endpoint_name: str) -> Any:
        return self.client.online_deployments.get(name=name, endpoint_name=endpoint_name)

    @tool(effect="read", permission=READ, examples=[
        "list the deployments of credit-ep", "what's deployed on credit-ep?", "which models are behind credit-ep",
        "show deployments for diabetes-ep", "what versions are live on credit-ep",
    ])
    def list(self, endpoint_name: EndpointRef) -> list[dict]:
        """List an endpoint's deployments with their model, instance type and count, and share of traffic."""
        endpoint = self.client.online_endpoints.get(endpoint_name)
        return [deployment_summary(d, endpoint) for d in self.client.online_deployments.list(endpoint_name=endpoint_name)]

    @tool(effect="read", permission=READ, examples=[
        "show the green deployment of credit-ep", "what model does blue run?", "how many instances does green have",
        "details of deployment blue on credit-ep", "is green on credit-ep ready?",
    ])
    def get(self, name: Annotated[str, Field(min_length=1, max_length=32), "Name of the deployment"], endpoint_name: EndpointRef) -> dict:
        """Show one deployment: its model, instance type and count, state and share of the endpoint's traffic."""
        endpoint = self.client.online_endpoints.get(endpoint_name)
        return deployment_summary(self._deployment(name, endpoint_name), endpoint)

    @tool(effect="write", permission=WRITE, examples=[
        "deploy model credit version 2 to credit-ep as green with 10% traffic", "deploy the best model as green with 10% traffic",
        "put diabetes-model on diabetes-ep as blue", "add a green deployment of credit:3 to credit-ep",
        "serve churn-model from churn-ep with 2 instances", "roll out fraud-model v4 to fraud-ep as canary with 5 percent of traffic",
    ])
    def create(
        self, name: DeploymentName, endpoint_name: EndpointRef, model: ModelRef, model_version: ModelVersion = None,
        instance_type: InstanceType = "STANDARD_DS3_v2", instance_count: InstanceCount = 1,
        traffic_percent: Annotated[int | None, Field(ge=0, le=100),
                                   "Percent of the endpoint's traffic to send to it once it's up (the others share the rest); "
                                   "omit for none, or all of it when it is the endpoint's first deployment"] = None,
        scoring_script: ScoringScript = None, environment: Environment = None,
    ) -> dict:
        """Deploy a registered model to an online endpoint as a new deployment (blue, green, ...), and optionally send it a share of the traffic. MLflow models need no scoring script."""
        plan = self.preview_create(name, endpoint_name, model, model_version, instance_type, instance_count,
                                   traffic_percent, scoring_script, environment)
        from azure.ai.ml.entities import CodeConfiguration, ManagedOnlineDeployment, Model

        wanted = plan.desired["deployment"]
        reference = wanted["model"]
        code = None
        if scoring_script:
            script = Path(scoring_script).expanduser().resolve()
            code = CodeConfiguration(code=str(script.parent), scoring_script=script.name)
        entity = ManagedOnlineDeployment(
            name=name, endpoint_name=endpoint_name,
            model=Model(path=reference, type="mlflow_model") if reference.startswith("runs:/") else reference,
            instance_type=instance_type, instance_count=instance_count, code_configuration=code, environment=environment,
        )
        created = self.client.online_deployments.begin_create_or_update(entity).result()
        traffic = plan.desired["traffic"]
        if traffic != plan.current["traffic"]:
            endpoint = self.client.online_endpoints.get(endpoint_name)
            endpoint.traffic = traffic
            self.client.online_endpoints.begin_create_or_update(endpoint).result()
        endpoint = self.client.online_endpoints.get(endpoint_name)
        return {"status": "deployed", "deployment": deployment_summary(created, endpoint), "traffic": dict(endpoint.traffic or {}),
                "summary": plan.summary}

    def preview_create(self, name: DeploymentName, endpoint_name: EndpointRef, model: ModelRef, model_version: ModelVersion = None,
                       instance_type: InstanceType = "STANDARD_DS3_v2", instance_count: InstanceCount = 1,
                       traffic_percent: int | None = None, scoring_script: ScoringScript = None,
                       environment: Environment = None) -> Plan:
        endpoint = self.client.online_endpoints.get(endpoint_name)  # raises, naming the known endpoints
        existing = deployment_names(self.client, endpoint_name)
        if name in existing:
            raise UserInputError.invalid("name", name, f"is already a deployment of {endpoint_name}; pick another name (e.g. green)")
        reference, model_type = model_reference(self.client, model, model_version)
        if scoring_script is None and model_type != "mlflow_model":
            raise UserInputError.invalid("model", model, f"is a {model_type}; give scoring_script (a score.py with init() and run())")
        if scoring_script is not None and not Path(scoring_script).expanduser().is_file():
            raise UserInputError.missing_path("scoring_script", scoring_script)
        current = {d: int((endpoint.traffic or {}).get(d, 0)) for d in existing}
        percent = traffic_percent if traffic_percent is not None else (0 if any(current.values()) else 100)
        desired = shifted(current, name, percent, existing + [name], "traffic_percent") if percent else {**current, name: 0}
        wanted = {"name": name, "model": reference, "instance_type": instance_type, "instance_count": instance_count,
                  **({"scoring_script": scoring_script} if scoring_script else {})}
        moves = f"; traffic {split_text(current)} -> {split_text(desired)}" if percent else "; no traffic yet"
        inverse = None if percent else ToolCall(tool="online_deployments-delete", arguments={"name": name, "endpoint_name": endpoint_name})
        return Plan(
            action="create online deployment", target=f"online_endpoints/{endpoint_name}/deployments/{name}",
            current={"deployment": None, "traffic": current}, desired={"deployment": wanted, "traffic": desired},
            summary=f"deployment {endpoint_name}/{name}: absent -> {reference} on {instance_type} x {instance_count}{moves}",
            resource_name=name, inverse=inverse,
            warnings=[] if percent else [f"{name} gets no traffic; send it some with online_endpoints-update_traffic"],
        )

    @tool(effect="write", permission=WRITE, examples=[
        "scale green on credit-ep to 3 instances", "give blue 2 instances", "add an instance to the green deployment",
        "set credit-ep blue to 1 instance", "scale down green to one replica",
    ])
    def update(self, name: Annotated[str, Field(min_length=1, max_length=32), "Name of the deployment"], endpoint_name: EndpointRef,
               instance_count: InstanceCount) -> dict:
        """Scale a deployment to a number of instances (locally: worker processes); its model and traffic stay as they are."""
        plan = self.preview_update(name, endpoint_name, instance_count)
        deployment = self._deployment(name, endpoint_name)
        deployment.instance_count = instance_count
        updated = self.client.online_deployments.begin_create_or_update(deployment).result()
        return {"status": "updated", "deployment": deployment_summary(updated), "summary": plan.summary}

    def preview_update(self, name: str, endpoint_name: str, instance_count: int) -> Plan:
        current = deployment_summary(self._deployment(name, endpoint_name))
        before = current.get("instance_count")
        same = before == instance_count
        return Plan(
            action="scale online deployment", target=f"online_endpoints/{endpoint_name}/deployments/{name}", current=current,
            desired={**current, "instance_count": instance_count}, resource_name=name,
            summary=f"deployment {endpoint_name}/{name}: instances {before} -> {instance_count}",
            inverse=None if same or before is None else ToolCall(tool="online_deployments-update", arguments={
                "name": name, "endpoint_name": endpoint_name, "instance_count": before}),
            warnings=[f"{name} already has {instance_count} instance(s)"] if same else [],
        )

    @tool(effect="read", permission=f"{DEPLOYMENTS}/getLogs/action", examples=[
        "show the logs of green on credit-ep", "why is the blue deployment failing?", "tail the deployment logs",
        "last 100 lines of credit-ep green's log", "what did the scoring script print?",
    ])
    def get_logs(self, name: Annotated[str, Field(min_length=1, max_length=32), "Name of the deployment"], endpoint_name: EndpointRef,
                 lines: Annotated[int, Field(ge=1, le=500), "How many of the last log lines to show"] = 50) -> dict:
        """Show the last lines of a deployment's log (its workers' output, scoring script prints and errors)."""
        text = self.client.online_deployments.get_logs(name=name, endpoint_name=endpoint_name, lines=lines)
        return {"name": name, "endpoint_name": endpoint_name, "lines": str(text or "").splitlines()[-lines:]}

    @tool(effect="destructive", permission=DELETE, resource_arg="name", examples=[
        "delete the green deployment of credit-ep", "remove blue from credit-ep", "tear down deployment canary on fraud-ep",
        "get rid of the old blue deployment", "drop deployment green from credit-ep",
    ])
    def delete(self, name: Annotated[str, Field(min_length=1, max_length=32), "Name of the deployment to delete"],
               endpoint_name: EndpointRef) -> dict:
        """Delete a deployment from an online endpoint. One that still carries traffic can't be deleted: move its traffic first."""
        plan = self.preview_delete(name, endpoint_name)
        self.client.online_deployments.begin_delete(name=name, endpoint_name=endpoint_name).result()
        return {"status": "deleted", "name": name, "endpoint_name": endpoint_name, "summary": plan.summary}

    def preview_delete(self, name: str, endpoint_name: str) -> Plan:
        endpoint = self.client.online_endpoints.get(endpoint_name)
        deployment = self._deployment(name, endpoint_name)
        current = deployment_summary(deployment, endpoint)
        if current.get("traffic") or current.get("mirror_traffic"):
            share = current.get("traffic") or current.get("mirror_traffic")
            raise UserInputError.invalid("name", name, f"carries {share}% of {endpoint_name}'s traffic; "
                                         "move it to another deployment with online_endpoints-update_traffic first")
        recreate = None
        if deployment.code_configuration is None and current.get("model") and current.get("instance_type") in INSTANCE_TYPES:
            recreate = ToolCall(tool="online_deployments-create", arguments={
                "name": name, "endpoint_name": endpoint_name, "model": current["model"],
                "instance_type": current["instance_type"], "instance_count": current.get("instance_count") or 1, "traffic_percent": 0})
        return Plan(
            action="delete online deployment", target=f"online_endpoints/{endpoint_name}/deployments/{name}", current=current,
            desired=None, summary=f"deployment {endpoint_name}/{name} ({current.get('model')}, no traffic) -> absent",
            resource_name=name, inverse=recreate,
        )
