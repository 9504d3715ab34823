"""Checkpoints as the XGBoost container writes them: `xgboost-checkpoint.<round>`, the 5 latest kept."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local_sagemaker.job_errors import AlgorithmError

if TYPE_CHECKING:
    import xgboost

# sagemaker_xgboost_container/checkpointing.py: CHECKPOINT_FILENAME, TEMP_FILE_SUFFIX, max_to_keep
CHECKPOINT_FILENAME = "xgboost-checkpoint"
TEMP_FILE_SUFFIX = ".sagemaker-ignore"
MAX_TO_KEEP = 5
_CHECKPOINT = re.compile(rf"^{re.escape(CHECKPOINT_FILENAME)}\.([0-9]+)$")


def latest_checkpoint(checkpoint_dir: Path) -> tuple[Path, int] | None:
    """The newest checkpoint and the round to resume from (its number + 1), as load_checkpoint finds them."""
    if not checkpoint_dir.is_dir():
        return None
    rounds = [
        (int(match.group(1)), path)
        for path in checkpoint_dir.iterdir()
        if (match := _CHECKPOINT.match(path.name))
    ]
    if not rounds:
        return None
    number, path = max(rounds)
    return path, number + 1


def load_booster(path: Path) -> xgboost.Booster:
    import xgboost

    try:
        return xgboost.Booster(model_file=str(path))
    except xgboost.core.XGBoostError as error:
        raise AlgorithmError(
            f"checkpoint {path.name} is not an XGBoost model; remove it from the CheckpointConfig S3Uri "
            "to start from scratch"
        ) from error


def checkpoint_callback(checkpoint_dir: Path) -> xgboost.callback.TrainingCallback:
    """After every round, save the booster as xgboost-checkpoint.<round> and drop all but the 5 latest."""
    import xgboost

    class SaveCheckpoint(xgboost.callback.TrainingCallback):
        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            # xgboost counts `epoch` from 0 in every call to train; checkpoints count the model's rounds.
            latest = model.num_boosted_rounds() - 1
            checkpoint_dir.mkdir(parents=True, exist_ok=True)
            # Written under an ignored name and renamed, so the S3 mirror never sees half a file.
            with tempfile.NamedTemporaryFile(
                dir=checkpoint_dir, suffix=TEMP_FILE_SUFFIX, delete=False
            ) as tmp:
                tmp.write(model.save_raw("ubj"))  # the format save_model picks for a name without .json
            os.replace(tmp.name, checkpoint_dir / f"{CHECKPOINT_FILENAME}.{latest}")
            stale = checkpoint_dir / f"{CHECKPOINT_FILENAME}.{latest - MAX_TO_KEEP}"
            stale.unlink(missing_ok=True)
            return False

    return SaveCheckpoint()
