"""Curated environments: Azure ML's well-known names, run by this interpreter.

On Azure each name is a Docker image. Locally every curated name maps to the
interpreter amlpilot runs in, which already holds scikit-learn, LightGBM,
MLflow and pandas; the table keeps the names so that Azure YAML runs unchanged.
"""

from __future__ import annotations

import sys

CURATED_VERSION = "1"

# name (as in a workspace) -> image it names on Azure
CURATED_ENVIRONMENTS: dict[str, str] = {
    "AzureML-sklearn-1.5": "mcr.microsoft.com/azureml/curated/sklearn-1.5:latest",
    "AzureML-sklearn-1.0-ubuntu20.04-py38-cpu": "mcr.microsoft.com/azureml/curated/sklearn-1.0-ubuntu20.04-py38-cpu:latest",
    "AzureML-lightgbm-3.3": "mcr.microsoft.com/azureml/curated/lightgbm-3.3:latest",
    "AzureML-AutoML": "mcr.microsoft.com/azureml/curated/azureml-automl:latest",
    "AzureML-ai-ml-automl": "mcr.microsoft.com/azureml/curated/ai-ml-automl:latest",
    "AzureML-responsibleai-0.20-ubuntu20.04-py38-cpu": "mcr.microsoft.com/azureml/curated/responsibleai-0.20-ubuntu20.04-py38-cpu:latest",
    "AzureML-minimal-ubuntu22.04-py39-cpu-inference": "mcr.microsoft.com/azureml/curated/minimal-ubuntu22.04-py39-cpu-inference:latest",
    "AzureML-mlflow-ubuntu20.04-py38-cpu-inference": "mcr.microsoft.com/azureml/curated/mlflow-ubuntu20.04-py38-cpu-inference:latest",
    "AzureML-ACPT-pytorch-2.2-cuda12.1": "mcr.microsoft.com/azureml/curated/acpt-pytorch-2.2-cuda12.1:latest",
    "AzureML-tensorflow-2.16-cuda12": "mcr.microsoft.com/azureml/curated/tensorflow-2.16-cuda12:latest",
}


def curated_name(name: str) -> str | None:
    """The curated name for ``name``, also accepting registry names without 'AzureML-'."""
    if name in CURATED_ENVIRONMENTS:
        return name
    prefixed = f"AzureML-{name}"
    return prefixed if prefixed in CURATED_ENVIRONMENTS else None


def curated_entity(name: str):
    from azure.ai.ml.entities import Environment

    return Environment(
        name=name,
        version=CURATED_VERSION,
        image=CURATED_ENVIRONMENTS[name],
        description=f"Curated environment; runs locally in {sys.executable}",
        tags={"curated": "true", "local_interpreter": sys.executable},
    )
