"""Sweep jobs: Optuna samples the space, trials are child jobs and MLflow child runs, policies stop bad trials."""

from __future__ import annotations

import math
import textwrap

import pytest

from test_jobs_support import (  # noqa: F401
    cluster, curated, job_log, jobs_client, mlflow_db_template, mlflow_run, wait_for, wait_status, write_script,
)

# Logs the primary metric once per step; `quality` decides how good the trial is, so bad trials are clearly
# bad, and slow: left alone they would run for 3 s, so the policy has time to stop them.
TRIAL = textwrap.dedent(
    """
    import argparse, time
    import mlflow
    parser = argparse.ArgumentParser()
    parser.add_argument("--quality", type=float); parser.add_argument("--lr", type=float)
    args = parser.parse_args()
    for step in range(6):
        mlflow.log_metric("acc", args.quality + 0.01 * step, step=step)
        time.sleep(0.1 if args.quality > 0.5 else 0.5)
    print("trained with", args.quality, args.lr)
    """
)


def _sweep(code, compute, **kwargs):
    from azure.ai.ml import command

    job = command(
        code=str(code), command="python trial.py --quality ${{inputs.quality}} --lr ${{inputs.lr}}",
        inputs={"quality": 0.5, "lr": 0.1}, environment=curated(), compute=compute,
    )
    space = kwargs.pop("space")
    sweep = job(**space).sweep(primary_metric=kwargs.pop("metric", "acc"), goal=kwargs.pop("goal", "maximize"), **kwargs)
    return sweep


def test_bandit_sweep_early_terminates_bad_trials_and_reports_the_best(jobs_client, tmp_path):
    from azure.ai.ml.sweep import BanditPolicy, Choice, LogUniform, RandomSamplingAlgorithm

    client = jobs_client
    cluster(client, "sweepers", 2)
    code = write_script(tmp_path / "src", "trial.py", TRIAL)
    sweep = _sweep(
        code, "sweepers", space={"quality": Choice([0.2, 0.9]), "lr": LogUniform(-5, -1)},
        sampling_algorithm=RandomSamplingAlgorithm(seed=1),
        early_termination_policy=BanditPolicy(slack_factor=0.2, evaluation_interval=1, delay_evaluation=1),
    )
    sweep.set_limits(max_total_trials=6, max_concurrent_trials=2)
    name = client.jobs.create_or_update(sweep).name
    job = wait_status(client, name, "Completed", timeout=120)

    trials = client.jobs.trials(name)
    assert len(trials) == 6 and {t["name"] for t in trials} == {f"{name}_{i}" for i in range(6)}
    early = [t for t in trials if t["status"] == "Canceled"]
    assert early, f"no trial was early-terminated: {trials}"
    for trial in early:
        assert trial["parameters"]["quality"] == 0.2, trial  # only the bad ones are stopped
        assert trial["reason"].startswith("early-terminated by BanditPolicy at interval "), trial
        assert trial["intervals"] < 6
    for trial in trials:
        assert math.exp(-5) <= trial["parameters"]["lr"] <= math.exp(-1)
    best = max((t for t in trials if t["status"] == "Completed"), key=lambda t: t["acc"])
    assert job.properties["best_child_run_id"] == best["name"] and best["parameters"]["quality"] == 0.9
    assert float(job.properties["score"]) == pytest.approx(0.95)
    assert "early-terminated" in job.properties["trial_summary"]

    children = list(client.jobs.list(parent_job_name=name))
    assert sorted(c.name for c in children) == sorted(t["name"] for t in trials)
    assert all(c.compute == "sweepers" and c.parent_job_name == name for c in children)
    parent_run = job.properties["mlflow.runId"]
    for child in children:
        run = mlflow_run(client, child.properties["mlflow.runId"])
        assert run.data.tags["mlflow.parentRunId"] == parent_run
    assert mlflow_run(client, parent_run).data.metrics["acc"] == pytest.approx(0.95)
    assert "early-terminated by BanditPolicy" in job_log(client, name)


