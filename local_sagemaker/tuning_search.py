"""The search behind hyperparameter tuning jobs, done by optuna.

SageMaker's parameter ranges become optuna distributions and its strategies optuna samplers:

- Bayesian → `TPESampler` (random for the first few trials, then tree-structured Parzen estimators);
- Random → `RandomSampler`;
- Grid → `GridSampler` over every combination of the categorical values (SageMaker's Grid takes
  categorical ranges only, and runs each combination once);
- Hyperband → `RandomSampler` plus optuna's `HyperbandPruner`: children report the objective after
  every boosting round (the resource) and the pruner stops those that lose their successive-halving
  bracket, starting from `MinResource` rounds, planning brackets up to `MaxResource`.

`TrainingJobEarlyStoppingType: Auto` adds optuna's `MedianPruner`: a running child is stopped when its
best objective so far, from round 2 on, is worse than the median of what finished children had reached
at the same round (once 3 children have finished) — SageMaker's median stopping rule.

A `RandomSeed` seeds every sampler, so one tuning job asks the same sequence of hyperparameters each
time as long as the results it is told arrive in the same order.

Ranges and scaling types, as SageMaker defines them:
- Linear: uniform over [MinValue, MaxValue]. Auto is treated as Linear.
- Logarithmic: log-uniform; needs MinValue > 0.
- ReverseLogarithmic (continuous ranges only): dense near 1; needs 0 <= MinValue < MaxValue < 1. It is
  searched as `1 - x` on a log scale.

Everything here is pure: no store, no processes. Configuration errors raise ValidationException naming
the field.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.trial import Trial, TrialState

from local_sagemaker.errors import ValidationException

BAYESIAN, RANDOM, GRID, HYPERBAND = "Bayesian", "Random", "Grid", "Hyperband"
AUTO, LINEAR, LOGARITHMIC, REVERSE_LOGARITHMIC = "Auto", "Linear", "Logarithmic", "ReverseLogarithmic"
INTEGER, CONTINUOUS, CATEGORICAL = "Integer", "Continuous", "Categorical"

RANGES_FIELD = "HyperParameterTuningJobConfig.ParameterRanges"
MAX_RANGES = 30  # the sum over the three range lists, as the API documents
# Median stopping rule (TrainingJobEarlyStoppingType Auto): finished children needed, first round judged.
MEDIAN_STARTUP_TRIALS = 3
MEDIAN_WARMUP_ROUNDS = 2
HYPERBAND_REDUCTION_FACTOR = 3

optuna.logging.set_verbosity(optuna.logging.WARNING)


@dataclass(frozen=True)
class ParameterRange:
    """One tunable hyperparameter: how it was given, and how optuna searches it."""

    name: str
    kind: str  # INTEGER, CONTINUOUS or CATEGORICAL
    where: str  # the request field, for messages: ...IntegerParameterRanges[0]
    low: float = 0.0
    high: float = 0.0
    scaling: str = AUTO
    values: tuple[str, ...] = ()

    def distribution(self) -> BaseDistribution:
        if self.kind == CATEGORICAL:
            return CategoricalDistribution(self.values)
        if self.kind == INTEGER:
            return IntDistribution(int(self.low), int(self.high), log=self.scaling == LOGARITHMIC)
        if self.scaling == REVERSE_LOGARITHMIC:
            return FloatDistribution(1.0 - self.high, 1.0 - self.low, log=True)
        return FloatDistribution(self.low, self.high, log=self.scaling == LOGARITHMIC)

    def to_hyperparameter(self, internal: Any) -> str:
        """optuna's value → the string a training job receives."""
        if self.kind == CATEGORICAL:
            return str(internal)
        if self.kind == INTEGER:
            return str(int(internal))
        value = 1.0 - float(internal) if self.scaling == REVERSE_LOGARITHMIC else float(internal)
        return repr(min(max(value, self.low), self.high))

    def to_internal(self, text: str) -> Any | None:
        """A training job's hyperparameter string → optuna's value, or None if outside this range."""
        value: Any
        try:
            if self.kind == CATEGORICAL:
                value = text
            elif self.kind == INTEGER:
                value = int(text)
            else:
                number = float(text)
                value = 1.0 - number if self.scaling == REVERSE_LOGARITHMIC else number
        except ValueError:
            return None
        distribution = self.distribution()
        return value if distribution._contains(distribution.to_internal_repr(value)) else None


def _number(raw: str, where: str, integer: bool) -> float:
    text = str(raw).strip()
    try:
        value = float(int(text)) if integer else float(text)
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise ValidationException(f"{where}: {raw!r} is not {kind}") from None
    if not math.isfinite(value):
        raise ValidationException(f"{where}: {raw!r} is not a finite number")
    return value


