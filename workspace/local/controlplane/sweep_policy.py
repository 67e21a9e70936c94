"""Early termination of sweep trials, with Azure ML's semantics.

Each time a trial logs the primary metric counts as one *interval*. A policy
is applied to a trial at interval ``n`` when ``n >= delay_evaluation`` (and
``n >= 1``) and ``n`` is a multiple of ``evaluation_interval``; it compares the
trial's value at ``n`` with the other trials' values at their own interval
``n``, whether those trials still run or have ended:

- BanditPolicy: stop a trial whose value is not within ``slack_factor`` (a
  ratio) or ``slack_amount`` (a distance) of the best value at ``n``.
- MedianStoppingPolicy: stop a trial whose best value so far is worse than the
  median of the other trials' running averages at ``n``.
- TruncationSelectionPolicy: stop a trial that ranks in the worst
  ``truncation_percentage`` percent at ``n``.

Optuna's pruners have different rules (and no bandit), so the policies are
written out here; Optuna is told which trials were pruned.
"""

from __future__ import annotations

import math
from statistics import median
from typing import Any

NAMES = {"bandit": "BanditPolicy", "median_stopping": "MedianStoppingPolicy", "truncation_selection": "TruncationSelectionPolicy"}


def policy_spec(policy: Any) -> dict | None:
    """The policy entity as plain data; None for no policy."""
    from workspace.errors import UserInputError

    if policy is None:
        return None
    data = dict(policy) if isinstance(policy, dict) else {k: v for k, v in vars(policy).items() if not k.startswith("_")}
    kind = str(data.get("type") or "").lower()
    if kind not in NAMES:
        raise UserInputError.invalid("early_termination.type", kind or None, f"is not one of {', '.join(NAMES)}")
    spec = {"type": kind, "evaluation_interval": int(data.get("evaluation_interval") or 1),
            "delay_evaluation": int(data.get("delay_evaluation") or 0)}
    if kind == "bandit":
        spec.update(slack_factor=float(data.get("slack_factor") or 0), slack_amount=float(data.get("slack_amount") or 0))
        if not spec["slack_factor"] and not spec["slack_amount"]:
            raise UserInputError.missing("early_termination.slack_factor", "a bandit policy needs slack_factor or slack_amount")
    if kind == "truncation_selection":
        spec["truncation_percentage"] = int(data.get("truncation_percentage") or 0)
        if not 1 <= spec["truncation_percentage"] <= 99:
            raise UserInputError.invalid("early_termination.truncation_percentage", spec["truncation_percentage"], "must be between 1 and 99")
    return spec


def due(policy: dict, interval: int) -> bool:
    """Whether the policy is applied at this interval (1-based count of logged values)."""
    return interval >= max(1, policy["delay_evaluation"]) and interval % max(1, policy["evaluation_interval"]) == 0


def verdict(policy: dict, goal: str, trial: str, histories: dict[str, list[float]], interval: int) -> str | None:
    """Why ``trial`` should stop at ``interval``, or None to let it run on."""
    mine = histories[trial]
    others = {name: values for name, values in histories.items() if name != trial and len(values) >= interval}
    if len(mine) < interval or not others:
        return None
    rule = {"bandit": _bandit, "median_stopping": _median, "truncation_selection": _truncation}[policy["type"]]
    reason = rule(policy, goal, mine[:interval], {n: v[:interval] for n, v in others.items()})
    return f"early-terminated by {NAMES[policy['type']]} at interval {interval}: {reason}" if reason else None


def _better(goal: str, a: float, b: float) -> bool:
    return a > b if goal == "maximize" else a < b


def _bandit(policy: dict, goal: str, mine: list[float], others: dict[str, list[float]]) -> str | None:
    values = [v[-1] for v in others.values()] + [mine[-1]]
    best = max(values) if goal == "maximize" else min(values)
    value, factor, amount = mine[-1], policy["slack_factor"], policy["slack_amount"]
    if factor:
        bound = best / (1 + factor) if goal == "maximize" else best * (1 + factor)
        slack = f"slack_factor {factor}"
    else:
        bound = best - amount if goal == "maximize" else best + amount
        slack = f"slack_amount {amount}"
    if _better(goal, bound, value):
        return f"{_fmt(value)} is not within {slack} of the best {_fmt(best)}"
    return None


def _median(policy: dict, goal: str, mine: list[float], others: dict[str, list[float]]) -> str | None:
    averages = [sum(v) / len(v) for v in others.values()]
    middle = median(averages)
    best_so_far = max(mine) if goal == "maximize" else min(mine)
    if _better(goal, middle, best_so_far):
        return f"its best {_fmt(best_so_far)} is worse than the median {_fmt(middle)} of the running averages"
    return None


def _truncation(policy: dict, goal: str, mine: list[float], others: dict[str, list[float]]) -> str | None:
    values = sorted([v[-1] for v in others.values()] + [mine[-1]], reverse=(goal == "maximize"))
    cut = math.floor(len(values) * policy["truncation_percentage"] / 100)
    if cut and values.index(mine[-1]) >= len(values) - cut:
        return f"{_fmt(mine[-1])} ranks in the worst {policy['truncation_percentage']}% of {len(values)} trials"
    return None


def _fmt(value: float) -> str:
    return f"{value:.4g}"
