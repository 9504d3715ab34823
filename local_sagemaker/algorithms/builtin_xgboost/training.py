"""Training as the container does it: channels in, rounds logged, stop between rounds, booster out."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local_sagemaker.algorithms.builtin_xgboost.checkpoints import (
    checkpoint_callback,
    latest_checkpoint,
    load_booster,
)
from local_sagemaker.algorithms.builtin_xgboost.data_formats import (
    CSV,
    DEFAULT_CONTENT_TYPE,
    content_format,
    load_channel,
)
from local_sagemaker.algorithms.builtin_xgboost.hyperparameters import parse_hyperparameters
from local_sagemaker.algorithms.builtin_xgboost.log_capture import xgboost_messages_to, xgboost_reason
from local_sagemaker.algorithms.builtin_xgboost.metrics import (
    CONTAINER_METRICS,
    MAXIMIZED_METRICS,
    container_metrics,
)
from local_sagemaker.algorithms.builtin_xgboost.model_files import read_model, save_model
from local_sagemaker.algorithms.builtin_xgboost.names import MODEL, TRAIN, VALIDATION
from local_sagemaker.job_errors import AlgorithmError

if TYPE_CHECKING:
    import xgboost


@dataclass(frozen=True)
class ClusterRole:
    """This host's place in a distributed job: the hosts that train (sorted) and which one this is."""

    hosts: tuple[str, ...]
    current_host: str

    @property
    def is_master(self) -> bool:
        # sagemaker_xgboost_container/distributed.py: the first of the sorted hosts runs the tracker.
        return self.current_host == self.hosts[0]


@dataclass(frozen=True)
class TrainingResult:
    final_metrics: dict[str, float]  # e.g. {"train:rmse": 0.41, "validation:rmse": 0.44}
    num_boosted_rounds: int  # rounds in the saved model, a prior model's included


def _stamp() -> str:
    return time.strftime("%Y-%m-%d:%H:%M:%S", time.gmtime())


def _check_channels(channels: Mapping[str, Path]) -> None:
    if TRAIN not in channels:
        given = ", ".join(repr(name) for name in channels) or "none"
        raise AlgorithmError(f"channel 'train' is required by the XGBoost algorithm; the job has {given}")
    extraneous = sorted(set(channels) - {TRAIN, VALIDATION, MODEL, "code"})
    if extraneous:
        raise AlgorithmError(
            f"Extraneous channel found: {', '.join(repr(name) for name in extraneous)}; "
            "the XGBoost algorithm reads 'train', 'validation' and 'model'"
        )


def _validation_type(types: Mapping[str, str | None], train_type: str | None, train_form: str) -> str | None:
    """The container reads every channel as train's ContentType: a validation channel that says otherwise is refused."""
    given = types.get(VALIDATION)
    if given is None:
        return train_type
    if content_format(given, "channel 'validation'") != train_form:
        raise AlgorithmError(
            f"channel 'validation': ContentType {given} differs from channel 'train''s "
            f"{train_type or DEFAULT_CONTENT_TYPE}; the XGBoost container reads every channel as the train "
            "channel's ContentType, so give both channels data of the same type"
        )
    return given


def _round_callbacks(
    log: Callable[[str], None],
    should_stop: Callable[[], bool],
    early_stopping_rounds: int | None,
    early_stopping_metric: str | None,
    keep_best: bool,
    checkpoint_dir: Path | None,
    is_master: bool = True,
) -> list[xgboost.callback.TrainingCallback]:
    import xgboost

    class RoundLog(xgboost.callback.TrainingCallback):
        """Each round's evaluation as the container prints it (CloudWatch shows its tabs as #011)."""

        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            items = "".join(
                f"#011{data}-{metric}:{scores[-1]:.5f}"
                for data, metrics in evals_log.items()
                for metric, scores in metrics.items()
            )
            log(f"[{epoch}]{items}")
            return False

    class StopRequest(xgboost.callback.TrainingCallback):
        """Ends training between rounds once the job is asked to stop."""

        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            if should_stop():
                log(f"[{_stamp()}:INFO] Stop requested: training ends after round {epoch}")
                return True
            return False

    # xgboost asks the callbacks in order and stops asking at the first True: the log must come first.
    # In a distributed job only the master prints rounds and saves checkpoints, as the container does
    # (checkpointing.py and train_utils.py skip every rank but 0); metrics are the cluster's anyway.
    callbacks: list[xgboost.callback.TrainingCallback] = [RoundLog()] if is_master else []
    if checkpoint_dir is not None and is_master:  # before the stop checks: the last round is kept
        callbacks.append(checkpoint_callback(checkpoint_dir))
    if early_stopping_rounds:
        maximize = (  # None lets xgboost judge its default metric itself
            None
            if early_stopping_metric is None
            else early_stopping_metric.partition("@")[0] in MAXIMIZED_METRICS
        )
        callbacks.append(
            xgboost.callback.EarlyStopping(
                rounds=early_stopping_rounds,
                metric_name=early_stopping_metric,
                data_name=VALIDATION,
                maximize=maximize,
                save_best=keep_best,
            )
        )
    callbacks.append(StopRequest())
    return callbacks