def test_samplers_draw_parameters_from_their_space():
    from workspace.local.controlplane.sweep_space import Sampler, grid_points, space_spec
    from azure.ai.ml.sweep import (
        Choice, LogNormal, LogUniform, Normal, QLogNormal, QLogUniform, QNormal, QUniform, Randint, Uniform,
    )

    grid = space_spec({"a": Choice([1, 2, 3]), "b": Choice(["x", "y"])})
    sampler = Sampler(grid, {"type": "grid", "seed": 0}, "maximize")
    drawn = []
    for _ in range(6):
        number, parameters = sampler.ask()
        drawn.append(parameters)
        sampler.tell(number, parameters["a"], "complete")  # ask/tell, as the driver does
    assert sampler.exhausted()
    assert sorted(map(str, drawn)) == sorted(map(str, grid_points(grid)))  # every point once

    space = space_spec({
        "c": Choice([4, 8]), "r": Randint(upper=3), "u": Uniform(-1, 1), "lu": LogUniform(-4, 0),
        "n": Normal(10, 2), "ln": LogNormal(0, 0.5), "qu": QUniform(0, 100, 5), "qlu": QLogUniform(0, 4, 2),
        "qn": QNormal(50, 10, 3), "qln": QLogNormal(1, 0.5, 1),
    })
    for sampling in ({"type": "random", "seed": 3}, {"type": "random", "rule": "sobol", "seed": 3}):
        sampler = Sampler(space, sampling, "minimize")
        for _ in range(16):
            number, p = sampler.ask()
            assert p["c"] in (4, 8) and p["r"] in (0, 1, 2) and -1 <= p["u"] <= 1
            assert math.exp(-4) <= p["lu"] <= 1 and p["ln"] > 0 and p["qln"] >= 0
            assert p["qu"] % 5 == 0 and 0 <= p["qu"] <= 100 and p["qlu"] % 2 == 0 and p["qn"] % 3 == 0
            assert isinstance(p["qu"], int) and isinstance(p["r"], int)
            sampler.tell(number, p["u"], "complete")
    means = [Sampler(space, {"type": "random", "seed": s}, "minimize").ask()[1]["n"] for s in range(60)]
    assert 9 < sum(means) / len(means) < 11  # Normal(10, 2) really is centred on 10

    bayes = Sampler(space_spec({"x": Uniform(0, 10), "k": Choice(["a", "b"])}), {"type": "bayesian"}, "minimize")
    assert type(bayes.study.sampler).__name__ == "TPESampler"
    for _ in range(15):
        number, p = bayes.ask()
        assert 0 <= p["x"] <= 10 and p["k"] in ("a", "b")
        bayes.tell(number, (p["x"] - 3) ** 2, "complete")
    assert bayes.study.best_value < 4


@pytest.mark.parametrize("case", ["grid+uniform", "bayesian+bandit", "bayesian+normal", "unknown search_space ref",
                                  "no primary metric", "bad goal", "no limits", "unknown compute"])
