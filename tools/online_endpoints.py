"""online_endpoints-*: real-time scoring endpoints: create, route traffic between deployments, invoke, keys, metrics, delete.

Keys never reach the model: ``get_keys`` says which keys exist and
``regenerate_keys`` says one was replaced, never what they are.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field

from tools.base import ML, Plan, ToolCall, ToolPlugin, one_of, tool
from workspace.errors import NotSupportedLocallyError, UserInputError

ENDPOINTS = f"{ML}/onlineEndpoints"
READ, WRITE, DELETE = f"{ENDPOINTS}/read", f"{ENDPOINTS}/write", f"{ENDPOINTS}/delete"
SCORE = f"{ENDPOINTS}/score/action"
READY_SECONDS = 60.0  # how long invoke waits for a deployment that is still starting
MAX_RESPONSE_CHARS = 4000  # a scoring response is data for the model to read, not a document

EndpointName = Annotated[str, Field(min_length=3, max_length=32, pattern=r"^[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]$"),
                         "Name of the online endpoint: 3-32 letters, digits and hyphens, starting with a letter"]
DeploymentRef = Annotated[str, Field(min_length=1, max_length=32), "Name of a deployment under the endpoint, e.g. blue"]
AuthMode = Annotated[Literal["key", "aml_token"], one_of("key", "aml_token"),
                     "key (two static keys) or aml_token (tokens that expire)"]
Percent = Annotated[int, Field(ge=0, le=100), "Percent of the endpoint's traffic, 0-100"]
Traffic = Annotated[dict[str, Annotated[int, Field(ge=0, le=100)]], Field(max_length=20),
                    "The whole split by deployment, e.g. {\"blue\": 90, \"green\": 10}; the weights must add up to 100 (or all be 0)"]


def endpoint_summary(endpoint: Any) -> dict:
    """What a person asks about an endpoint; never its keys."""
    summary = {
        "name": endpoint.name, "auth_mode": str(getattr(endpoint, "auth_mode", "") or ""),
        "scoring_uri": getattr(endpoint, "scoring_uri", None), "traffic": dict(getattr(endpoint, "traffic", None) or {}),
        "mirror_traffic": dict(getattr(endpoint, "mirror_traffic", None) or {}),
        "provisioning_state": getattr(endpoint, "provisioning_state", None), "description": endpoint.description,
    }
    return {k: v for k, v in summary.items() if v not in (None, "", {}) or k == "traffic"}


def split_text(traffic: dict[str, int]) -> str:
    """{blue: 90, green: 10}; {} when nothing carries traffic."""
    shares = ", ".join(f"{d}: {p}" for d, p in sorted(traffic.items(), key=lambda kv: (-kv[1], kv[0])) if p)
    return "{" + shares + "}"


def check_split(traffic: dict[str, int], deployments: list[str], field: str = "traffic") -> dict[str, int]:
    """The split over every deployment (unnamed ones get 0); one line naming the field when it's wrong."""
    unknown = [d for d in traffic if d not in deployments]
    if unknown:
        raise UserInputError.invalid(f"{field}.{unknown[0]}", traffic[unknown[0]],
                                     f"is not a deployment of this endpoint (deployments: {', '.join(deployments) or 'none'})")
    total = sum(traffic.values())
    if total not in (0, 100):
        raise UserInputError.invalid(field, traffic, f"adds up to {total}; the weights must add up to 100 (or all be 0)")
    return {d: int(traffic.get(d, 0)) for d in deployments}


def shifted(current: dict[str, int], deployment: str, percent: int, deployments: list[str], field: str = "percent") -> dict[str, int]:
    """Give one deployment ``percent``; the others share the rest in proportion to what they carry now."""
    others = [d for d in deployments if d != deployment]
    rest = 100 - percent
    weights = {d: current.get(d, 0) for d in others}
    if rest and not sum(weights.values()):
        if len(others) != 1:
            where = "no other deployment" if not others else f"{', '.join(others)} carry none now"
            raise UserInputError.invalid(field, percent, f"leaves {rest}% with nowhere to go ({where}); "
                                         "give the whole split with traffic, or 100")
        weights = {others[0]: 1}
    total = sum(weights.values()) or 1
    exact = {d: rest * w / total for d, w in weights.items()}
    split = {d: int(v) for d, v in exact.items()}
    # Largest remainders get the points lost to rounding, so the split still adds up to 100.
    for d in sorted(exact, key=lambda d: (split[d] - exact[d], d))[: rest - sum(split.values())]:
        split[d] += 1
    return {**{d: 0 for d in deployments}, **split, deployment: percent}


