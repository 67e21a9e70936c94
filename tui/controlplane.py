"""Keeping the local control plane alive while the TUI shows work that needs it.

Queued and running jobs, and online endpoints (whose scoring gateway the
control plane supervises), all stop moving when the control plane dies. The app
checks every few seconds, from a worker thread, while the side panel shows any
of them; a dead control plane is restarted with ``ensure_controlplane``, which
adopts the jobs that kept running, and the user is told either way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

CHECK_SECONDS = 3.0     # how often the app looks, while something needs the control plane
RETRY_SECONDS = 60.0    # after a failed restart: not before this, so a broken one isn't a notification storm


@dataclass(frozen=True)
class Revival:
    """What a check found: ``restarted`` or ``failed``, and the sentence that tells the user."""

    outcome: str
    message: str


class ControlPlaneWatch:
    """One per app; ``check`` blocks (SQLite, starting a process) and returns news only when there is some."""

    def __init__(self) -> None:
        self.last_pid: int | None = None   # the control plane last seen alive
        self._failed_at: float | None = None

    def check(self, client: Any) -> Revival | None:
        root = getattr(client, "root", None)
        if root is None:  # not the local backend: there is no control plane of ours to look after
            return None
        if self._failed_at is not None and time.monotonic() - self._failed_at < RETRY_SECONDS:
            return None
        try:
            return self._check(root)
        except Exception as exc:  # reported to the user; the app carries on without a control plane
            self._failed_at = time.monotonic()
            detail = " ".join(str(getattr(exc, "message", None) or exc or type(exc).__name__).split())
            return Revival("failed", f"the workspace's control plane is not running and could not be restarted: {detail}")

    def _check(self, root: Any) -> Revival | None:
        from workspace.local.controlplane import controlplane_status, ensure_controlplane

        status = controlplane_status(root)
        if status["running"]:
            self.last_pid, self._failed_at = status["pid"], None
            return None
        old = self.last_pid
        status = ensure_controlplane(root)
        self.last_pid, self._failed_at = status["pid"], None
        gone = f"the workspace's control plane (pid {old}) had stopped" if old else "the workspace's control plane was not running"
        return Revival("restarted", f"{gone}; restarted it as pid {status['pid']}")
