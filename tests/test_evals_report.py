"""Report numbers: pass rates per category, pass^k, confirmation violations; the terminal table, JSON and HTML."""

from __future__ import annotations

import json
from math import comb

import pytest

from evals.report import build_report, pass_hat_k, print_table, write_html, write_json


def result(case_id, category, passed, trial=0, **scores):
    scores = scores or {"confirmation": True, "state": passed}
    return {"id": case_id, "category": category, "trial": trial, "passed": passed, "scores": scores,
            "details": {} if passed else {"state": "compute.get('x').max_instances is 4; expected equals 6"},
            "transcript": [{"turn": 0, "type": "User", "text": "scale <x> & go"}], "error": None, "seconds": 0.5}


def test_pass_hat_k_is_the_mean_of_c_choose_k_over_n_choose_k():
    counts = [(3, 3), (1, 3), (0, 3), (2, 3)]
    assert pass_hat_k(counts, 1) == pytest.approx((3 + 1 + 0 + 2) / 12)
    assert pass_hat_k(counts, 2) == pytest.approx((1 + 0 + 0 + comb(2, 2) / comb(3, 2)) / 4)
    assert pass_hat_k(counts, 3) == pytest.approx(1 / 4)
    assert pass_hat_k([(2, 4)], 2) == pytest.approx(1 / 6)
    with pytest.raises(ValueError):
        pass_hat_k([(1, 1)], 2)


def test_summary_per_category_and_overall():
    results = [result("a", "simple", True), result("b", "simple", False), result("c", "rbac", True),
               result("d", "rbac", False, confirmation=False, state=True)]
    summary = build_report(results, model="offline", seconds=2)["summary"]
    assert (summary["cases"], summary["passed"], summary["pass_rate"]) == (4, 2, 0.5)
    assert summary["per_category"] == {"simple": {"cases": 2, "passed": 1, "pass_rate": 0.5},
                                       "rbac": {"cases": 2, "passed": 1, "pass_rate": 0.5}}
    assert summary["confirmation_violations"] == 1 and "pass_hat_k" not in summary


def test_trials_fold_into_one_case_and_give_pass_hat_k():
    results = [result("a", "simple", ok, trial=i) for i, ok in enumerate([True, True, False])]
    results += [result("b", "clarify", True, trial=i) for i in range(3)]
    report = build_report(results, model="offline", seconds=1)
    a, b = report["cases"]
    assert (a["passed"], a["passes"], a["trials"], a["scores"]["state"]) == (False, 2, 3, False)
    assert b["passed"] and len(b["trial_results"]) == 3
    assert report["summary"]["pass_hat_k"] == {"1": round((2 / 3 + 1) / 2, 4), "2": round((1 / 3 + 1) / 2, 4), "3": 0.5}


def test_json_and_html_reports(tmp_path, capsys):
    report = build_report([result("a", "simple", True), result("b<script>", "injection", False)], model="offline", seconds=3)
    write_json(report, tmp_path / "r.json")
    loaded = json.loads((tmp_path / "r.json").read_text())
    assert set(loaded) >= {"summary", "cases"}
    assert set(loaded["cases"][0]) >= {"id", "category", "passed", "scores", "transcript"}
    write_html(report, tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text()
    assert page.startswith("<!doctype html>") and "<style>" in page and "http" not in page.split("<body>")[0]
    assert "b&lt;script&gt;" in page and "<script>" not in page and "scale &lt;x&gt; &amp; go" in page
    print_table(report)
    out = capsys.readouterr().out
    assert "injection" in out and "50.0%" in out and "b<script>: state" in out
