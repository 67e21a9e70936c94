"""An online endpoint's live state as plain data: traffic, and per deployment its requests, errors, latencies.

Read through the MLClient-shaped surface only: ``online_endpoints.get`` (traffic,
mirror traffic, scoring URI), ``online_deployments.list`` when the backend has it
(deployments that take no traffic yet), and the local backend's
``online_endpoints.get_metrics`` (the gateway's per-deployment counters). It
blocks, so the endpoint screen calls it from a worker thread.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DeploymentReading:
    name: str
    traffic: int = 0
    mirror: int = 0
    state: str = ""
    request_count: int | None = None   # None: the backend keeps no metrics
    error_count: int | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    requests_per_second: float | None = None  # since the previous reading

    @property
    def error_percent(self) -> float | None:
        if not self.request_count or self.error_count is None:
            return None
        return 100.0 * self.error_count / self.request_count


@dataclass(frozen=True)
class EndpointReading:
    name: str
    scoring_uri: str = ""
    auth_mode: str = ""
    state: str = ""
    deployments: tuple[DeploymentReading, ...] = ()
    metrics_note: str = ""             # why there are no metrics, when there are none
    taken_at: float = field(default=0.0, compare=False)


def read_endpoint(client: Any, name: str, previous: EndpointReading | None = None) -> EndpointReading:
    """The endpoint now; with ``previous``, each deployment's request rate since then."""
    endpoint = client.online_endpoints.get(name)
    traffic = {str(k): int(v) for k, v in (getattr(endpoint, "traffic", None) or {}).items()}
    mirror = {str(k): int(v) for k, v in (getattr(endpoint, "mirror_traffic", None) or {}).items()}
    states = _deployment_states(client, name)
    metrics, note = _metrics(client, name)
    taken_at = time.monotonic()
    before = {d.name: d for d in previous.deployments} if previous else {}
    names = sorted(set(traffic) | set(mirror) | set(states) | set(metrics), key=lambda n: (-traffic.get(n, 0), n))
    deployments = tuple(
        _deployment(n, traffic.get(n, 0), mirror.get(n, 0), states.get(n, ""), metrics.get(n), before.get(n),
                    taken_at - previous.taken_at if previous else 0.0)
        for n in names
    )
    return EndpointReading(
        name=endpoint.name, scoring_uri=str(getattr(endpoint, "scoring_uri", "") or ""),
        auth_mode=_text(getattr(endpoint, "auth_mode", None)), state=_text(getattr(endpoint, "provisioning_state", None)),
        deployments=deployments, metrics_note=note, taken_at=taken_at,
    )


def _deployment(name: str, traffic: int, mirror: int, state: str, metrics: dict | None,
                before: DeploymentReading | None, seconds: float) -> DeploymentReading:
    metrics = metrics or {}
    count = metrics.get("request_count")
    rate = None
    if count is not None and before is not None and before.request_count is not None and seconds > 0:
        rate = max(0, count - before.request_count) / seconds
    return DeploymentReading(
        name, traffic, mirror, state, count, metrics.get("error_count"),
        metrics.get("p50_ms"), metrics.get("p95_ms"), metrics.get("p99_ms"), rate,
    )


def _deployment_states(client: Any, name: str) -> dict[str, str]:
    operations = getattr(client, "online_deployments", None)
    if operations is None:
        return {}
    return {d.name: _text(getattr(d, "provisioning_state", None)) for d in operations.list(endpoint_name=name)}


def _metrics(client: Any, name: str) -> tuple[dict[str, dict], str]:
    get_metrics = getattr(client.online_endpoints, "get_metrics", None)
    if get_metrics is None:
        return {}, "this workspace's backend keeps no per-deployment metrics"
    return dict(get_metrics(name) or {}), ""


def _text(value: Any) -> str:
    value = getattr(value, "value", value)
    return "" if value is None else str(value)
