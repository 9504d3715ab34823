"""The tuning search on its own: ranges and scaling, strategies, seeding, warm start, early stopping."""

from __future__ import annotations

import itertools
import statistics
from typing import Any

import pytest
from optuna.trial import TrialState

from local_sagemaker.errors import ValidationException
from local_sagemaker.operations.tuning import best_of, not_improving
from local_sagemaker.tuning_search import (
    BAYESIAN,
    GRID,
    HYPERBAND,
    RANDOM,
    TuningSearch,
    grid_size,
    objective_rounds,
    parse_ranges,
)


def continuous(name: str, low: str, high: str, scaling: str = "Auto") -> dict[str, Any]:
    return {
        "ContinuousParameterRanges": [
            {"Name": name, "MinValue": low, "MaxValue": high, "ScalingType": scaling}
        ]
    }


def integer(name: str, low: str, high: str, scaling: str = "Auto") -> dict[str, Any]:
    return {
        "IntegerParameterRanges": [{"Name": name, "MinValue": low, "MaxValue": high, "ScalingType": scaling}]
    }


def categorical(**values: list[str]) -> dict[str, Any]:
    return {"CategoricalParameterRanges": [{"Name": n, "Values": v} for n, v in values.items()]}


def search(
    ranges: dict[str, Any], strategy: str = RANDOM, seed: int | None = 1, **options: Any
) -> TuningSearch:
    return TuningSearch(parse_ranges(ranges), strategy, minimize=True, max_trials=30, seed=seed, **options)


def sample(tuner: TuningSearch, count: int, name: str) -> list[float]:
    values = []
    for _ in range(count):
        number, hyperparameters = tuner.ask()
        values.append(float(hyperparameters[name]))
        tuner.tell(number, 1.0)
    return values


# --- ranges ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ranges", "fragment"),
    [
        (
            continuous("eta", "0", "1", "Logarithmic"),
            "ContinuousParameterRanges[0] (eta).ScalingType: Logarithmic",
        ),
        (integer("max_depth", "0", "8", "Logarithmic"), "IntegerParameterRanges[0] (max_depth).ScalingType"),
        (continuous("subsample", "0.5", "1", "ReverseLogarithmic"), "0 <= MinValue < MaxValue < 1"),
        (continuous("subsample", "-0.1", "0.5", "ReverseLogarithmic"), "0 <= MinValue < MaxValue < 1"),
        (integer("max_depth", "1", "8", "ReverseLogarithmic"), "supported only for continuous"),
        (continuous("eta", "0.5", "0.1"), "MinValue (0.5) must not be greater than MaxValue (0.1)"),
        (
            integer("max_depth", "1.5", "8"),
            "IntegerParameterRanges[0] (max_depth).MinValue: '1.5' is not an integer",
        ),
        (
            continuous("eta", "0.1", "lots"),
            "ContinuousParameterRanges[0] (eta).MaxValue: 'lots' is not a number",
        ),
        (continuous("eta", "0.1", "inf"), "is not a finite number"),
        (categorical(booster=["gbtree", "gbtree"]), "values must be unique"),
        ({**continuous("eta", "0.1", "0.2"), **categorical(eta=["0.1"])}, "'eta' is already tuned"),
        ({}, "give at least one"),
        ({"AutoParameters": [{"Name": "eta", "ValueHint": "0.1"}]}, "AutoParameters"),
        (
            {
                "IntegerParameterRanges": [
                    {"Name": f"p{i}", "MinValue": "1", "MaxValue": "2"} for i in range(31)
                ]
            },
            "at most 30 hyperparameters",
        ),
    ],
)
def test_bad_ranges_are_rejected_naming_the_field(ranges: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationException) as caught:
        parse_ranges(ranges)
    assert fragment in caught.value.message


def test_values_stay_in_range_and_have_the_ranges_type() -> None:
    tuner = search(
        {
            **integer("max_depth", "2", "9"),
            **continuous("eta", "0.01", "0.3"),
            **categorical(booster=["gbtree", "dart"]),
        }
    )
    for _ in range(40):
        number, hyperparameters = tuner.ask()
        assert hyperparameters["max_depth"] == str(int(hyperparameters["max_depth"]))
        assert 2 <= int(hyperparameters["max_depth"]) <= 9
        assert 0.01 <= float(hyperparameters["eta"]) <= 0.3
        assert hyperparameters["booster"] in ("gbtree", "dart")
        tuner.tell(number, 0.5)


def test_logarithmic_scaling_favours_small_values() -> None:
    log = sample(search(continuous("alpha", "0.0001", "1", "Logarithmic")), 200, "alpha")
    linear = sample(search(continuous("alpha", "0.0001", "1", "Linear")), 200, "alpha")
    assert statistics.median(log) < 0.05 < 0.3 < statistics.median(linear)
    integers = sample(search(integer("max_leaves", "1", "1000", "Logarithmic")), 200, "max_leaves")
    assert statistics.median(integers) < 100