def test_bad_sweeps_are_refused_before_anything_is_queued(jobs_client, tmp_path, case):
    from azure.ai.ml.sweep import BanditPolicy, Choice, Normal, Uniform

    from workspace.errors import UserInputError
    from workspace.local.controlplane import controlplane_status

    client = jobs_client
    cluster(client, "cpu", 1)
    code = write_script(tmp_path / "src", "trial.py", TRIAL)
    space = {"quality": Choice([0.1, 0.2]), "lr": Uniform(0.01, 0.1)}
    kwargs, limits, expected = {"space": space, "sampling_algorithm": "random"}, {"max_total_trials": 2}, None
    if case == "grid+uniform":
        kwargs["sampling_algorithm"] = "grid"
        expected = "search_space.lr: 'uniform' can't be sampled by grid sampling, which takes choice only"
    elif case == "bayesian+bandit":
        kwargs.update(sampling_algorithm="bayesian", early_termination_policy=BanditPolicy(slack_factor=0.1))
        expected = "early_termination: 'bandit' can't be used with bayesian sampling"
    elif case == "bayesian+normal":
        kwargs.update(sampling_algorithm="bayesian", space={"quality": Normal(0.5, 0.1), "lr": Uniform(0.01, 0.1)})
        expected = "search_space.quality: 'normal' can't be sampled by bayesian sampling"
    elif case == "no primary metric":
        kwargs["metric"] = ""
        expected = "objective.primary_metric: a value is required"
    elif case == "bad goal":
        kwargs["goal"] = "maximise"
        expected = "objective.goal: 'maximise' is not one of maximize, minimize"
    elif case == "no limits":
        limits = {}
        expected = "limits.max_total_trials: a value is required"
    sweep = _sweep(code, "nowhere" if case == "unknown compute" else "cpu", **kwargs)
    if limits:
        sweep.set_limits(**limits)
    if case == "unknown search_space ref":
        sweep = sweep._to_job()
        sweep.trial.command += " --extra ${{search_space.momentum}}"
        expected = "trial.command: '${{search_space.momentum}}' names 'momentum', which the search_space does not define"
    if case == "unknown compute":
        expected = "compute: 'nowhere' was not found in this workspace"
    with pytest.raises(UserInputError) as info:
        client.jobs.create_or_update(sweep)
    assert str(info.value).startswith(expected), str(info.value)
    assert "\n" not in str(info.value)
    assert list(client.jobs.list()) == [] and not controlplane_status(client.root)["running"]


def test_a_primary_metric_no_trial_logs_fails_the_sweep_after_its_first_trial(jobs_client, tmp_path):
    from azure.ai.ml.sweep import Choice

    client = jobs_client
    code = write_script(tmp_path / "src", "trial.py", "import sys\nprint('no metrics here', sys.argv[1:])\n")
    sweep = _sweep(code, None, space={"quality": Choice([1, 2, 3])}, sampling_algorithm="grid", metric="val_loss", goal="minimize")
    sweep.set_limits(max_total_trials=3, max_concurrent_trials=1)
    name = client.jobs.create_or_update(sweep).name
    job = wait_status(client, name, "Failed")
    assert job.properties["error"].startswith(
        f"objective.primary_metric: 'val_loss' was not logged by trial {name}_0 (it logged: no metrics)"
    ), job.properties["error"]
    assert [t.name for t in client.jobs.list(parent_job_name=name)] == [f"{name}_0"]  # stopped after the first


def test_cancelling_a_sweep_on_a_one_slot_cluster_cancels_its_trials(jobs_client, tmp_path):
    from azure.ai.ml.sweep import Choice

    client = jobs_client
    cluster(client, "solo", 1)  # the driver doesn't take the only slot: the first trial runs
    code = write_script(tmp_path / "src", "trial.py", "import time\nprint('waiting', flush=True)\ntime.sleep(120)\n")
    sweep = _sweep(code, "solo", space={"quality": Choice([1, 2, 3])}, sampling_algorithm="grid")
    name = client.jobs.create_or_update(sweep).name
    first = f"{name}_0"
    wait_for(lambda: [t for t in client.jobs.list(parent_job_name=name)], what="the first trial")
    wait_status(client, first, "Running")
    queued = [t.name for t in client.jobs.list(parent_job_name=name) if t.name != first]
    client.jobs.begin_cancel(name).result(timeout=60)
    assert client.jobs.get(name).status == "Canceled"
    wait_status(client, first, "Canceled")
    for trial in queued:
        assert client.jobs.get(trial).status == "Canceled"
    assert "waiting" in job_log(client, first)


def test_a_sweep_that_reaches_its_timeout_cancels_its_trials(jobs_client, tmp_path):
    from azure.ai.ml.sweep import Choice

    client = jobs_client
    code = write_script(tmp_path / "src", "trial.py", "import time\ntime.sleep(120)\n")
    sweep = _sweep(code, None, space={"quality": Choice([1, 2])}, sampling_algorithm="grid")
    sweep.set_limits(max_total_trials=2)
    sweep.limits._timeout = 2  # azure-ai-ml rounds timeouts under 60 s up to 60; the engine takes any
    name = client.jobs.create_or_update(sweep).name
    job = wait_status(client, name, "Failed")
    assert job.properties["error"] == "sweep: no trial completed with acc logged (2 Canceled); limits.timeout: the sweep reached 2 seconds"
    trials = client.jobs.trials(name)
    assert [t["status"] for t in trials] == ["Canceled", "Canceled"]
    assert {t["reason"] for t in trials} == {"limits.timeout of the sweep"}


