"""Widgets, one per module: transcript, tool card, prompt, workspace tree, status bar, job progress, metrics chart."""