def train(
    channels: Mapping[str, Path],
    hyperparameters: Mapping[str, str],
    model_dir: Path,
    log: Callable[[str], None],
    content_types: Mapping[str, str | None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    checkpoint_dir: Path | None = None,
    cluster: ClusterRole | None = None,
) -> TrainingResult:
    """Train as SageMaker's XGBoost container does and write the booster to `model_dir/xgboost-model`.

    Channels are directories: `train` (required), `validation`, and `model` (a prior model to keep
    boosting). `content_types` maps channels to their ContentType (None: the channel gave none, read as the
    container's text/libsvm default); without it every channel is CSV. A stop request ends training between
    rounds; the model so far is still saved.
    With `checkpoint_dir`, every round is saved there as the container does, and training resumes from
    the latest checkpoint found there, ending with the same rounds as an uninterrupted job.
    With `cluster`, xgboost's collective is already set up by the caller: every host trains the same
    model on its own rows, and only the master writes the model and checkpoints. `should_stop` must then
    give every host the same answer in the same round (the caller agrees on it over the collective).
    """
    is_master = cluster is None or cluster.is_master
    params = parse_hyperparameters(hyperparameters)
    num_round: int = params.pop("num_round")
    early_stopping_rounds: int | None = params.pop("early_stopping_rounds", None)
    csv_weights: int = params.pop("csv_weights", 0)
    tuning_metric: str | None = params.pop("_tuning_objective_metric", None)
    metrics: list[str] = params.pop("eval_metric", [])
    xgboost_metrics = [metric for metric in metrics if metric not in CONTAINER_METRICS]
    if xgboost_metrics:
        params["eval_metric"] = xgboost_metrics
    _check_channels(channels)
    if early_stopping_rounds and VALIDATION not in channels:
        raise AlgorithmError(
            "Hyperparameter early_stopping_rounds needs a 'validation' channel to watch; the job has none"
        )

    import xgboost

    with xgboost_messages_to(log):
        # No mapping at all (a caller outside a job): CSV channels. A channel mapped to None gave no ContentType.
        types: Mapping[str, str | None] = (
            content_types if content_types is not None else dict.fromkeys(channels, "text/csv")
        )
        nthread = int(params["nthread"])
        train_type = types.get(TRAIN)
        if train_type is None:
            log(
                f"[{_stamp()}:INFO] Channel 'train' has no ContentType: read as {DEFAULT_CONTENT_TYPE}, the default"
            )
        dtrain, form = load_channel(TRAIN, channels[TRAIN], train_type, csv_weights, nthread)
        if csv_weights and form != CSV:
            log(
                f"[{_stamp()}:WARNING] csv_weights=1 has no effect on {form} data: only CSV rows carry a weight column"
            )
        evals = [(dtrain, TRAIN)]
        _log_matrix(log, TRAIN, dtrain)
        if VALIDATION in channels:
            dvalid, valid_form = load_channel(
                VALIDATION,
                channels[VALIDATION],
                _validation_type(types, train_type, form),
                csv_weights,
                nthread,
            )
            _log_matrix(log, VALIDATION, dvalid)
            if form == valid_form == CSV and dvalid.num_col() != dtrain.num_col():
                raise AlgorithmError(
                    f"channel 'validation' has {dvalid.num_col()} feature columns but channel 'train' has "
                    f"{dtrain.num_col()}; both need the label and the same features"
                )
            evals.append((dvalid, VALIDATION))
        prior = read_model(channels[MODEL], "model channel") if MODEL in channels else None
        prior_rounds = 0
        if prior is not None:
            prior_rounds = prior.num_boosted_rounds()
            expected = prior.num_features()
            # libsvm rows are sparse: a file may simply not mention the last features.
            mismatch = dtrain.num_col() != expected if form == CSV else dtrain.num_col() > expected
            if mismatch:
                raise AlgorithmError(
                    f"model channel: the prior model expects {expected} features, "
                    f"the train channel has {dtrain.num_col()}"
                )
            log(f"[{_stamp()}:INFO] Continuing training from a prior model with {prior_rounds} round(s)")
        start_model, start_rounds, rounds_to_go = prior, prior_rounds, num_round
        found = latest_checkpoint(checkpoint_dir) if checkpoint_dir is not None else None
        if found is not None:
            checkpoint, resume_round = found
            start_model = load_booster(checkpoint)
            start_rounds = start_model.num_boosted_rounds()
            # The checkpoint holds the prior model's rounds too: the job still ends at prior + num_round.
            rounds_to_go = max(0, prior_rounds + num_round - resume_round)
            log(f"[{_stamp()}:INFO] Checkpoint loaded from {checkpoint.name}")
            log(f"[{_stamp()}:INFO] Resuming from iteration {resume_round}")
        if hyperparameters.get("tree_method") == "gpu_hist":
            log(f"[{_stamp()}:INFO] No GPU locally: tree_method gpu_hist runs as hist on the CPU")
        if cluster is None or len(cluster.hosts) == 1:
            log(f"[{_stamp()}:INFO] Single node training.")
        else:
            log(
                f"[{_stamp()}:INFO] Distributed node training with {len(cluster.hosts)} hosts: "
                f"{list(cluster.hosts)}"
            )

        early_stopping_metric = tuning_metric or (metrics[-1] if metrics else None)
        keep_best = params.get("booster") != "gblinear"  # linear models cannot be cut back to a round
        history: dict[str, Any] = {}
        try:
            booster = xgboost.train(
                params,
                dtrain,
                num_boost_round=rounds_to_go,
                evals=evals,
                custom_metric=container_metrics(
                    [m for m in metrics if m in CONTAINER_METRICS], params["objective"]
                ),
                xgb_model=start_model,
                callbacks=_round_callbacks(
                    log,
                    should_stop,
                    early_stopping_rounds,
                    early_stopping_metric,
                    keep_best,
                    checkpoint_dir,
                    is_master,
                ),
                evals_result=history,
                verbose_eval=False,
            )
        except xgboost.core.XGBoostError as error:
            raise AlgorithmError(f"XGBoost could not train: {xgboost_reason(error)}") from None

    best_round = -1  # the last round, unless early stopping kept an earlier one
    if early_stopping_rounds and keep_best and booster.attr("best_iteration") is not None:
        best_round = int(booster.attr("best_iteration") or 0) - start_rounds
        log(
            f"[{_stamp()}:INFO] Early stopping: the model keeps rounds up to [{best_round}], the best on validation"
        )
    final_metrics = {
        f"{data}:{metric}": float(scores[best_round])
        for data, by_metric in history.items()
        for metric, scores in by_metric.items()
        if scores
    }
    if is_master:  # algorithm_mode/train.py train_job: "Trained model is only saved if 'is_master' is True."
        save_model(booster, model_dir)
    return TrainingResult(final_metrics=final_metrics, num_boosted_rounds=booster.num_boosted_rounds())


def _log_matrix(log: Callable[[str], None], channel: str, data: xgboost.DMatrix) -> None:
    rows, columns = data.num_row(), data.num_col()
    log(
        f"[{time.strftime('%H:%M:%S', time.gmtime())}] {rows}x{columns} matrix with {rows * columns} entries "
        f"loaded from /opt/ml/input/data/{channel}"
    )
