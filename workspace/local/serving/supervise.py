"""The control plane's side of serving: keep one gateway running while endpoints exist.

``tick`` runs in the daemon's loop: it starts the gateway when an endpoint
exists and none is alive (checked by pid and start time, as for jobs), and
stops it when the last endpoint is gone. ``stop_gateway`` is also called when
the control plane stops, so ``amlpilot workspace down`` leaves no process
serving.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

from workspace.local.serving import state
from workspace.local.store import Store

RESPAWN_AFTER = 5.0  # seconds to give a gateway we started to record itself before starting another
_log = logging.getLogger("amlpilot.controlplane")


def gateway_alive(store: Store) -> dict | None:
    from workspace.local.controlplane import procs

    row = state.serving_row(store)
    if row["pid"] and row["stopped_at"] is None and procs.is_alive(row["pid"], row["pid_started"]):
        return row
    return None


class GatewaySupervisor:
    def __init__(self, root: Path, store: Store) -> None:
        self.root = Path(root)
        self.store = store
        self._spawned: subprocess.Popen | None = None
        self._spawned_at = 0.0

    def tick(self) -> None:
        wanted = bool(self.store.resources(state.ENDPOINT))
        alive = gateway_alive(self.store)
        if wanted and alive is None and not self._recently_spawned():
            self._spawned = spawn_gateway(self.root)
            self._spawned_at = time.monotonic()
            _log.info("started the scoring gateway (pid %d)", self._spawned.pid)
        elif not wanted and alive is not None:
            stop_gateway(self.root)

    def stop(self) -> None:
        """Stop the gateway, also one this supervisor spawned that has not recorded itself yet."""
        stop_gateway(self.root)
        spawned = self._spawned
        if spawned is not None and spawned.poll() is None:  # spawned moments ago: invisible to stop_gateway
            spawned.terminate()
            try:
                spawned.wait(10)
            except subprocess.TimeoutExpired:
                spawned.kill()
                spawned.wait()

    def _recently_spawned(self) -> bool:
        return (self._spawned is not None and self._spawned.poll() is None
                and time.monotonic() - self._spawned_at < RESPAWN_AFTER)


def spawn_gateway(root: Path) -> subprocess.Popen:
    import workspace

    log = Path(root) / "serving" / "gateway.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    env = os.environ.copy()
    project = str(Path(workspace.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (project, env.get("PYTHONPATH")) if p)
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "workspace.local.serving.gateway", "--root", str(root)],
            cwd=root, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=env,
        )


def stop_gateway(root: str | os.PathLike, timeout: float = 10.0) -> bool:
    """SIGTERM the gateway (it stops its workers), SIGKILL after ``timeout``; False if none ran."""
    from workspace.local.controlplane import procs

    db = Path(root).expanduser().resolve() / "workspace.db"
    if not db.exists():
        return False
    store = Store(db)
    try:
        row = gateway_alive(store)
        if row is None:
            return False
        procs.terminate(row["pid"], row["pid_started"], grace=timeout)
        procs.terminate_group(row["pid"], row["pid_started"], grace=2.0)  # workers of a SIGKILLed gateway
        state.record_gateway_stopped(store, row["pid"])
    finally:
        store.close()
    return True