def test_reverse_logarithmic_scaling_favours_values_near_one() -> None:
    values = sample(search(continuous("subsample", "0", "0.999", "ReverseLogarithmic")), 200, "subsample")
    assert all(0 <= v <= 0.999 for v in values)
    assert statistics.median(values) > 0.9
    assert min(values) < 0.5, "the whole range is still searched"


# --- strategies ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", [RANDOM, BAYESIAN])
def test_a_seed_makes_the_search_repeatable(strategy: str) -> None:
    ranges = {**integer("max_depth", "1", "10"), **continuous("eta", "0.01", "1", "Logarithmic")}

    def run(seed: int) -> list[dict[str, str]]:
        tuner = search(ranges, strategy, seed=seed)
        asked = []
        for _ in range(15):
            number, hyperparameters = tuner.ask()
            asked.append(hyperparameters)
            tuner.tell(number, float(hyperparameters["eta"]) + int(hyperparameters["max_depth"]) / 10)
        return asked

    assert run(5) == run(5)
    assert run(5) != run(6)


def test_grid_runs_every_combination_exactly_once_even_with_children_running_at_once() -> None:
    ranges = categorical(max_depth=["2", "4", "6"], booster=["gbtree", "dart"])
    assert grid_size(parse_ranges(ranges)) == 6
    tuner = search(ranges, GRID)
    asked, running = set(), []
    for _ in range(6):
        number, hyperparameters = tuner.ask()
        asked.add((hyperparameters["max_depth"], hyperparameters["booster"]))
        running.append(number)
        if len(running) == 3:  # three children in flight before the first result is told
            tuner.tell(running.pop(0), 1.0)
    assert asked == set(itertools.product(["2", "4", "6"], ["gbtree", "dart"]))


def test_grid_takes_categorical_ranges_only() -> None:
    with pytest.raises(ValidationException) as caught:
        grid_size(parse_ranges({**categorical(booster=["gbtree"]), **integer("max_depth", "1", "3")}))
    assert (
        "IntegerParameterRanges[0] (max_depth): the Grid strategy supports only categorical"
        in caught.value.message
    )


def test_bayesian_search_homes_in_on_the_optimum() -> None:
    tuner = search(continuous("eta", "0", "1"), BAYESIAN, seed=3)
    best = 1.0
    for _ in range(30):
        number, hyperparameters = tuner.ask()
        loss = (float(hyperparameters["eta"]) - 0.8) ** 2
        best = min(best, loss)
        tuner.tell(number, loss)
    assert best < 0.001


def test_results_are_told_as_completed_stopped_or_failed() -> None:
    tuner = search(continuous("eta", "0", "1"))
    outcomes = [0.5, None, "stopped"]
    for outcome in outcomes:
        number, _ = tuner.ask()
        if outcome == "stopped":
            tuner.tell(number, 0.4, stopped=True)
        else:
            tuner.tell(number, outcome if isinstance(outcome, float) else None)
    states = [t.state for t in tuner.study.get_trials()]
    assert states == [TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED]


# --- warm start ----------------------------------------------------------------------------------------------


def test_warm_start_points_join_the_study_when_they_fit_the_ranges() -> None:
    tuner = search(
        {**integer("max_depth", "1", "8"), **continuous("eta", "0.5", "0.99", "ReverseLogarithmic")}
    )
    assert tuner.add_evaluated({"max_depth": "3", "eta": "0.9", "num_round": "10"}, 0.2)
    assert not tuner.add_evaluated({"max_depth": "30", "eta": "0.9"}, 0.1), "outside the integer range"
    assert not tuner.add_evaluated({"max_depth": "3", "eta": "0.1"}, 0.1), "outside the continuous range"
    assert not tuner.add_evaluated({"max_depth": "3"}, 0.1), "eta was not tuned nor set in the parent"
    assert not tuner.add_evaluated({"max_depth": "deep", "eta": "0.9"}, 0.1)
    assert tuner.finished_trials() == 1
    (trial,) = tuner.study.get_trials()
    assert trial.params["max_depth"] == 3 and trial.params["eta"] == pytest.approx(0.1)  # searched as 1 - x
    assert trial.value == 0.2


def test_warm_start_points_steer_a_bayesian_search() -> None:
    ranges = continuous("eta", "0", "1")

    def first_asks(warm: bool) -> list[float]:
        tuner = search(ranges, BAYESIAN, seed=11)
        if warm:
            for i in range(12):
                x = i / 11
                assert tuner.add_evaluated({"eta": repr(x)}, (x - 0.8) ** 2)
        return sample(tuner, 5, "eta")

    cold, warm = first_asks(False), first_asks(True)
    assert statistics.mean(abs(x - 0.8) for x in warm) < 0.15
    assert statistics.mean(abs(x - 0.8) for x in warm) < statistics.mean(abs(x - 0.8) for x in cold)


