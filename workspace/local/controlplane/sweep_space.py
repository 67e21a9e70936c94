"""A sweep's search space and sampling: checked at submit time, sampled with Optuna by the driver.

Azure ML's distributions map onto Optuna's as follows. Choice, Randint,
Uniform and LogUniform are Optuna distributions directly (LogUniform's bounds
are exponents, as in Azure: ``exp(uniform(min, max))``). Normal and LogNormal
have no Optuna counterpart, so Optuna samples a quantile ``u`` in (0, 1) that
the inverse normal CDF maps onto the value: uniform quantiles give normally
distributed values, and Sobol and TPE still work in a bounded space. The Q
variants round the sampled value to a multiple of ``q`` (``round(x / q) * q``).
Samplers: grid → GridSampler, random → RandomSampler, random with rule
sobol → QMCSampler(sobol), bayesian → TPESampler.
"""

from __future__ import annotations

import math
from itertools import product
from statistics import NormalDist
from typing import Any

from workspace.errors import NotSupportedLocallyError, UserInputError

PARAMETERS = {
    "choice": ("values",), "randint": ("upper",),
    "uniform": ("min_value", "max_value"), "loguniform": ("min_value", "max_value"),
    "normal": ("mu", "sigma"), "lognormal": ("mu", "sigma"),
    "quniform": ("min_value", "max_value", "q"), "qloguniform": ("min_value", "max_value", "q"),
    "qnormal": ("mu", "sigma", "q"), "qlognormal": ("mu", "sigma", "q"),
}
# What Azure ML accepts per sampling algorithm; the same YAML must also run there later.
ALLOWED = {"grid": ("choice",), "bayesian": ("choice", "uniform", "quniform")}
_EDGE = 1e-9  # quantiles stay inside (0, 1): the inverse CDF is infinite at the ends


# -- submit time -------------------------------------------------------------------


def space_spec(search_space: dict | None) -> dict[str, dict]:
    """The search space as plain data, each parameter checked: ``{name: {"type": ..., parameters}}``."""
    if not search_space:
        raise UserInputError.missing("search_space", "e.g. {'lr': Uniform(0.001, 0.1)}")
    return {name: _parameter(name, dist) for name, dist in search_space.items()}


def _parameter(name: str, dist: Any) -> dict:
    field = f"search_space.{name}"
    data = dict(dist) if isinstance(dist, dict) else {k: v for k, v in vars(dist).items() if not k.startswith("_")}
    kind = str(data.get("type") or "").lower()
    if kind not in PARAMETERS:
        raise UserInputError.invalid(f"{field}.type", kind or None, f"is not a distribution (one of {', '.join(PARAMETERS)})")
    spec = {"type": kind}
    for key in PARAMETERS[kind]:
        if data.get(key) is None:
            raise UserInputError.missing(f"{field}.{key}", f"{kind} needs {', '.join(PARAMETERS[kind])}")
        spec[key] = data[key]
    _check_values(field, spec)
    return spec


def _check_values(field: str, spec: dict) -> None:
    kind = spec["type"]
    if kind == "choice":
        values = spec["values"]
        if not isinstance(values, (list, tuple)) or not values:
            raise UserInputError.invalid(f"{field}.values", values, "must be a non-empty list")
        nested = [v for v in values if not isinstance(v, (str, int, float, bool, type(None)))]
        if nested:
            raise NotSupportedLocallyError.field(f"{field}.values", nested[0], "local sweeps take choices of plain values, not nested search spaces")
        return
    numbers = {k: v for k, v in spec.items() if k != "type"}
    for key, value in numbers.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UserInputError.invalid(f"{field}.{key}", value, "must be a number")
    if kind == "randint" and (int(spec["upper"]) != spec["upper"] or spec["upper"] < 1):
        raise UserInputError.invalid(f"{field}.upper", spec["upper"], "must be a whole number of at least 1")
    if "min_value" in spec and spec["min_value"] >= spec["max_value"]:
        raise UserInputError.invalid(f"{field}.min_value", spec["min_value"], f"must be less than max_value ({spec['max_value']})")
    if "sigma" in spec and spec["sigma"] <= 0:
        raise UserInputError.invalid(f"{field}.sigma", spec["sigma"], "must be positive")
    if "q" in spec and spec["q"] <= 0:
        raise UserInputError.invalid(f"{field}.q", spec["q"], "must be positive")


def sampling_spec(algorithm: Any) -> dict:
    """``"random"``, ``"grid"``, ``"bayesian"`` or a SamplingAlgorithm entity, as {"type", "rule", "seed"}."""
    if algorithm is None:
        return {"type": "random", "rule": None, "seed": None}
    if isinstance(algorithm, str):
        kind, rule, seed = algorithm.lower(), None, None
    else:
        kind = str(getattr(algorithm, "type", "") or "").lower()
        rule, seed = getattr(algorithm, "rule", None), getattr(algorithm, "seed", None)
    if kind not in ("random", "grid", "bayesian"):
        raise UserInputError.invalid("sampling_algorithm", kind, "is not one of random, grid, bayesian")
    rule = str(rule).lower() if rule else None
    if rule not in (None, "random", "sobol"):
        raise UserInputError.invalid("sampling_algorithm.rule", rule, "is not one of random, sobol")
    return {"type": kind, "rule": rule if rule == "sobol" else None, "seed": seed}


