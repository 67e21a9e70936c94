"""Local batch endpoints: an invocation is a job that scores files in mini-batches.

``specs`` checks a deployment and stores it as a plain dict; ``invoke`` turns an
invocation into a job row; ``driver`` runs that job (on the deployment's
compute, holding ``instance_count`` slots) with a pool of ``worker`` processes,
``instance_count x max_concurrency_per_instance`` of them; ``scoring`` is what
a worker runs: the MLflow model itself, or the user's ``init()`` / ``run()``.
"""
