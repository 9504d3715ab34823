"""The built-in XGBoost algorithm on local files: hyperparameters, data, training, incremental training, transform."""

from __future__ import annotations

import re
import tarfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xgboost

from local_sagemaker.algorithms.xgboost_builtin import (
    SUPPORTED_METRICS,
    AlgorithmError,
    TrainingResult,
    load_model_from_dir,
    metric_definitions,
    parse_hyperparameters,
    predict_file,
    train,
)

ROUND_LINE = re.compile(r"^\[(\d+)\](?:#011(train|validation)-([\w@.\-]+):(-?\d+\.\d{5}))+$")


def regression_rows(rows: int, features: int = 5, seed: int = 0) -> np.ndarray:
    """Label-first rows, the layout the algorithm's CSV channels use."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features))
    label = 1 / (1 + np.exp(-(1.5 * x[:, 0] - x[:, 1] + 0.5 * x[:, 2] ** 2)))
    return np.column_stack([label, x])


def write_csv(directory: Path, name: str, matrix: np.ndarray) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    np.savetxt(path, matrix, delimiter=",", fmt="%.6f")
    return path


@pytest.fixture
def channels(tmp_path: Path) -> dict[str, Path]:
    data = regression_rows(800)
    write_csv(tmp_path / "train", "train.csv", data[:600])
    write_csv(tmp_path / "validation", "validation.csv", data[600:])
    return {"train": tmp_path / "train", "validation": tmp_path / "validation"}


def run(
    channels: dict[str, Path], model_dir: Path, **hyperparameters: str
) -> tuple[TrainingResult, list[str]]:
    lines: list[str] = []
    result = train(channels, {"num_round": "10", **hyperparameters}, model_dir, lines.append)
    return result, lines


def round_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("[") and ROUND_LINE.match(line)]


def label_and_features(path: Path) -> tuple[np.ndarray, np.ndarray]:
    matrix = np.loadtxt(path, delimiter=",", ndmin=2)
    return matrix[:, 0], matrix[:, 1:]


def rmse(predictions: np.ndarray, labels: np.ndarray) -> float:
    return float(np.sqrt(np.mean((predictions - labels) ** 2)))


def model_tarball(model_dir: Path, destination: Path) -> Path:
    destination.mkdir(parents=True, exist_ok=True)
    archive = destination / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(model_dir / "xgboost-model", arcname="xgboost-model")
    return archive


# --- training ------------------------------------------------------------------------------------------


def test_training_beats_a_constant_predictor_and_reports_xgboosts_metrics(
    channels: dict[str, Path], tmp_path: Path
) -> None:
    result, _ = run(channels, tmp_path / "model", objective="reg:logistic", max_depth="3")

    assert set(result.final_metrics) == {"train:rmse", "validation:rmse"}
    assert result.num_boosted_rounds == 10
    labels, features = label_and_features(channels["train"] / "train.csv")
    assert result.final_metrics["train:rmse"] < 0.5 * float(np.std(labels))  # the mean's rmse is the std
    booster = load_model_from_dir(tmp_path / "model")
    assert booster.num_boosted_rounds() == 10 and booster.num_features() == 5
    valid_labels, valid_features = label_and_features(channels["validation"] / "validation.csv")
    predicted = booster.predict(xgboost.DMatrix(valid_features))
    assert result.final_metrics["validation:rmse"] == pytest.approx(rmse(predicted, valid_labels), rel=1e-5)
    assert result.final_metrics["train:rmse"] == pytest.approx(
        rmse(booster.predict(xgboost.DMatrix(features)), labels), rel=1e-5
    )


def test_each_round_is_logged_in_the_containers_format(channels: dict[str, Path], tmp_path: Path) -> None:
    result, lines = run(channels, tmp_path / "model", eval_metric="rmse,mae")

    rounds = round_lines(lines)
    assert [int(line[1 : line.index("]")]) for line in rounds] == list(range(10))
    assert rounds[0].startswith("[0]#011train-rmse:") and "#011validation-mae:" in rounds[0]
    assert "\t" not in "".join(lines)  # the literal #011 CloudWatch shows, not a tab
    assert any(
        "600x5 matrix with 3000 entries loaded from /opt/ml/input/data/train" in line for line in lines
    )
    assert any("200x5 matrix" in line and "/validation" in line for line in lines)
    last = dict(re.findall(r"#011([\w-]+):([0-9.]+)", rounds[-1]))
    assert float(last["validation-mae"]) == pytest.approx(result.final_metrics["validation:mae"], abs=1e-5)


def test_metric_definitions_extract_each_value_from_a_round_line() -> None:
    definitions = metric_definitions()

    names = [d["Name"] for d in definitions]
    assert len(names) == len(set(names)) == 2 * len(SUPPORTED_METRICS)
    assert {"train:rmse", "validation:rmse", "validation:auc", "validation:f1"} <= set(names)
    line = (
        "[7]#011train-rmse:0.41000#011train-mae:0.30000#011validation-rmse:0.44000#011validation-mae:0.31000"
    )
    found = {}
    for definition in definitions:
        match = re.search(definition["Regex"], line)
        if match:
            found[definition["Name"]] = float(match.group(1))
    assert found == {"train:rmse": 0.41, "train:mae": 0.30, "validation:rmse": 0.44, "validation:mae": 0.31}


def test_same_data_and_hyperparameters_give_the_same_model_bytes(
    channels: dict[str, Path], tmp_path: Path
) -> None:
    sampled = {"subsample": "0.7", "colsample_bytree": "0.8", "max_depth": "4"}
    first, _ = run(channels, tmp_path / "a", **sampled)
    second, _ = run(channels, tmp_path / "b", **sampled)

    assert (tmp_path / "a" / "xgboost-model").read_bytes() == (tmp_path / "b" / "xgboost-model").read_bytes()
    assert first == second
    # The file carries no extension, yet xgboost reads it back (guessing UBJSON, with a warning).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert xgboost.Booster(model_file=str(tmp_path / "a" / "xgboost-model")).num_boosted_rounds() == 10


def test_a_stop_request_ends_training_after_the_round_it_was_seen(
    channels: dict[str, Path], tmp_path: Path
) -> None:
    calls = []

    def should_stop() -> bool:
        calls.append(1)
        return len(calls) >= 3

    lines: list[str] = []
    result = train(channels, {"num_round": "1000"}, tmp_path / "model", lines.append, should_stop=should_stop)

    assert result.num_boosted_rounds == 3
    assert len(round_lines(lines)) == 3
    assert load_model_from_dir(tmp_path / "model").num_boosted_rounds() == 3


def test_early_stopping_keeps_the_best_round_and_reports_its_metrics(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    data = regression_rows(600, seed=3)
    noise = np.column_stack([rng.random(200), rng.normal(size=(200, 5))])  # validation unrelated to train
    write_csv(tmp_path / "train", "part-0.csv", data)
    write_csv(tmp_path / "validation", "part-0.csv", noise)
    channels = {"train": tmp_path / "train", "validation": tmp_path / "validation"}

    result, lines = run(
        channels,
        tmp_path / "model",
        num_round="200",
        early_stopping_rounds="3",
        eval_metric="rmse",
        eta="0.5",
    )

    logged = [float(re.findall(r"validation-rmse:([0-9.]+)", line)[0]) for line in round_lines(lines)]
    assert result.num_boosted_rounds < len(logged) < 200
    assert result.final_metrics["validation:rmse"] == pytest.approx(min(logged), abs=1e-5)
    assert result.num_boosted_rounds == logged.index(min(logged)) + 1


def test_container_computed_metrics_for_classification(tmp_path: Path) -> None:
    data = regression_rows(800)
    data[:, 0] = (data[:, 0] > 0.5).astype(float)
    write_csv(tmp_path / "train", "train.csv", data[:600])
    write_csv(tmp_path / "validation", "validation.csv", data[600:])
    channels = {"train": tmp_path / "train", "validation": tmp_path / "validation"}

    result, lines = run(
        channels, tmp_path / "model", objective="binary:logistic", eval_metric="logloss,accuracy,f1"
    )

    assert {"validation:logloss", "validation:accuracy", "validation:f1", "train:accuracy"} <= set(
        result.final_metrics
    )
    labels, features = label_and_features(tmp_path / "validation" / "validation.csv")
    predicted = load_model_from_dir(tmp_path / "model").predict(xgboost.DMatrix(features)) > 0.5
    assert result.final_metrics["validation:accuracy"] == pytest.approx(
        np.mean(predicted == labels), abs=1e-6
    )
    assert "#011validation-accuracy:" in round_lines(lines)[-1]


def test_libsvm_channels_train(tmp_path: Path) -> None:
    data = regression_rows(300)
    lines = [" ".join([f"{row[0]:.6f}"] + [f"{i}:{v:.6f}" for i, v in enumerate(row[1:])]) for row in data]
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "a.libsvm").write_text("\n".join(lines[:150]) + "\n")
    (tmp_path / "train" / "b.libsvm").write_text("\n".join(lines[150:]))

    result = train(
        {"train": tmp_path / "train"},
        {"num_round": "3"},
        tmp_path / "model",
        lambda _: None,
        content_types={"train": "text/libsvm"},
    )

    assert result.num_boosted_rounds == 3 and set(result.final_metrics) == {"train:rmse"}
    (tmp_path / "batch.libsvm").write_text("\n".join(lines[:10]) + "\n")
    assert predict_file(tmp_path / "model", tmp_path / "batch.libsvm", tmp_path / "out", "text/libsvm") == 10
    assert len((tmp_path / "out").read_text().splitlines()) == 10


def test_xgboosts_own_output_goes_to_the_log_not_stdout(
    channels: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, lines = run(channels, tmp_path / "model", num_round="2", verbosity="2", updater="grow_colmaker,prune")

    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert any("INFO:" in line and "tree pruning" in line for line in lines)
    assert any(line.startswith("WARNING: You have manually specified the `updater`") for line in lines)


def test_csv_weights_take_the_second_column(tmp_path: Path) -> None:
    data = regression_rows(200)
    data[:, 1] = np.abs(data[:, 1])
    write_csv(tmp_path / "train", "train.csv", data)
    run({"train": tmp_path / "train"}, tmp_path / "model", csv_weights="1")
    assert load_model_from_dir(tmp_path / "model").num_features() == 4

    data[5, 1] = -1.0
    write_csv(tmp_path / "train", "train.csv", data)
    with pytest.raises(AlgorithmError, match=r"train\.csv, line 6: the weight .* is negative"):
        run({"train": tmp_path / "train"}, tmp_path / "model", csv_weights="1")


# --- incremental training ------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["model.tar.gz", "xgboost-model", "any-name.bin"])
def test_a_model_channel_continues_boosting_the_prior_model(
    channels: dict[str, Path], tmp_path: Path, layout: str
) -> None:
    prior, _ = run(channels, tmp_path / "prior", num_round="5")
    model_channel = tmp_path / "model-channel"
    if layout == "model.tar.gz":
        model_tarball(tmp_path / "prior", model_channel)
    else:
        model_channel.mkdir()
        (model_channel / layout).write_bytes((tmp_path / "prior" / "xgboost-model").read_bytes())

    result, lines = run({**channels, "model": model_channel}, tmp_path / "model", num_round="5")

    assert result.num_boosted_rounds == 10
    assert load_model_from_dir(tmp_path / "model").num_boosted_rounds() == 10
    assert result.final_metrics["validation:rmse"] <= prior.final_metrics["validation:rmse"]
    assert any("prior model with 5 round(s)" in line for line in lines)


def test_a_prior_model_with_other_features_is_refused(channels: dict[str, Path], tmp_path: Path) -> None:
    run(channels, tmp_path / "prior", num_round="2")
    model_tarball(tmp_path / "prior", tmp_path / "model-channel")
    write_csv(tmp_path / "narrow", "train.csv", regression_rows(100, features=4))

    with pytest.raises(AlgorithmError, match="prior model expects 5 features, the train channel has 4"):
        run({"train": tmp_path / "narrow", "model": tmp_path / "model-channel"}, tmp_path / "model")


def test_an_unreadable_prior_model_is_refused(channels: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "model-channel").mkdir()
    (tmp_path / "model-channel" / "xgboost-model").write_bytes(b"definitely not a booster")

    with pytest.raises(AlgorithmError, match="could not be read as an XGBoost model"):
        run({**channels, "model": tmp_path / "model-channel"}, tmp_path / "model")


# --- configuration and data errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hyperparameters", "expected"),
    [
        ({"num_round": "10", "max_depth": "deep"}, ["max_depth", "'deep'", "an integer in [0, inf)"]),
        ({"num_round": "10", "max_depth": "5.0"}, ["max_depth", "'5.0'", "integer"]),
        ({"num_round": "10", "eta": "1.5"}, ["eta", "'1.5'", "[0, 1]"]),
        ({"num_round": "10", "subsample": "0"}, ["subsample", "'0'", "(0, 1]"]),
        ({"num_round": "10", "gamma": "nan"}, ["gamma", "'nan'"]),
        ({"num_round": "10", "objective": "reg:magic"}, ["objective", "'reg:magic'", "reg:squarederror"]),
        ({"num_round": "10", "booster": "GBTREE"}, ["booster", "'GBTREE'", "gbtree"]),
        ({"num_round": "10", "eval_metric": "rmse,bogus"}, ["eval_metric", "bogus", "rmse"]),
        ({"num_round": "10", "foo": "3"}, ["'foo'", "'3'", "not a valid XGBoost hyperparameter"]),
        ({"num_round": "0"}, ["num_round", "'0'", "[1, inf)"]),
        ({"max_depth": "3"}, ["num_round", "required"]),
        ({"num_round": "10", "objective": "multi:softmax"}, ["num_class", "multi:softmax"]),
        ({"num_round": "10", "eta": "0.1", "learning_rate": "0.2"}, ["eta", "learning_rate"]),
        ({"num_round": "10", "eval_metric": "auc"}, ["auc", "reg:squarederror"]),
    ],
)
def test_bad_hyperparameters_are_named_with_their_value(
    hyperparameters: dict[str, str], expected: list[str]
) -> None:
    with pytest.raises(AlgorithmError) as caught:
        parse_hyperparameters(hyperparameters)
    for part in expected:
        assert part in str(caught.value)


def test_hyperparameters_are_typed_with_aliases_and_defaults_resolved() -> None:
    params = parse_hyperparameters(
        {
            "num_round": "7",
            "learning_rate": "0.3",
            "max_depth": "4",
            "objective": "reg:linear",
            "tree_method": "gpu_hist",
            "eval_metric": "rmse, mae,error@0.7",
            "_tuning_objective_metric": "validation:r2",
            "sagemaker_program": "ignored.py",
            "lambda_bias": "0.1",
        }
    )

    assert params["num_round"] == 7 and isinstance(params["num_round"], int)
    assert params["eta"] == 0.3 and params["max_depth"] == 4
    assert params["objective"] == "reg:squarederror" and params["tree_method"] == "hist"
    assert params["eval_metric"] == ["rmse", "mae", "error@0.7", "r2"]
    assert params["seed"] == 0 and params["nthread"] >= 1
    assert "lambda_bias" not in params and "sagemaker_program" not in params


def test_a_bad_hyperparameter_fails_training_before_data_is_read(tmp_path: Path) -> None:
    with pytest.raises(AlgorithmError, match="max_depth"):
        train({"train": tmp_path / "nowhere"}, {"num_round": "3", "max_depth": "-1"}, tmp_path, print)


def test_the_train_channel_is_required(channels: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(AlgorithmError, match="channel 'train' is required"):
        run({"validation": channels["validation"]}, tmp_path / "model")


def test_channels_the_algorithm_does_not_read_are_refused(channels: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(AlgorithmError, match="Extraneous channel found: 'test'"):
        run({**channels, "test": channels["validation"]}, tmp_path / "model")


def test_early_stopping_needs_a_validation_channel(channels: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(AlgorithmError, match="early_stopping_rounds needs a 'validation' channel"):
        run({"train": channels["train"]}, tmp_path / "model", early_stopping_rounds="5")


def test_a_non_numeric_cell_is_reported_with_file_and_line(tmp_path: Path) -> None:
    data = regression_rows(50)
    write_csv(tmp_path / "train", "a.csv", data[:20])
    path = write_csv(tmp_path / "train", "b.csv", data[20:])
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace(lines[3].split(",")[2], "abc")
    path.write_text("\n".join(lines) + "\n")

    with pytest.raises(AlgorithmError) as caught:
        run({"train": tmp_path / "train"}, tmp_path / "model")
    assert "channel 'train'" in str(caught.value)
    assert "file b.csv, line 4, column 3: 'abc' is not a number" in str(caught.value)


def test_a_header_row_is_reported_as_such(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "train", "train.csv", regression_rows(30))
    path.write_text("label,f0,f1,f2,f3,f4\n" + path.read_text())

    with pytest.raises(AlgorithmError, match=r"line 1, column 1: 'label' is not a number .*no header row"):
        run({"train": tmp_path / "train"}, tmp_path / "model")


def test_an_empty_train_channel_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "empty.csv").write_text("")

    with pytest.raises(AlgorithmError, match="channel 'train' has no data"):
        run({"train": tmp_path / "train"}, tmp_path / "model")


def test_train_and_validation_must_have_the_same_columns(tmp_path: Path) -> None:
    write_csv(tmp_path / "train", "train.csv", regression_rows(50))
    write_csv(tmp_path / "validation", "validation.csv", regression_rows(20, features=4))

    with pytest.raises(AlgorithmError, match="'validation' has 4 feature columns but channel 'train' has 5"):
        run({"train": tmp_path / "train", "validation": tmp_path / "validation"}, tmp_path / "model")


@pytest.mark.parametrize("content_type", ["application/json", "text/csv; label_size=2"])
def test_unsupported_content_types_are_named(
    channels: dict[str, Path], tmp_path: Path, content_type: str
) -> None:
    with pytest.raises(AlgorithmError) as caught:
        train(channels, {"num_round": "2"}, tmp_path / "model", print, content_types={"train": content_type})
    assert content_type in str(caught.value)


def test_csv_content_type_spellings_are_accepted(channels: dict[str, Path], tmp_path: Path) -> None:
    for spelling in ("text/csv; label_size=1", "csv", "text/csv"):
        result = train(
            channels,
            {"num_round": "1"},
            tmp_path / spelling.replace("/", "-"),
            lambda _: None,
            content_types={"train": spelling, "validation": spelling},
        )
        assert result.num_boosted_rounds == 1


# --- batch transform -----------------------------------------------------------------------------------


@pytest.mark.parametrize("packaging", ["directory", "model.tar.gz"])
def test_predict_file_writes_one_prediction_per_row_equal_to_the_boosters(
    channels: dict[str, Path], tmp_path: Path, packaging: str
) -> None:
    run(channels, tmp_path / "model", objective="reg:logistic")
    model_dir = tmp_path / "model"
    if packaging == "model.tar.gz":
        model_dir = model_tarball(tmp_path / "model", tmp_path / "packaged").parent
    features = regression_rows(301, seed=9)[:, 1:]
    source = write_csv(tmp_path / "input", "batch.csv", features)
    source.write_text(source.read_text() + "\n")  # a trailing blank line is no record

    rows = predict_file(model_dir, source, tmp_path / "output" / "batch.csv.out")

    lines = (tmp_path / "output" / "batch.csv.out").read_text().splitlines()
    assert rows == len(lines) == 301
    expected = load_model_from_dir(tmp_path / "model").predict(
        xgboost.DMatrix(np.loadtxt(source, delimiter=",", dtype=np.float32))
    )
    np.testing.assert_array_equal(np.array(lines, dtype=np.float32), expected)


def test_predict_file_refuses_input_that_still_has_the_label(
    channels: dict[str, Path], tmp_path: Path
) -> None:
    run(channels, tmp_path / "model", num_round="2")

    with pytest.raises(AlgorithmError, match="without the label column") as caught:
        predict_file(tmp_path / "model", channels["validation"] / "validation.csv", tmp_path / "out")
    assert "6 columns but the model takes 5 features" in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_predict_file_on_an_empty_file_writes_nothing(channels: dict[str, Path], tmp_path: Path) -> None:
    run(channels, tmp_path / "model", num_round="2")
    (tmp_path / "empty.csv").write_text("")

    assert predict_file(tmp_path / "model", tmp_path / "empty.csv", tmp_path / "empty.csv.out") == 0
    assert (tmp_path / "empty.csv.out").read_text() == ""


def test_predict_file_names_the_line_of_a_bad_cell(channels: dict[str, Path], tmp_path: Path) -> None:
    run(channels, tmp_path / "model", num_round="2")
    path = write_csv(tmp_path, "batch.csv", regression_rows(10)[:, 1:])
    lines = path.read_text().splitlines()
    lines[6] = "x" + lines[6]
    path.write_text("\n".join(lines) + "\n")

    with pytest.raises(AlgorithmError, match=r"batch.csv, line 7, column 1"):
        predict_file(tmp_path / "model", path, tmp_path / "batch.csv.out")


def test_multi_class_probabilities_are_one_bracketed_row_per_record(tmp_path: Path) -> None:
    data = regression_rows(300)
    data[:, 0] = np.digitize(data[:, 0], [0.33, 0.66])
    write_csv(tmp_path / "train", "train.csv", data)
    train(
        {"train": tmp_path / "train"},
        {"num_round": "3", "objective": "multi:softprob", "num_class": "3"},
        tmp_path / "model",
        lambda _: None,
    )
    source = write_csv(tmp_path, "batch.csv", data[:7, 1:])

    assert predict_file(tmp_path / "model", source, tmp_path / "batch.csv.out") == 7
    lines: list[Any] = (tmp_path / "batch.csv.out").read_text().splitlines()
    probabilities = np.array([[float(v) for v in line.strip("[]").split(", ")] for line in lines])
    assert probabilities.shape == (7, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