def _numeric_range(item: Mapping[str, Any], kind: str, where: str) -> ParameterRange:
    name = item["Name"]
    label = f"{where} ({name})"
    integer = kind == INTEGER
    low = _number(item["MinValue"], f"{label}.MinValue", integer)
    high = _number(item["MaxValue"], f"{label}.MaxValue", integer)
    scaling = item.get("ScalingType", AUTO)
    if low > high:
        raise ValidationException(
            f"{label}: MinValue ({item['MinValue']}) must not be greater than MaxValue ({item['MaxValue']})"
        )
    if scaling == LOGARITHMIC and low <= 0:
        raise ValidationException(
            f"{label}.ScalingType: Logarithmic scaling works only for ranges with values greater than 0; "
            f"MinValue is {item['MinValue']}"
        )
    if scaling == REVERSE_LOGARITHMIC:
        if integer:
            raise ValidationException(
                f"{label}.ScalingType: ReverseLogarithmic scaling is supported only for continuous "
                "hyperparameter ranges, not integer ones"
            )
        if not 0 <= low < high < 1:
            raise ValidationException(
                f"{label}.ScalingType: ReverseLogarithmic scaling works only for ranges entirely within "
                f"0 <= x < 1 (0 <= MinValue < MaxValue < 1); got MinValue {item['MinValue']}, "
                f"MaxValue {item['MaxValue']}"
            )
    return ParameterRange(name, kind, where, low=low, high=high, scaling=scaling)


def parse_ranges(ranges: Mapping[str, Any] | None) -> list[ParameterRange]:
    """`HyperParameterTuningJobConfig.ParameterRanges` → ranges, checked as the service checks them."""
    ranges = ranges or {}
    if ranges.get("AutoParameters"):
        raise ValidationException(
            f"{RANGES_FIELD}.AutoParameters: Autotune parameters are not supported by the local service; "
            "give Integer, Continuous or Categorical parameter ranges"
        )
    parsed: list[ParameterRange] = []
    for kind in (INTEGER, CONTINUOUS):
        key = f"{kind}ParameterRanges"
        for i, item in enumerate(ranges.get(key, [])):
            parsed.append(_numeric_range(item, kind, f"{RANGES_FIELD}.{key}[{i}]"))
    for i, item in enumerate(ranges.get("CategoricalParameterRanges", [])):
        where = f"{RANGES_FIELD}.CategoricalParameterRanges[{i}]"
        values = tuple(item["Values"])
        if not values:
            raise ValidationException(f"{where} ({item['Name']}).Values: give at least one value")
        if len(set(values)) != len(values):
            raise ValidationException(f"{where} ({item['Name']}).Values: values must be unique, got {values}")
        parsed.append(ParameterRange(item["Name"], CATEGORICAL, where, values=values))
    if not parsed:
        raise ValidationException(
            f"{RANGES_FIELD}: give at least one IntegerParameterRanges, ContinuousParameterRanges or "
            "CategoricalParameterRanges entry to tune"
        )
    if len(parsed) > MAX_RANGES:
        raise ValidationException(
            f"{RANGES_FIELD}: at most {MAX_RANGES} hyperparameters can be tuned in all, got {len(parsed)}"
        )
    seen: dict[str, str] = {}
    for item in parsed:
        if item.name in seen:
            raise ValidationException(
                f"{item.where}: hyperparameter {item.name!r} is already tuned by {seen[item.name]}"
            )
        seen[item.name] = item.where
    return parsed


_NUMBER = r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?nan|[-+]?inf"


def objective_rounds(lines: Iterable[str], metric: str) -> list[tuple[int, float]]:
    """The objective after each boosting round, from a built-in algorithm's log lines.

    The XGBoost container logs `[3]#011train-rmse:0.41#011validation-rmse:0.44` after round 3 (counted
    from 0); for metric `validation:rmse` that line gives (4, 0.44): rounds here are counted from 1, as
    the resource Hyperband and the median rule measure.
    """
    channel, _, name = metric.partition(":")
    pattern = re.compile(rf"^\[(\d+)\].*#011{re.escape(channel)}-{re.escape(name)}:({_NUMBER})(?=#|\s|$)")
    rounds = []
    for line in lines:
        match = pattern.match(line)
        if match:
            rounds.append((int(match.group(1)) + 1, float(match.group(2))))
    return rounds


def grid_size(ranges: Sequence[ParameterRange]) -> int:
    """The number of combinations a Grid search runs; Grid takes categorical ranges only."""
    for item in ranges:
        if item.kind != CATEGORICAL:
            raise ValidationException(
                f"{item.where} ({item.name}): the Grid strategy supports only categorical parameters; "
                "use CategoricalParameterRanges, or the Random or Bayesian strategy"
            )
    return math.prod(len(item.values) for item in ranges)


