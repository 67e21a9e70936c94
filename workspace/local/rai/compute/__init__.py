"""The computations behind each insight, on plain pandas frames and a loaded model (no I/O here)."""
