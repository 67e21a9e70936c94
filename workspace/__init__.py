"""Workspace backends. Tools only ever see the ``MLClient``-shaped interface."""