@pytest.mark.parametrize("policy, histories, expected", [
    ({"type": "bandit", "slack_factor": 0.1, "slack_amount": 0}, {"t": [0.5, 0.7], "o": [0.6, 0.9]},
     "early-terminated by BanditPolicy at interval 2: 0.7 is not within slack_factor 0.1 of the best 0.9"),
    ({"type": "bandit", "slack_factor": 0.1, "slack_amount": 0}, {"t": [0.5, 0.85], "o": [0.6, 0.9]}, None),
    ({"type": "bandit", "slack_factor": 0, "slack_amount": 0.05}, {"t": [0.5, 0.8], "o": [0.6, 0.9]},
     "early-terminated by BanditPolicy at interval 2: 0.8 is not within slack_amount 0.05 of the best 0.9"),
    ({"type": "median_stopping"}, {"t": [0.1, 0.2], "o": [0.5, 0.7], "p": [0.6, 0.8]},
     "early-terminated by MedianStoppingPolicy at interval 2: its best 0.2 is worse than the median 0.65 of the running averages"),
    ({"type": "median_stopping"}, {"t": [0.1, 0.9], "o": [0.5, 0.7], "p": [0.6, 0.8]}, None),
    ({"type": "truncation_selection", "truncation_percentage": 50}, {"t": [0.3, 0.4], "o": [0.5, 0.7], "p": [0.6, 0.8], "q": [0.1, 0.9]},
     "early-terminated by TruncationSelectionPolicy at interval 2: 0.4 ranks in the worst 50% of 4 trials"),
    ({"type": "truncation_selection", "truncation_percentage": 20}, {"t": [0.3, 0.4], "o": [0.5, 0.7], "p": [0.6, 0.8]}, None),
    ({"type": "bandit", "slack_factor": 0.1, "slack_amount": 0}, {"t": [0.1, 0.1, 0.1]}, None),  # nobody to compare with
])
def test_early_termination_policies_follow_azure_ml(policy, histories, expected):
    from workspace.local.controlplane.sweep_policy import due, verdict

    policy = {"evaluation_interval": 1, "delay_evaluation": 0, **policy}
    assert verdict(policy, "maximize", "t", histories, 2) == expected
    if policy["type"] != "bandit":  # rank- and median-based: the same race run the other way round
        minimised = {n: [-v for v in values] for n, values in histories.items()}
        assert (verdict(policy, "minimize", "t", minimised, 2) is None) == (expected is None)
    every_other = {**policy, "evaluation_interval": 2, "delay_evaluation": 3}
    assert [n for n in range(1, 9) if due(every_other, n)] == [4, 6, 8]


def test_bandit_policy_when_minimizing():
    from workspace.local.controlplane.sweep_policy import verdict

    policy = {"type": "bandit", "slack_factor": 0, "slack_amount": 0.05, "evaluation_interval": 1, "delay_evaluation": 0}
    assert verdict(policy, "minimize", "t", {"t": [0.5, 0.3], "o": [0.6, 0.2]}, 2).endswith("0.3 is not within slack_amount 0.05 of the best 0.2")
    assert verdict(policy, "minimize", "t", {"t": [0.5, 0.22], "o": [0.6, 0.2]}, 2) is None
    factor = {**policy, "slack_factor": 0.2, "slack_amount": 0}
    assert verdict(factor, "minimize", "t", {"t": [0.5, 0.25], "o": [0.6, 0.2]}, 2).endswith("slack_factor 0.2 of the best 0.2")
    assert verdict(factor, "minimize", "t", {"t": [0.5, 0.23], "o": [0.6, 0.2]}, 2) is None
