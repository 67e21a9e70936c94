"""What a batch worker does with one mini-batch, in this process: rows written, files counted as failed."""

from __future__ import annotations

import textwrap

import pytest

from test_batch_support import CORRUPT, FEATURES, ROWS_PER_FILE, diabetes_frame, input_folder, mlflow_model_dir  # noqa: F401


def test_mlflow_scorer_fails_only_the_bad_file_and_numbers_rows_per_file(mlflow_model_dir, input_folder, tmp_path):
    import mlflow.sklearn
    import pandas as pd

    from workspace.local.batch.scoring import MlflowScorer

    files = [str(input_folder / n) for n in ("part-1.csv", CORRUPT, "part-3.csv")]
    (input_folder / "notes.txt").write_text("hello")
    rows, failed = MlflowScorer(str(mlflow_model_dir)).score([*files, str(input_folder / "notes.txt")], tmp_path / "part.csv")
    assert rows == 2 * ROWS_PER_FILE
    assert [name for name, _ in failed] == [CORRUPT, "notes.txt"]
    assert failed[1][1] == "ValueError: file type 'txt' is not supported; MLflow batch scoring reads csv and parquet"
    written = pd.read_csv(tmp_path / "part.csv", header=None, names=["row", "prediction", "file_name"])
    model = mlflow.sklearn.load_model(str(mlflow_model_dir))
    for name in ("part-1.csv", "part-3.csv"):
        mine = written[written["file_name"] == name]
        assert list(mine["row"]) == list(range(ROWS_PER_FILE))
        assert list(mine["prediction"]) == list(model.predict(pd.read_csv(input_folder / name)[FEATURES]))


SHORT_SCRIPT = textwrap.dedent(
    """
    def init():
        global calls
        calls = 0

    def run(mini_batch):
        global calls
        calls += 1
        return [[calls, "first-only"]] if len(mini_batch) > 1 else {"a": 1}
    """
)


def test_script_results_count_as_processed_inputs(tmp_path):
    from workspace.local.batch.scoring import ScriptScorer

    (tmp_path / "score.py").write_text(SHORT_SCRIPT)
    scorer = ScriptScorer(str(tmp_path), "score.py")
    rows, failed = scorer.score(["a.csv", "b.csv", "c.csv"], tmp_path / "part.csv")
    assert (rows, len(failed)) == (1, 2)  # one element returned for three files: two failed
    assert failed[0][1] == "run() returned 1 result(s) for 3 file(s)"
    assert (tmp_path / "part.csv").read_text() == "1,first-only\n"
    with pytest.raises(TypeError, match="run\\(\\) returned dict"):
        scorer.score(["a.csv"], tmp_path / "part2.csv")


def test_prediction_frames_take_arrays_series_and_frames():
    import numpy as np
    import pandas as pd

    from workspace.local.batch.scoring import prediction_frame

    two_columns = prediction_frame(np.array([[0.2, 0.8], [0.9, 0.1]]), "f.csv")
    assert two_columns.values.tolist() == [[0, 0.2, 0.8, "f.csv"], [1, 0.9, 0.1, "f.csv"]]
    series = prediction_frame(pd.Series([1, 0], index=[10, 11]), "g.csv")
    assert series.values.tolist() == [[0, 1, "g.csv"], [1, 0, "g.csv"]]
    frame = prediction_frame(pd.DataFrame({"label": ["yes", "no"]}), "h.csv")
    assert list(frame.columns) == ["row", "label", "file_name"]
