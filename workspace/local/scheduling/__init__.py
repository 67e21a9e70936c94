"""Schedules of the local workspace: trigger arithmetic, their tables, and the control plane's firing hook.

``client.schedules`` (workspace/local/operations/schedules.py) creates and
changes schedules; the control plane calls ``hook.fire_due`` every tick, and
each fire submits the schedule's job through ``client.jobs``.
"""