def deployment_names(client: Any, endpoint_name: str) -> list[str]:
    return sorted(d.name for d in client.online_deployments.list(endpoint_name=endpoint_name))


class OnlineEndpointsPlugin(ToolPlugin):
    plugin_name = "online_endpoints"
    description = "Online endpoints: real-time scoring URLs, traffic between deployments (blue/green), invoke, keys, metrics."

    def _endpoint(self, name: str) -> Any:
        return self.client.online_endpoints.get(name)

    def _exists(self, name: str) -> Any | None:
        from tools.assets import not_found_errors

        try:
            return self._endpoint(name)
        except not_found_errors():
            return None

    @tool(effect="read", permission=READ, examples=[
        "what endpoints do I have?", "list online endpoints", "show my real-time endpoints",
        "which endpoints are serving?", "list endpoints and their traffic",
    ])
    def list(self) -> list[dict]:
        """List the workspace's online endpoints with auth mode, scoring URI and traffic split."""
        return [endpoint_summary(e) for e in self.client.online_endpoints.list()]

    @tool(effect="read", permission=READ, examples=[
        "show endpoint credit-ep", "how is traffic split on credit-ep?", "what's the scoring url of credit-ep",
        "which deployments does credit-ep have?", "details of endpoint fraud-ep",
    ])
    def get(self, name: Annotated[str, Field(min_length=1, max_length=64), "Name of the online endpoint"]) -> dict:
        """Show one online endpoint: scoring URI, auth mode, traffic and mirror split, and its deployments."""
        endpoint = self._endpoint(name)
        from tools.online_deployments import deployment_summary

        deployments = [deployment_summary(d, endpoint) for d in self.client.online_deployments.list(endpoint_name=name)]
        return {**endpoint_summary(endpoint), "deployments": deployments}

    @tool(effect="write", permission=WRITE, examples=[
        "create an endpoint called credit-ep", "make a new online endpoint fraud-ep", "set up a real-time endpoint for scoring",
        "new endpoint churn-ep with token auth", "create online endpoint diabetes-ep using key auth",
    ])
    def create(self, name: EndpointName, auth_mode: AuthMode = "key",
               description: Annotated[str | None, Field(max_length=500), "What the endpoint is for"] = None) -> dict:
        """Create an online endpoint (a scoring URL with no deployments yet); deploy a model to it with online_deployments-create."""
        plan = self.preview_create(name, auth_mode, description)
        from azure.ai.ml.entities import ManagedOnlineEndpoint

        entity = ManagedOnlineEndpoint(name=name, auth_mode=auth_mode, description=description)
        created = self.client.online_endpoints.begin_create_or_update(entity).result()
        return {"status": "created", "endpoint": endpoint_summary(created), "summary": plan.summary}

    def preview_create(self, name: EndpointName, auth_mode: AuthMode = "key", description: str | None = None) -> Plan:
        existing = self._exists(name)
        if existing is not None:
            raise UserInputError.invalid("name", name, "is already an online endpoint; pick another name or deploy to it")
        desired = {"name": name, "auth_mode": auth_mode, **({"description": description} if description else {})}
        return Plan(
            action="create online endpoint", target=f"online_endpoints/{name}", current=None, desired=desired,
            summary=f"endpoint {name}: absent -> {auth_mode} auth, no deployments", resource_name=name,
            inverse=ToolCall(tool="online_endpoints-delete", arguments={"name": name}),
        )

    @tool(effect="write", permission=WRITE, examples=[
        "send 10% of traffic to green", "roll back to blue", "move all traffic on credit-ep to green",
        "split credit-ep traffic blue=90 green=10", "give green half the traffic", "shift everything back to blue",
    ])
    def update_traffic(
        self,
        name: Annotated[str, Field(min_length=1, max_length=64), "Name of the online endpoint"],
        deployment_name: Annotated[str | None, Field(min_length=1, max_length=32),
                                   "The deployment to give `percent` of the traffic; the others share the rest as now"] = None,
        percent: Annotated[int, Field(ge=0, le=100), "Percent of the traffic for deployment_name; 100 sends it all (a rollback)"] = 100,
        traffic: Annotated[Traffic | None, "The whole split instead, e.g. {\"blue\": 90, \"green\": 10}; omit deployment_name then"] = None,
    ) -> dict:
        """Change how an endpoint's traffic is split between its deployments: send a percent to one deployment (blue/green rollout, rollback), or set the whole split. Takes effect without dropping requests."""
        plan = self.preview_update_traffic(name, deployment_name, percent, traffic)
        endpoint = self._endpoint(name)
        endpoint.traffic = plan.desired["traffic"]
        updated = self.client.online_endpoints.begin_create_or_update(endpoint).result()
        return {"status": "updated", "endpoint": endpoint_summary(updated), "summary": plan.summary}

    def preview_update_traffic(self, name: str, deployment_name: str | None = None, percent: int = 100,
                               traffic: dict[str, int] | None = None) -> Plan:
        endpoint = self._endpoint(name)
        deployments = deployment_names(self.client, name)
        current = {d: int((endpoint.traffic or {}).get(d, 0)) for d in deployments}
        if traffic is not None and deployment_name is not None:
            raise UserInputError.invalid("deployment_name", deployment_name, "can't be given with traffic; traffic is the whole split")
        if traffic is not None:
            desired = check_split(traffic, deployments)
        elif deployment_name is None:
            raise UserInputError.missing("deployment_name", f"name the deployment to send traffic to ({', '.join(deployments) or 'none yet'})")
        else:
            if deployment_name not in deployments:
                raise UserInputError.invalid("deployment_name", deployment_name,
                                             f"is not a deployment of {name} (deployments: {', '.join(deployments) or 'none'})")
            desired = shifted(current, deployment_name, percent, deployments)
        same = desired == current
        return Plan(
            action="update traffic", target=f"online_endpoints/{name}", current={"traffic": current},
            desired={"traffic": desired}, summary=f"endpoint {name} traffic: {split_text(current)} -> {split_text(desired)}",
            resource_name=name, warnings=[f"{name} already splits traffic this way"] if same else [],
            inverse=None if same else ToolCall(tool="online_endpoints-update_traffic", arguments={"name": name, "traffic": current}),
        )

    @tool(effect="read", permission=SCORE, examples=[
        "invoke credit-ep with req.json", "score sample.json against diabetes-ep", "test the endpoint with request.json",
        "send req.json to the green deployment of credit-ep", "call credit-ep with this request file",
    ])
    def invoke(
        self,
        name: Annotated[str, Field(min_length=1, max_length=64), "Name of the online endpoint"],
        request_file: Annotated[str, Field(min_length=1, max_length=2048), "Path of a JSON request file, e.g. sample.json"],
        deployment_name: Annotated[str | None, Field(min_length=1, max_length=32), "Score with this deployment only; omit to follow the traffic split"] = None,
    ) -> dict:
        """Score a JSON request file against an online endpoint and return its response (predictions). It changes nothing."""
        path = Path(request_file).expanduser()
        if not path.is_file():
            raise UserInputError.missing_path("request_file", request_file)
        self._endpoint(name)
        if deployment_name is not None and deployment_name not in deployment_names(self.client, name):
            raise UserInputError.invalid("deployment_name", deployment_name, f"is not a deployment of {name}")
        text = self._invoke_when_ready(name, str(path), deployment_name)
        return {"endpoint": name, "deployment": deployment_name, "response": _response(text)}

    def _invoke_when_ready(self, name: str, request_file: str, deployment_name: str | None) -> str:
        """A deployment whose workers are still starting answers 503 "not ready" (locally, the first request
        after the workspace's gateway starts); the request is sent again until it is up, as a person would."""
        import time

        deadline = time.monotonic() + READY_SECONDS
        while True:
            try:
                return self.client.online_endpoints.invoke(endpoint_name=name, request_file=request_file, deployment_name=deployment_name)
            except Exception as exc:
                if "503" not in str(exc) or "not ready" not in str(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(0.5)

    @tool(effect="read", permission=f"{ENDPOINTS}/listKeys/action", examples=[
        "show the keys of credit-ep", "does credit-ep have keys?", "get the auth key for credit-ep",
        "what's the token expiry on churn-ep", "check credit-ep's credentials",
    ])
    def get_keys(self, name: Annotated[str, Field(min_length=1, max_length=64), "Name of the online endpoint"]) -> dict:
        """Say which keys (or token) an endpoint has, and when a token expires. Key values are never shown here: read them with `amlpilot endpoint keys` yourself."""
        endpoint = self._endpoint(name)
        credentials = self.client.online_endpoints.get_keys(name=name)
        mode = str(getattr(endpoint, "auth_mode", "") or "")
        if hasattr(credentials, "access_token"):
            expiry = getattr(credentials, "expiry_time_utc", None)
            return {"name": name, "auth_mode": mode, "token": "issued" if credentials.access_token else "none",
                    "expires": str(expiry) if expiry else None}
        keys = {k: "set" if getattr(credentials, f"{k}_key", None) else "missing" for k in ("primary", "secondary")}
        return {"name": name, "auth_mode": mode, "keys": keys}

    @tool(effect="write", permission=f"{ENDPOINTS}/regenerateKeys/action", examples=[
        "regenerate the primary key of credit-ep", "rotate credit-ep's keys", "the secondary key of credit-ep leaked, replace it",
        "new key for credit-ep", "reset the primary key on fraud-ep",
    ])
    def regenerate_keys(
        self, name: Annotated[str, Field(min_length=1, max_length=64), "Name of the online endpoint"],
        key_type: Annotated[Literal["primary", "secondary"], one_of("primary", "secondary"), "primary or secondary"] = "primary",
    ) -> dict:
        """Replace one of a key-auth endpoint's keys with a new one; clients still using the old key get 401. The new key is not shown here."""
        plan = self.preview_regenerate_keys(name, key_type)
        self.client.online_endpoints.begin_regenerate_keys(name=name, key_type=key_type).result()
        return {"status": "regenerated", "name": name, "key_type": key_type, "summary": plan.summary}

    def preview_regenerate_keys(self, name: str, key_type: str = "primary") -> Plan:
        endpoint = self._endpoint(name)
        if str(getattr(endpoint, "auth_mode", "key")).lower() != "key":
            raise UserInputError.invalid("name", name, f"uses {endpoint.auth_mode} auth, which has no keys to regenerate")
        return Plan(
            action="regenerate endpoint key", target=f"online_endpoints/{name}", current={"key_type": key_type, "key": "current"},
            desired={"key_type": key_type, "key": "new"}, resource_name=name,
            summary=f"endpoint {name}: {key_type} key -> a new key (clients using the old one get 401)",
            warnings=["this can't be undone: the old key stops working"],
        )

    @tool(effect="read", permission=READ, examples=[
        "how is credit-ep performing?", "show metrics for credit-ep", "what's the p99 latency of credit-ep",
        "how many requests has green served?", "error rate of credit-ep's deployments",
    ])
    def metrics(self, name: Annotated[str, Field(min_length=1, max_length=64), "Name of the online endpoint"]) -> dict:
        """Per-deployment request count, error count and latency (p50/p95/p99 in ms) of an online endpoint."""
        self._endpoint(name)
        get_metrics = getattr(self.client.online_endpoints, "get_metrics", None)
        if get_metrics is None:
            raise NotSupportedLocallyError.field("name", name, "this workspace has no per-deployment metrics; see Azure Monitor")
        return {"name": name, "deployments": get_metrics(name)}

    @tool(effect="destructive", permission=DELETE, resource_arg="name", examples=[
        "delete endpoint credit-ep", "remove the online endpoint fraud-ep", "tear down credit-ep and its deployments",
        "get rid of the old endpoint churn-ep", "drop endpoint diabetes-ep",
    ])
    def delete(self, name: Annotated[str, Field(min_length=1, max_length=64), "Name of the online endpoint to delete"]) -> dict:
        """Delete an online endpoint and all its deployments; its scoring URL stops answering. Undo can't bring it back."""
        plan = self.preview_delete(name)
        self.client.online_endpoints.begin_delete(name=name).result()
        return {"status": "deleted", "name": name, "summary": plan.summary}

    def preview_delete(self, name: str) -> Plan:
        current = endpoint_summary(self._endpoint(name))
        deployments = deployment_names(self.client, name)
        current["deployments"] = deployments
        warnings = [f"its deployments go too: {', '.join(deployments)}"] if deployments else []
        return Plan(
            action="delete online endpoint", target=f"online_endpoints/{name}", current=current, desired=None,
            summary=f"endpoint {name} ({len(deployments)} deployment(s), traffic {split_text(current['traffic'])}) -> absent",
            resource_name=name, warnings=warnings,
        )


def _response(text: Any) -> Any:
    """The endpoint's answer as data (JSON when it is), clipped: it is read, never obeyed."""
    if not isinstance(text, str):
        return text
    try:
        value = json.loads(text)
    except ValueError:
        return text[:MAX_RESPONSE_CHARS]
    dumped = json.dumps(value, default=str)
    return value if len(dumped) <= MAX_RESPONSE_CHARS else dumped[: MAX_RESPONSE_CHARS - 1] + "…"
