"""AutoML jobs on the local workspace: Azure ML's AutoML settings, trained with FLAML.

``submit.prepare_automl`` checks an azure-ai-ml ``ClassificationJob``,
``RegressionJob`` or ``ForecastingJob`` (or ``type: automl`` YAML) and turns it
into a job row that the control plane queues like a command job; the job
process runs ``python -m workspace.local.automl.run``, which featurizes the
data, searches with FLAML, logs each trial as an MLflow child run and logs the
best model (featurization included) as an MLflow model.

Nothing here imports FLAML, scikit-learn, pandas or MLflow at module level:
the CLI and the tools import this package on every start.
"""
