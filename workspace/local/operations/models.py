"""``client.models``: placeholder, being written (MLflow model registry)."""


class ModelOperations:
    def __init__(self, ctx) -> None:
        self._ctx = ctx