# --- early stopping --------------------------------------------------------------------------------------


def run_curve(tuner: TuningSearch, curve: list[float]) -> int | None:
    """Report a child's per-round objective; the round it is stopped at, or None if it finishes."""
    number, _ = tuner.ask()
    for step, value in enumerate(curve, start=1):
        tuner.report(number, [(step, value)])
        if tuner.should_stop(number):
            tuner.tell(number, value, stopped=True)
            return step
    tuner.tell(number, curve[-1])
    return None


def test_median_rule_stops_a_child_that_trails_the_finished_ones() -> None:
    tuner = search(continuous("eta", "0", "1"), early_stopping=True)
    good = [1.0 / step for step in range(1, 11)]
    for _ in range(3):
        assert run_curve(tuner, good) is None
    assert run_curve(tuner, [v * 0.9 for v in good]) is None, "a better child runs to the end"
    assert run_curve(tuner, [v + 1.0 for v in good]) == 2, "judged from round 2 on, not before"


def test_median_rule_waits_for_three_finished_children() -> None:
    tuner = search(continuous("eta", "0", "1"), early_stopping=True)
    good = [1.0 / step for step in range(1, 11)]
    assert run_curve(tuner, good) is None
    assert run_curve(tuner, [v + 1.0 for v in good]) is None


def test_without_early_stopping_no_child_is_stopped() -> None:
    tuner = search(continuous("eta", "0", "1"))
    for offset in (0.0, 0.0, 0.0, 5.0):
        assert run_curve(tuner, [offset + 1.0 / step for step in range(1, 11)]) is None


def test_hyperband_stops_losing_children_at_its_rungs() -> None:
    tuner = search(continuous("eta", "0", "1"), HYPERBAND, min_resource=1, max_resource=27)
    stops = [run_curve(tuner, [(i % 4) + 1.0 / step for step in range(1, 28)]) for i in range(12)]
    assert any(stop is not None for stop in stops), "some losers are stopped"
    assert any(stop is None for stop in stops), "the winners run to MaxResource"
    assert all(stop is None or stop >= 1 for stop in stops)


def test_reports_of_rounds_already_seen_are_ignored() -> None:
    tuner = search(continuous("eta", "0", "1"), early_stopping=True)
    number, _ = tuner.ask()
    tuner.report(number, [(1, 0.5), (2, 0.4)])
    tuner.report(number, [(2, 9.0), (3, float("nan")), (4, 0.3)])
    assert tuner.study.get_trials()[0].intermediate_values == {1: 0.5, 2: 0.4, 4: 0.3}


# --- reading the algorithm's log, and judging results -------------------------------------------------------


def test_objective_rounds_come_from_the_containers_log_lines() -> None:
    lines = [
        "[2026-01-01:00:00:00:INFO] Single node training.",
        "[0]#011train-rmse:0.40000#011validation-rmse:0.44000",
        "[1]#011train-rmse:0.30000#011validation-rmse:0.33000#011validation-rmsle:0.1",
        "[12]#011train-rmse:0.1#011validation-rmse:1.5e-05",
    ]
    assert objective_rounds(lines, "validation:rmse") == [(1, 0.44), (2, 0.33), (13, 1.5e-05)]
    assert objective_rounds(lines, "train:rmse") == [(1, 0.4), (2, 0.3), (13, 0.1)]
    assert objective_rounds(lines, "validation:rmsle") == [(2, 0.1)]
    assert objective_rounds(lines, "validation:auc") == []


def test_best_is_the_completed_child_with_the_best_objective() -> None:
    def child(name: str, status: str, value: float | None, created: float) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "TrainingJobName": name,
            "TrainingJobStatus": status,
            "CreationTime": created,
        }
        if value is not None:
            summary["FinalHyperParameterTuningJobObjectiveMetric"] = {"MetricName": "m", "Value": value}
        return summary

    children = [
        child("a", "Completed", 0.3, 1),
        child("b", "Stopped", 0.1, 2),  # stopped early: not a candidate
        child("c", "Completed", 0.2, 3),
        child("d", "Completed", 0.2, 4),  # as good as c, but later
        child("e", "Failed", None, 5),
    ]
    assert best_of(children, minimize=True)["TrainingJobName"] == "c"  # type: ignore[index]
    assert best_of(children, minimize=False)["TrainingJobName"] == "a"  # type: ignore[index]
    assert best_of(children[4:], minimize=True) is None


def test_not_improving_counts_the_latest_jobs_since_the_best() -> None:
    assert not_improving([], minimize=True) == 0
    assert not_improving([0.5, 0.4, 0.45, 0.41], minimize=True) == 2
    assert not_improving([0.5, 0.4, 0.45, 0.3], minimize=True) == 0
    assert not_improving([0.5, 0.6, 0.55], minimize=False) == 1