def check_fit(space: dict[str, dict], sampling: dict, policy: dict | None) -> None:
    """Refuse a search space or policy the sampling algorithm can't work with (as Azure ML does)."""
    allowed = ALLOWED.get(sampling["type"])
    for name, spec in space.items():
        if allowed and spec["type"] not in allowed:
            raise UserInputError.invalid(
                f"search_space.{name}", spec["type"],
                f"can't be sampled by {sampling['type']} sampling, which takes {', '.join(allowed)} only",
            )
    if sampling["type"] == "bayesian" and policy:
        raise UserInputError.invalid(
            "early_termination", policy["type"], "can't be used with bayesian sampling; Azure ML allows no early termination policy there",
        )


def grid_size(space: dict[str, dict]) -> int:
    return math.prod(len(spec["values"]) for spec in space.values())


# -- drive time ----------------------------------------------------------------------


class Sampler:
    """Asks Optuna for each trial's parameters and tells it each trial's result."""

    def __init__(self, space: dict[str, dict], sampling: dict, goal: str) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.space = space
        self.remaining = grid_size(space) if sampling["type"] == "grid" else None
        self.study = optuna.create_study(
            direction="maximize" if goal == "maximize" else "minimize", sampler=_sampler(space, sampling),
        )
        self.distributions = {name: _distribution(spec) for name, spec in space.items()}
        self.trials: dict[int, Any] = {}

    def exhausted(self) -> bool:
        return self.remaining is not None and self.remaining <= 0

    def ask(self) -> tuple[int, dict[str, Any]]:
        """(trial number, parameter values) for the next trial."""
        trial = self.study.ask(self.distributions)
        self.trials[trial.number] = trial
        if self.remaining is not None:
            self.remaining -= 1
        return trial.number, {name: value_of(self.space[name], trial.params[name]) for name in self.space}

    def tell(self, number: int, value: float | None, state: str) -> None:
        """state: complete (with the trial's final value), pruned (early-terminated) or fail."""
        from optuna.trial import TrialState

        states = {"complete": TrialState.COMPLETE, "pruned": TrialState.PRUNED, "fail": TrialState.FAIL}
        if state == "complete" and value is None:
            state = "fail"
        self.study.tell(self.trials.pop(number), value if state == "complete" else None, state=states[state])


def _sampler(space: dict[str, dict], sampling: dict):
    import optuna

    seed = sampling.get("seed")
    if sampling["type"] == "grid":
        class AskTellGrid(optuna.samplers.GridSampler):
            def after_trial(self, *args, **kwargs) -> None:
                """Nothing: GridSampler would stop an optimize() loop here, which ask/tell has not.

                The sweep driver counts the grid itself.
                """

        return AskTellGrid({n: list(s["values"]) for n, s in space.items()}, seed=seed)
    if sampling["type"] == "bayesian":
        # constant_liar: trials running side by side don't all get the same suggestion.
        return optuna.samplers.TPESampler(seed=seed, constant_liar=True, n_startup_trials=min(10, 2 * len(space) + 1))
    if sampling.get("rule") == "sobol":
        import warnings

        with warnings.catch_warnings():  # "QMCSampler is experimental": nothing a user can act on
            warnings.simplefilter("ignore")
            return optuna.samplers.QMCSampler(qmc_type="sobol", scramble=True, seed=seed)
    return optuna.samplers.RandomSampler(seed=seed)


def _distribution(spec: dict):
    """The Optuna distribution of the value Optuna samples (before ``value_of`` maps it)."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    kind = spec["type"]
    if kind == "choice":
        return CategoricalDistribution(list(spec["values"]))
    if kind == "randint":
        return IntDistribution(0, int(spec["upper"]) - 1)
    if kind in ("uniform", "quniform"):
        return FloatDistribution(float(spec["min_value"]), float(spec["max_value"]))
    if kind in ("loguniform", "qloguniform"):
        return FloatDistribution(math.exp(spec["min_value"]), math.exp(spec["max_value"]), log=True)
    return FloatDistribution(_EDGE, 1 - _EDGE)  # normal family: a quantile


def value_of(spec: dict, raw: Any) -> Any:
    """The parameter's value from what Optuna sampled."""
    kind = spec["type"]
    if kind in ("choice", "randint", "uniform", "loguniform"):
        return raw
    value = raw
    if kind in ("normal", "lognormal", "qnormal", "qlognormal"):
        value = NormalDist(spec["mu"], spec["sigma"]).inv_cdf(raw)
        if kind in ("lognormal", "qlognormal"):
            value = math.exp(value)
    if kind.startswith("q"):
        value = round(value / spec["q"]) * spec["q"]
        if isinstance(spec["q"], int) and float(value).is_integer():
            value = int(value)  # q=1 on a count gives 3, not 3.0: scripts parse it as an int
    return value


def grid_points(space: dict[str, dict]) -> list[dict[str, Any]]:
    """Every combination of a grid search space (for tests and previews)."""
    names = list(space)
    return [dict(zip(names, combo)) for combo in product(*(space[n]["values"] for n in names))]
