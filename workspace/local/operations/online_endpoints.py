"""``client.online_endpoints``: managed online endpoints served by the local scoring gateway.

An endpoint row holds azure-ai-ml's entity dict; its keys live in the secret
store. Every change bumps the serving generation and returns once the gateway
has applied it, so when ``begin_create_or_update(...).result()`` returns, new
traffic weights are live. ``get_metrics`` is a local extension (not in MLClient).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterable

from workspace.errors import AmlPilotError, NotSupportedLocallyError, ResourceNotFoundError, UserInputError
from workspace.local.context import WorkspaceContext
from workspace.local.poller import LocalPoller
from workspace.local.secrets import SecretStore
from workspace.local.serving import keys, state, waits
from workspace.local.serving.metrics import empty
from workspace.local.store import creation_context

AUTH_MODES = ("key", "aml_token")
MAX_MIRROR = 50  # percent, as on Azure
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,30}[A-Za-z0-9]$")


def check_endpoint_name(name: Any) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise UserInputError.invalid(
            "name", name, "is not an endpoint name: 3-32 letters, digits and hyphens, starting with a letter, not ending with a hyphen"
        )
    return name


def _whole(field: str, name: str, value: Any, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise UserInputError.invalid(f"{field}.{name}", value, f"must be a whole number from 0 to {high}")
    return value


def check_traffic(endpoint: str, traffic: dict, mirror: dict, deployments: list[str]) -> None:
    """Weights are whole numbers summing to 100 (or all 0); mirror targets one idle deployment, up to 50%."""
    for field, weights, high in (("traffic", traffic, 100), ("mirror_traffic", mirror, MAX_MIRROR)):
        for name, value in weights.items():
            _whole(field, name, value, high)
            if name not in deployments:
                known = ", ".join(deployments) or "none yet"
                raise UserInputError.invalid(field, name, f"is not a deployment of endpoint {endpoint!r} (deployments: {known})")
    total = sum(traffic.values())
    if total not in (0, 100):
        shown = ", ".join(f"{k}={v}" for k, v in traffic.items())
        raise UserInputError.invalid("traffic", shown, f"sums to {total}; the weights must sum to 100 (or all be 0)")
    shadows = [name for name, value in mirror.items() if value > 0]
    if len(shadows) > 1:
        raise UserInputError.invalid("mirror_traffic", ", ".join(shadows), "names more than one deployment; mirror to one at a time")
    if shadows and traffic.get(shadows[0], 0) > 0:
        raise UserInputError.invalid("mirror_traffic", shadows[0], "already takes live traffic; mirror only to a deployment with traffic 0")


class OnlineEndpointOperations:
    def __init__(self, ctx: WorkspaceContext) -> None:
        self._ctx = ctx
        self._store = ctx.store

    @property
    def _secrets(self) -> SecretStore:
        return SecretStore(self._ctx.paths.secrets, self._ctx.secrets_backend)

    # -- azure-ai-ml surface ----------------------------------------------

    def begin_create_or_update(self, endpoint: Any, **_: Any) -> LocalPoller:
        state.ensure_schema(self._store)
        spec = json.loads(json.dumps(endpoint._to_dict(), default=str))
        name = check_endpoint_name(spec.get("name"))
        auth_mode = str(spec.get("auth_mode") or "key").lower()
        if auth_mode == "aad_token":
            raise NotSupportedLocallyError.field("auth_mode", auth_mode, "there is no Entra ID here; use key or aml_token")
        if auth_mode not in AUTH_MODES:
            raise UserInputError.invalid("auth_mode", auth_mode, f"is not one of {', '.join(AUTH_MODES)}")
        spec["auth_mode"] = auth_mode
        created = self._store.resource(state.ENDPOINT, name) is None
        if created:
            keys.create(self._secrets, name)  # before the row: the gateway must find keys for every endpoint it sees
        try:
            with self._store.transaction() as db:
                current = self._store.resource(state.ENDPOINT, name)
                for field in ("traffic", "mirror_traffic"):  # unset means unchanged, as on Azure
                    given = getattr(endpoint, field, None)  # as given: the entity's dict has cast 99.5 to 99 already
                    spec[field] = dict(given) if given is not None else (current.spec.get(field) if current else None) or {}
                check_traffic(name, spec["traffic"], spec["mirror_traffic"], self._deployment_names(name))
                self._store.upsert_resource(db, state.ENDPOINT, name, spec, "Succeeded", self._ctx.user)
                generation = state.bump_generation(db)
        except BaseException:
            if created:
                keys.delete(self._secrets, name)
            raise
        waits.ensure_serving(self._ctx.root, self._store, generation)
        return LocalPoller(self.get(name))

    def get(self, name: str, **_: Any) -> Any:
        return self._to_entity(self._row(name))

    def list(self, **_: Any) -> Iterable[Any]:
        return [self._to_entity(row) for row in self._store.resources(state.ENDPOINT)]

    def begin_delete(self, name: str | None = None, **_: Any) -> LocalPoller:
        """Deletes the endpoint with all its deployments, as Azure does."""
        self._row(name)
        state.ensure_schema(self._store)
        with self._store.transaction() as db:
            for deployment in self._deployment_names(name):
                self._store.delete_resource(db, state.DEPLOYMENT, state.deployment_key(name, deployment))
            state.forget_deployment_status(db, name)
            self._store.delete_resource(db, state.ENDPOINT, name)
            generation = state.bump_generation(db)
        keys.delete(self._secrets, name)
        self._wait_if_serving(generation)
        return LocalPoller(None)

    def get_keys(self, name: str) -> Any:
        from azure.ai.ml.entities import EndpointAuthKeys, EndpointAuthToken

        row = self._row(name)
        if row.spec.get("auth_mode") == "aml_token":
            token, expiry = keys.issue_token(self._secrets, name)
            return EndpointAuthToken(access_token=token, expiry_time_utc=expiry,
                                     refresh_after_time_utc=expiry - keys.TOKEN_LIFETIME / 2, token_type="Bearer")
        return EndpointAuthKeys(primary_key=keys.get(self._secrets, name, "primary"),
                                secondary_key=keys.get(self._secrets, name, "secondary"))

    def begin_regenerate_keys(self, name: str, *, key_type: str = "primary") -> LocalPoller:
        row = self._row(name)
        if key_type not in keys.KEY_TYPES:
            raise UserInputError.invalid("key_type", key_type, f"is not one of {', '.join(keys.KEY_TYPES)}")
        if row.spec.get("auth_mode") != "key":
            raise UserInputError.invalid("auth_mode", row.spec.get("auth_mode"), "has no keys to regenerate; tokens expire on their own")
        keys.regenerate(self._secrets, name, key_type)
        state.ensure_schema(self._store)
        with self._store.transaction() as db:
            generation = state.bump_generation(db)
        self._wait_if_serving(generation)
        return LocalPoller(None)

    def invoke(self, endpoint_name: str, *, request_file: str | None = None, deployment_name: str | None = None,
               input_data: Any = None, **_: Any) -> str:
        """POST ``request_file`` to the endpoint; returns the response body. An error status raises."""
        if input_data is not None:
            raise NotSupportedLocallyError.field("input_data", "…", "send the request as a JSON file with request_file")
        if not request_file:
            raise UserInputError.missing("request_file", "a JSON file with the request body")
        path = Path(request_file).expanduser()
        if not path.is_file():
            raise UserInputError.missing_path("request_file", path)
        self._row(endpoint_name)
        if deployment_name is not None and deployment_name not in self._deployment_names(endpoint_name):
            raise ResourceNotFoundError.of("deployment", deployment_name, known=self._deployment_names(endpoint_name))
        serving = waits.ensure_serving(self._ctx.root, self._store, state.serving_row(self._store)["desired_generation"])
        status, text = post(self._scoring_uri(endpoint_name, serving["port"]), path.read_bytes(),
                            self._auth_header(endpoint_name), deployment_name)
        if status >= 400:
            error = UserInputError if status < 500 else AmlPilotError
            raise error(f"invoke: endpoint {endpoint_name!r} answered {status}: {_message(text)}")
        return text

    # -- local extensions beyond MLClient ---------------------------------

    def get_metrics(self, endpoint_name: str) -> dict[str, dict]:
        """Deployment name → request_count, error_count, p50_ms, p95_ms, p99_ms (since the deployment started)."""
        self._row(endpoint_name)
        live = waits.admin_get(self._store, f"metrics?endpoint={endpoint_name}") or {}
        return {name: live.get(state.deployment_key(endpoint_name, name), empty()) for name in self._deployment_names(endpoint_name)}

    def auth_header(self, endpoint_name: str) -> str:
        """The Authorization header value a caller sends (a key, or a fresh token); never logged."""
        self._row(endpoint_name)
        return self._auth_header(endpoint_name)

    # -- helpers ----------------------------------------------------------

    def _auth_header(self, name: str) -> str:
        credentials = self.get_keys(name)
        secret = getattr(credentials, "access_token", None) or credentials.primary_key
        return f"Bearer {secret}"

    def _row(self, name: str | None):
        row = self._store.resource(state.ENDPOINT, name) if name else None
        if row is None:
            raise ResourceNotFoundError.of("online endpoint", str(name), known=[r.name for r in self._store.resources(state.ENDPOINT)])
        return row

    def _deployment_names(self, endpoint: str) -> list[str]:
        prefix = f"{endpoint}/"
        return [r.name[len(prefix):] for r in self._store.resources(state.DEPLOYMENT) if r.name.startswith(prefix)]

    def _wait_if_serving(self, generation: int) -> None:
        waits.wait_applied(self._store, generation)

    def _scoring_uri(self, name: str, port: int | None) -> str | None:
        return f"http://127.0.0.1:{port}/{name}/score" if port else None

    def _to_entity(self, row) -> Any:
        from azure.ai.ml.entities import OnlineEndpoint

        entity = OnlineEndpoint._load(data=dict(row.spec))
        entity._provisioning_state = row.state or "Succeeded"
        entity._scoring_uri = self._scoring_uri(row.name, state.serving_row(self._store)["port"])
        entity._creation_context = creation_context(row.created_by, row.created_at, row.updated_at)
        return entity


def post(url: str, body: bytes, authorization: str, deployment: str | None = None, timeout: float = 60.0) -> tuple[int, str]:
    headers = {"Content-Type": "application/json", "Authorization": authorization}
    if deployment:
        headers["azureml-model-deployment"] = deployment
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def _message(text: str) -> str:
    try:
        return str(json.loads(text).get("error") or text)
    except (ValueError, AttributeError):
        return text.strip().splitlines()[0] if text.strip() else "(empty body)"
