"""Responsible AI insights, computed locally with current libraries.

The flow follows Azure ML's RAI components: a constructor step freezes the
model and the data into an insights folder, tool steps (explanation, causal,
counterfactual, error analysis) each add one insight, and the gather step
joins them into a dashboard folder with a self-contained HTML page. Every step
is a command component whose command runs ``python -m workspace.local.rai.<step>``.

``responsibleai``, ``erroranalysis`` and ``raiwidgets`` pin old numpy, pandas
and scikit-learn, so what they compute is computed here (``compute/``) on
shap, econml, fairlearn, scikit-learn and numpy.
"""

FORMAT_VERSION = "1"  # of the insights folder; readers refuse versions they don't know
