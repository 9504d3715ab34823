"""Reading and writing boosters: the xgboost-model file, model.tar.gz archives, prior models."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING

from local_sagemaker.algorithms.builtin_xgboost.log_capture import xgboost_reason
from local_sagemaker.algorithms.builtin_xgboost.names import MODEL_FILE_NAME
from local_sagemaker.job_errors import AlgorithmError

if TYPE_CHECKING:
    import xgboost


def _booster_from_bytes(payload: bytes, where: str) -> xgboost.Booster:
    import xgboost

    if payload[:1] == b"\x80":
        raise AlgorithmError(
            f"{where} is a pickled Python object (older SageMaker XGBoost containers pickled their models); "
            "it is not unpickled here: re-save it with Booster.save_model"
        )
    booster = xgboost.Booster()
    try:
        booster.load_model(bytearray(payload))
    except xgboost.core.XGBoostError as error:
        raise AlgorithmError(
            f"{where} could not be read as an XGBoost model ({xgboost_reason(error) or 'unreadable'})"
        ) from None
    return booster


def _model_in_archive(archive: Path, what: str) -> tuple[str, bytes]:
    try:
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if m.isfile() and not Path(m.name).name.startswith(".")]
            chosen = next((m for m in members if Path(m.name).name == MODEL_FILE_NAME), None)
            if chosen is None and len(members) == 1:
                chosen = members[0]
            if chosen is None:
                listed = ", ".join(m.name for m in members) or "no files"
                raise AlgorithmError(f"{what}: {archive.name} holds no {MODEL_FILE_NAME} ({listed})")
            stream = tar.extractfile(chosen)
            if stream is None:
                raise AlgorithmError(f"{what}: {chosen.name} in {archive.name} cannot be read")
            return f"{archive.name}:{chosen.name}", stream.read()
    except (tarfile.TarError, EOFError, OSError) as error:
        raise AlgorithmError(f"{what}: {archive.name} is not a readable tar.gz archive ({error})") from None


def read_model(directory: Path, what: str) -> xgboost.Booster:
    """A booster from a directory holding xgboost-model, a model.tar.gz, or one model file of any name."""
    if not directory.is_dir():
        raise AlgorithmError(f"{what}: {directory} is not a directory")
    files = sorted(p for p in directory.rglob("*") if p.is_file() and not p.name.startswith("."))
    named = [p for p in files if p.name == MODEL_FILE_NAME]
    archives = sorted(
        (p for p in files if p.name.endswith(".tar.gz")), key=lambda p: p.name != "model.tar.gz"
    )
    if named:
        source, payload = named[0].name, named[0].read_bytes()
    elif archives:
        source, payload = _model_in_archive(archives[0], what)
    elif len(files) == 1:
        source, payload = files[0].name, files[0].read_bytes()
    else:
        listed = ", ".join(p.name for p in files) or "nothing"
        raise AlgorithmError(f"{what}: expected a model.tar.gz or an {MODEL_FILE_NAME} file, found {listed}")
    return _booster_from_bytes(payload, f"{what}: {source}")


def load_model_from_dir(model_dir: Path) -> xgboost.Booster:
    """The booster in `model_dir`: an `xgboost-model` file, a `model.tar.gz` holding one, or a single model file."""
    return read_model(model_dir, "model")


def save_model(booster: xgboost.Booster, model_dir: Path) -> None:
    # Raw UBJSON bytes: save_model() on a name without extension picks the same format but warns.
    model_dir.mkdir(parents=True, exist_ok=True)
    partial = model_dir / f".{MODEL_FILE_NAME}.partial"
    partial.write_bytes(bytes(booster.save_raw("ubj")))
    os.replace(partial, model_dir / MODEL_FILE_NAME)
