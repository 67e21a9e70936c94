"""batch_endpoints-*: endpoints that score whole folders of files as jobs: create, invoke, list their jobs, delete."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from tools.base import ML, Plan, ToolCall, ToolPlugin, tool
from workspace.errors import UserInputError

ENDPOINTS = f"{ML}/batchEndpoints"
READ, WRITE, DELETE = f"{ENDPOINTS}/read", f"{ENDPOINTS}/write", f"{ENDPOINTS}/delete"
INVOKE = f"{ENDPOINTS}/deployments/jobs/write"  # Azure's action for starting a scoring job

EndpointName = Annotated[str, Field(min_length=3, max_length=32, pattern=r"^[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]$"),
                         "Name of the batch endpoint: 3-32 letters, digits and hyphens, starting with a letter"]
EndpointRef = Annotated[str, Field(min_length=1, max_length=64), "Name of the batch endpoint"]


def default_deployment(endpoint: Any) -> str | None:
    defaults = getattr(endpoint, "defaults", None)
    name = getattr(defaults, "deployment_name", None) if defaults is not None and not isinstance(defaults, dict) else (defaults or {}).get("deployment_name")
    return name or getattr(endpoint, "default_deployment_name", None)


def batch_endpoint_summary(endpoint: Any) -> dict:
    summary = {"name": endpoint.name, "default_deployment": default_deployment(endpoint),
               "scoring_uri": getattr(endpoint, "scoring_uri", None), "description": endpoint.description,
               "provisioning_state": getattr(endpoint, "provisioning_state", None)}
    return {k: v for k, v in summary.items() if v not in (None, "")}


def batch_deployment_names(client: Any, endpoint_name: str) -> list[str]:
    return sorted(d.name for d in client.batch_deployments.list(endpoint_name=endpoint_name))


def scoring_input(client: Any, value: str) -> tuple[str, str, str]:
    """What a scoring job reads: (type, path, description). A local folder or file, or a data asset reference."""
    if value.startswith("azureml:") and not value.startswith("azureml://"):
        from tools.jobs import get_reference

        data = get_reference(client.data, value)
        return str(getattr(data.type, "value", data.type)), value, f"data {data.name}:{data.version}"
    if "://" in value:
        return "uri_folder", value, value
    local = Path(value).expanduser()
    if not local.exists():
        raise UserInputError.missing_path("input", value)
    if local.is_file():
        return "uri_file", str(local.resolve()), f"file {value}"
    files = sum(1 for p in local.rglob("*") if p.is_file())
    if not files:
        raise UserInputError.invalid("input", value, "is an empty folder; there is nothing to score")
    return "uri_folder", str(local.resolve()), f"{files} file(s) in {value}"


class BatchEndpointsPlugin(ToolPlugin):
    plugin_name = "batch_endpoints"
    description = "Batch endpoints: score folders of files or data assets as jobs, list those jobs, create and delete endpoints."

    def _endpoint(self, name: str) -> Any:
        return self.client.batch_endpoints.get(name)

    @tool(effect="read", permission=READ, examples=[
        "list batch endpoints", "what batch endpoints are there?", "show my batch scoring endpoints",
        "which batch endpoint is the default for scoring files?", "list endpoints for offline scoring",
    ])
    def list(self) -> list[dict]:
        """List the workspace's batch endpoints with their default deployment."""
        return [batch_endpoint_summary(e) for e in self.client.batch_endpoints.list()]

    @tool(effect="read", permission=READ, examples=[
        "show batch endpoint nightly-scoring", "what's the default deployment of nightly-scoring?",
        "details of the batch endpoint", "which deployments does nightly-scoring have", "describe batch endpoint churn-batch",
    ])
    def get(self, name: EndpointRef) -> dict:
        """Show one batch endpoint: its default deployment and all its deployments."""
        return {**batch_endpoint_summary(self._endpoint(name)), "deployments": batch_deployment_names(self.client, name)}

    @tool(effect="write", permission=WRITE, examples=[
        "create a batch endpoint called nightly-scoring", "new batch endpoint churn-batch", "set up an endpoint for scoring files in bulk",
        "make a batch endpoint for offline predictions named fraud-batch", "add batch endpoint diabetes-batch",
    ])
    def create(self, name: EndpointName,
               description: Annotated[str | None, Field(max_length=500), "What the endpoint is for"] = None) -> dict:
        """Create a batch endpoint (no deployments yet); add one with batch_deployments-create, then invoke it on files."""
        plan = self.preview_create(name, description)
        from azure.ai.ml.entities import BatchEndpoint

        created = self.client.batch_endpoints.begin_create_or_update(BatchEndpoint(name=name, description=description)).result()
        return {"status": "created", "endpoint": batch_endpoint_summary(created), "summary": plan.summary}

    def preview_create(self, name: EndpointName, description: str | None = None) -> Plan:
        from tools.assets import not_found_errors

        try:
            exists = self._endpoint(name) is not None
        except not_found_errors():
            exists = False
        if exists:
            raise UserInputError.invalid("name", name, "is already a batch endpoint; pick another name")
        return Plan(
            action="create batch endpoint", target=f"batch_endpoints/{name}", current=None,
            desired={"name": name, **({"description": description} if description else {})},
            summary=f"batch endpoint {name}: absent -> no deployments", resource_name=name,
            inverse=ToolCall(tool="batch_endpoints-delete", arguments={"name": name}),
        )

    @tool(effect="write", permission=INVOKE, examples=[
        "score the files in ./new-data with the batch endpoint", "run nightly-scoring on ./incoming",
        "invoke batch endpoint churn-batch on azureml:customers@latest", "batch score new-data.csv with nightly-scoring",
        "kick off a scoring job on ./to-score using deployment mlflow-dpl",
    ])
    def invoke(
        self, name: EndpointRef,
        input: Annotated[str, Field(min_length=1, max_length=2048),
                         "What to score: a local file or folder (e.g. ./new-data), or a data asset (azureml:name@latest)"],
        deployment_name: Annotated[str | None, Field(min_length=1, max_length=32), "Use this deployment; omit for the endpoint's default"] = None,
    ) -> dict:
        """Start a batch scoring job: the endpoint's deployment scores every file of the input in mini-batches and writes predictions. Returns the job's name; follow it with jobs-get."""
        plan = self.preview_invoke(name, input, deployment_name)
        from azure.ai.ml import Input

        kind, path = plan.desired["input_type"], plan.desired["input"]
        job = self.client.batch_endpoints.invoke(endpoint_name=name, deployment_name=deployment_name,
                                                 inputs={"input_data": Input(type=kind, path=path)})
        return {"status": "submitted", "job": _job_summary(job), "summary": plan.summary}

    def preview_invoke(self, name: str, input: str, deployment_name: str | None = None) -> Plan:
        endpoint = self._endpoint(name)
        deployments = batch_deployment_names(self.client, name)
        chosen = deployment_name or default_deployment(endpoint)
        if deployment_name is not None and deployment_name not in deployments:
            raise UserInputError.invalid("deployment_name", deployment_name,
                                         f"is not a deployment of {name} (deployments: {', '.join(deployments) or 'none'})")
        if chosen is None:
            raise UserInputError.invalid("name", name, "has no default deployment; add one with batch_deployments-create")
        kind, path, what = scoring_input(self.client, input)
        return Plan(
            action="invoke batch endpoint", target=f"batch_endpoints/{name}", current=None,
            desired={"deployment": chosen, "input": path, "input_type": kind},
            summary=f"batch endpoint {name}: new scoring job over {what} with deployment {chosen}", resource_name=name,
        )

    @tool(effect="read", permission=READ, examples=[
        "list the jobs of nightly-scoring", "what scoring jobs has the batch endpoint run?", "did last night's batch scoring finish?",
        "show batch jobs for churn-batch", "history of invocations of nightly-scoring",
    ])
    def list_jobs(self, name: EndpointRef,
                  limit: Annotated[int, Field(ge=1, le=100), "At most this many jobs, newest first"] = 20) -> list[dict]:
        """List the scoring jobs a batch endpoint has run, newest first, with their status; see one with jobs-get."""
        self._endpoint(name)
        return [_job_summary(j) for j in self.client.batch_endpoints.list_jobs(endpoint_name=name)][:limit]

    @tool(effect="destructive", permission=DELETE, resource_arg="name", examples=[
        "delete batch endpoint nightly-scoring", "remove the churn-batch endpoint", "tear down batch endpoint fraud-batch",
        "get rid of the old batch endpoint diabetes-batch", "drop batch endpoint nightly-scoring and its deployments",
    ])
    def delete(self, name: Annotated[str, Field(min_length=1, max_length=64), "Name of the batch endpoint to delete"]) -> dict:
        """Delete a batch endpoint and its deployments; its past scoring jobs and their outputs stay."""
        plan = self.preview_delete(name)
        self.client.batch_endpoints.begin_delete(name=name).result()
        return {"status": "deleted", "name": name, "summary": plan.summary}

    def preview_delete(self, name: str) -> Plan:
        current = {**batch_endpoint_summary(self._endpoint(name)), "deployments": batch_deployment_names(self.client, name)}
        return Plan(
            action="delete batch endpoint", target=f"batch_endpoints/{name}", current=current, desired=None,
            summary=f"batch endpoint {name} ({len(current['deployments'])} deployment(s)) -> absent", resource_name=name,
            warnings=[f"its deployments go too: {', '.join(current['deployments'])}"] if current["deployments"] else [],
        )


def _job_summary(job: Any) -> dict:
    """A scoring job's name, status and times (BatchJob has fewer fields than a workspace job)."""
    props = dict(getattr(job, "properties", None) or {})
    summary = {"name": job.name, "status": str(getattr(job, "status", "") or ""),
               "started": props.get("StartTimeUtc") or getattr(job, "start_time", None),
               "ended": props.get("EndTimeUtc") or getattr(job, "end_time", None), "error": props.get("error")}
    return {k: str(v) if k in ("started", "ended") else v for k, v in summary.items() if v not in (None, "")}
