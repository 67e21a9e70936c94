"""Online endpoints on this machine: a loopback scoring gateway and its worker processes.

``gateway`` is one asyncio process per workspace, started and supervised by the
control plane (``supervise``). Each deployment instance is a ``worker`` process
talking to the gateway over a socketpair with length-prefixed frames
(``protocol``). ``state`` holds the tables both sides share; ``keys`` the
endpoint keys and tokens, which live in the workspace's secret store only.
"""
