"""The model under study: an MLflow model folder, with predict and (for classifiers) predict_proba."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workspace.errors import UserInputError


class LoadedModel:
    """The functions the insights need, whatever the flavor: predict, and predict_proba when it exists."""

    def __init__(self, model: Any, features: list[str] | None, native: bool) -> None:
        self._model = model
        self._native = native  # a scikit-learn-like estimator, not a pyfunc wrapper
        self.features = features

    def predict(self, frame) -> Any:
        import numpy as np

        result = self._model.predict(self._frame(frame))
        return np.asarray(getattr(result, "to_numpy", lambda: result)()).reshape(len(frame), -1)[:, 0]

    @property
    def has_proba(self) -> bool:
        return self._native and hasattr(self._model, "predict_proba")

    def predict_proba(self, frame) -> Any:
        import numpy as np

        return np.asarray(self._model.predict_proba(self._frame(frame)))

    @property
    def estimator(self) -> Any:
        """The scikit-learn-like estimator itself; None for a pyfunc model."""
        return self._model if self._native else None

    @property
    def classes(self) -> list | None:
        classes = getattr(self._model, "classes_", None)
        return list(classes) if classes is not None else None

    def _frame(self, frame):
        return frame[self.features] if self.features else frame


def load_model(folder: Path, task_type: str | None = None) -> LoadedModel:
    import mlflow

    folder = Path(folder)
    if not (folder / "MLmodel").is_file():
        raise UserInputError.invalid("model_input", str(folder), "is not an MLflow model folder (no MLmodel file)")
    flavors = mlflow.models.Model.load(str(folder / "MLmodel")).flavors
    features = signature_columns(folder)
    if "sklearn" in flavors:
        import mlflow.sklearn

        return LoadedModel(mlflow.sklearn.load_model(str(folder)), features, native=True)
    return LoadedModel(mlflow.pyfunc.load_model(str(folder)), features, native=False)


def signature_columns(folder: Path) -> list[str] | None:
    """The input column names of the model's signature; None when it has none or unnamed inputs."""
    import mlflow

    signature = mlflow.models.Model.load(str(Path(folder) / "MLmodel")).signature
    if signature is None or signature.inputs is None or not signature.inputs.has_input_names():
        return None
    return list(signature.inputs.input_names())


def signature_types(folder: Path) -> dict[str, str]:
    import mlflow

    signature = mlflow.models.Model.load(str(Path(folder) / "MLmodel")).signature
    if signature is None or signature.inputs is None or not signature.inputs.has_input_names():
        return {}
    return {spec.name: str(getattr(spec.type, "name", spec.type)) for spec in signature.inputs.inputs}