class _Grid(optuna.samplers.GridSampler):
    """optuna's grid sampler, without its `study.stop()` once the grid is used up: that only works inside
    `study.optimize`, and the tuning job stops asking by itself after the last combination."""

    def after_trial(
        self,
        study: optuna.Study,
        trial: optuna.trial.FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        return None


@dataclass
class _Running:
    trial: Trial
    last_step: int = 0


@dataclass
class TuningSearch:
    """One tuning job's search: ask for a child's hyperparameters, report its rounds, tell its result."""

    ranges: Sequence[ParameterRange]
    strategy: str
    minimize: bool
    max_trials: int
    seed: int | None = None
    early_stopping: bool = False
    min_resource: int = 1
    max_resource: int | None = None
    study: optuna.Study = field(init=False)
    _running: dict[int, _Running] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        pruner: optuna.pruners.BasePruner
        if self.strategy == HYPERBAND:
            pruner = optuna.pruners.HyperbandPruner(
                min_resource=self.min_resource,
                max_resource=self.max_resource if self.max_resource is not None else "auto",
                reduction_factor=HYPERBAND_REDUCTION_FACTOR,
            )
        elif self.early_stopping:
            pruner = optuna.pruners.MedianPruner(
                n_startup_trials=MEDIAN_STARTUP_TRIALS, n_warmup_steps=MEDIAN_WARMUP_ROUNDS
            )
        else:
            pruner = optuna.pruners.NopPruner()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            self.study = optuna.create_study(
                direction="minimize" if self.minimize else "maximize",
                sampler=self._sampler(),
                pruner=pruner,
            )

    def _sampler(self) -> optuna.samplers.BaseSampler:
        if self.strategy == GRID:
            grid_size(self.ranges)
            return _Grid({item.name: list(item.values) for item in self.ranges}, seed=self.seed)
        if self.strategy == BAYESIAN:
            # Random first, as SageMaker's Bayesian search starts; then TPE, aware of running children.
            startup = min(10, max(2, self.max_trials // 3))
            return optuna.samplers.TPESampler(seed=self.seed, n_startup_trials=startup, constant_liar=True)
        return optuna.samplers.RandomSampler(seed=self.seed)

    @property
    def uses_intermediate_values(self) -> bool:
        return self.strategy == HYPERBAND or self.early_stopping

    def distributions(self) -> dict[str, BaseDistribution]:
        return {item.name: item.distribution() for item in self.ranges}

    def ask(self) -> tuple[int, dict[str, str]]:
        """The next child: its trial number and its tuned hyperparameters as strings."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # GridSampler warns when asked past the grid
            trial = self.study.ask(self.distributions())
        self._running[trial.number] = _Running(trial)
        return trial.number, {
            item.name: item.to_hyperparameter(trial.params[item.name]) for item in self.ranges
        }

    def report(self, number: int, values: Iterable[tuple[int, float]]) -> None:
        """A running child's objective after each round: (round, value), rounds counted from 1."""
        running = self._running.get(number)
        if running is None:
            return
        for step, value in values:
            if step > running.last_step and math.isfinite(value):
                running.trial.report(value, step)
                running.last_step = step

    def should_stop(self, number: int) -> bool:
        """Whether early stopping (or Hyperband) wants this running child stopped now."""
        running = self._running.get(number)
        if running is None or not self.uses_intermediate_values or running.last_step == 0:
            return False
        return bool(running.trial.should_prune())

    def tell(self, number: int, value: float | None, stopped: bool = False) -> None:
        """A child ended: with its objective value, stopped early, or without an objective (failed)."""
        running = self._running.pop(number, None)
        if running is None:
            return
        if stopped:
            self.study.tell(running.trial, state=TrialState.PRUNED)
        elif value is None or not math.isfinite(value):
            self.study.tell(running.trial, state=TrialState.FAIL)
        else:
            self.study.tell(running.trial, value)

    def add_evaluated(self, hyperparameters: Mapping[str, str], value: float) -> bool:
        """Warm start: a parent's evaluated point joins the study; False if it lies outside these ranges."""
        if not math.isfinite(value):
            return False
        params: dict[str, Any] = {}
        for item in self.ranges:
            raw = hyperparameters.get(item.name)
            internal = None if raw is None else item.to_internal(raw)
            if internal is None:
                return False
            params[item.name] = internal
        self.study.add_trial(
            optuna.trial.create_trial(params=params, distributions=self.distributions(), value=value)
        )
        return True

    def finished_trials(self) -> int:
        return len(self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
