"""Screens: the approval dialog, the job view and the guided start (each imported when first shown)."""
