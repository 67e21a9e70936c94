"""Client-side waits: a change returns once the gateway serves it, as Azure's pollers do."""

from __future__ import annotations

import json
import time
import urllib.request

from workspace.errors import AmlPilotError
from workspace.local.serving import state
from workspace.local.serving.supervise import gateway_alive
from workspace.local.store import Store

TIMEOUT = 600.0  # seconds; building a deployment's environment can take minutes


def ensure_serving(root, store: Store, generation: int, timeout: float = TIMEOUT) -> dict:
    """Start the control plane if needed and wait until the gateway has applied ``generation``."""
    from workspace.local.controlplane.lifecycle import ensure_controlplane

    ensure_controlplane(root)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = gateway_alive(store)
        if row is not None and row["port"] and row["applied_generation"] >= generation:
            return row
        time.sleep(0.05)
    raise AmlPilotError(f"endpoints: the scoring gateway did not apply the change within {timeout:g} s; see {root}/serving/gateway.log")


def wait_applied(store: Store, generation: int, timeout: float = TIMEOUT) -> None:
    """After a removal: wait until a running gateway applied it. None running (it stops with the last
    endpoint) means nothing serves the removed objects any more, which is all a removal waits for."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = gateway_alive(store)
        if row is None or row["applied_generation"] >= generation:
            return
        time.sleep(0.05)
    raise AmlPilotError(f"endpoints: the scoring gateway did not apply the change within {timeout:g} s")


def wait_deployment(store: Store, endpoint: str, name: str, digest: str, timeout: float = TIMEOUT) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = state.deployment_status(store, endpoint, name)
        if status and status["spec_hash"] == digest and status["state"] in ("Succeeded", "Failed"):
            return status
        time.sleep(0.1)
    raise AmlPilotError(f"deployment: {name!r} of endpoint {endpoint!r} was not ready within {timeout:g} s")


def gateway_port(store: Store) -> int | None:
    row = gateway_alive(store)
    return row["port"] if row else None


def admin_get(store: Store, path: str) -> dict | None:
    port = gateway_port(store)
    if port is None:
        return None
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/{path}", timeout=10) as response:
        return json.loads(response.read())
