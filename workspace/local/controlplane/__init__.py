"""The local control plane: one background process per workspace that runs the job queues.

``ensure_controlplane``, ``stop_controlplane`` and ``controlplane_status`` are
what ``amlpilot workspace up|down|status`` call; ``client.jobs`` starts the
control plane on demand.
"""

from workspace.local.controlplane.lifecycle import controlplane_status, ensure_controlplane, stop_controlplane

__all__ = ["controlplane_status", "ensure_controlplane", "stop_controlplane"]
