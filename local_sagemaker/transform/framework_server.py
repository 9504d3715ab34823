"""A model whose container sets SAGEMAKER_PROGRAM: the user's inference code serves the transform's mini-batches.

As the scikit-learn and XGBoost framework images serve (aws/sagemaker-scikit-learn-container and
aws/sagemaker-xgboost-container serving.py over aws/sagemaker-containers): SAGEMAKER_PROGRAM names the module
(`inference.py`), SAGEMAKER_SUBMIT_DIRECTORY where it lives: an S3 `sourcedir.tar.gz`, unpacked into
/opt/ml/code, or `/opt/ml/model/code`, the folder the SageMaker Python SDK repacks into model.tar.gz. A
requirements.txt there is installed first. The servers run in the same bubblewrap isolation as training
programs, with the model at /opt/ml/model; SAGEMAKER_MODEL_SERVER_WORKERS of them (one per CPU by default,
at most MaxConcurrentTransforms) answer in parallel.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from local_sagemaker.config import ServiceSettings
from local_sagemaker.containers.inference_process import (
    ModelServerPool,
    ServerCommand,
    ServerFailure,
    ServerStopped,
)
from local_sagemaker.containers.isolation import CONTAINER_ROOT, Isolation, bubblewrap
from local_sagemaker.containers.requirements_env import requirements_layer
from local_sagemaker.containers.runtime import NO_BUBBLEWRAP, container_environment
from local_sagemaker.containers.source_dir import fetch_source_directory
from local_sagemaker.errors import ValidationException
from local_sagemaker.job_errors import AlgorithmError
from local_sagemaker.s3io import DataError

PROGRAM = "SAGEMAKER_PROGRAM"
SUBMIT_DIRECTORY = "SAGEMAKER_SUBMIT_DIRECTORY"
MODEL_CODE_DIR = f"{CONTAINER_ROOT}/model/code"
_CODE_DIR = f"{CONTAINER_ROOT}/code"  # sagemaker_containers' code_dir: the default SAGEMAKER_SUBMIT_DIRECTORY
_IMAGES = (
    (re.compile(r"(^|/)(sagemaker-)?xgboost(:[\w.\-]+)?$"), "xgboost"),
    (re.compile(r"(^|/)sagemaker-scikit-learn(:[\w.\-]+)?$"), "sklearn"),
)
_STARTUP_TIMEOUT = "SAGEMAKER_STARTUP_TIMEOUT"
_DEFAULT_STARTUP_TIMEOUT = 600  # sagemaker_inference environment.DEFAULT_STARTUP_TIMEOUT
_WORKERS = "SAGEMAKER_MODEL_SERVER_WORKERS"
_LAST_LINES = 8


class BatchServer(Protocol):
    """What the transform runner needs of a model: one mini-batch in, the container's answer out."""

    def invoke(self, payload: bytes, content_type: str, where: str) -> bytes: ...


def inference_framework(image: str) -> str | None:
    """`sklearn` or `xgboost` for the framework images that serve user code, else None."""
    repository = image.split("@", 1)[0]
    return next((name for pattern, name in _IMAGES if pattern.search(repository)), None)


def serves_user_code(environment: Mapping[str, str]) -> bool:
    return bool(environment.get(PROGRAM))


def check_user_code_model(image: str, environment: Mapping[str, str], where: str) -> None:
    """CreateTransformJob-time checks of a model that serves the user's code; ValidationException naming the field."""
    framework = inference_framework(image)
    if framework is None:
        raise ValidationException(
            f"{where}.Image: {image!r} cannot serve SAGEMAKER_PROGRAM locally; use the scikit-learn "
            "(.../sagemaker-scikit-learn:<version>) or XGBoost (.../sagemaker-xgboost:<version>) framework image"
        )
    program = environment[PROGRAM]
    if "/" in program or not re.fullmatch(r"[\w.\-]+", program):
        raise ValidationException(
            f"{where}.Environment.{PROGRAM}: {program!r} must be a module or script name in the source directory, "
            "such as inference.py"
        )
    for name in (_STARTUP_TIMEOUT, _WORKERS):
        value = environment.get(name)
        if value is not None and not (value.isdigit() and int(value) > 0):
            raise ValidationException(
                f"{where}.Environment.{name}: {value!r} must be a positive whole number"
            )
    submit = environment.get(SUBMIT_DIRECTORY, "")
    if submit.startswith("file://"):
        raise ValidationException(
            f"{where}.Environment.{SUBMIT_DIRECTORY}: {submit!r} is a local-mode path that SageMaker cannot read; "
            f"upload the code as s3://<bucket>/<prefix>/sourcedir.tar.gz or pack it into model.tar.gz under code/ "
            f"({MODEL_CODE_DIR})"
        )
    if submit and not submit.startswith("s3://") and not _under_model_dir(submit):
        raise ValidationException(
            f"{where}.Environment.{SUBMIT_DIRECTORY}: {submit!r} is not supported locally; give an S3 "
            f"sourcedir.tar.gz or a folder of model.tar.gz such as {MODEL_CODE_DIR}"
        )


def _under_model_dir(path: str) -> bool:
    return path.rstrip("/") == f"{CONTAINER_ROOT}/model" or path.startswith(f"{CONTAINER_ROOT}/model/")


class FrameworkInferenceServer:
    """The user's inference code behind the transform runner's `invoke`, in sandboxed model servers."""

    def __init__(
        self,
        settings: ServiceSettings,
        s3: Any,
        image: str,
        environment: Mapping[str, str],
        job_root: Path,
        scratch: Path,
        write_log: Callable[[str], None],
        should_stop: Callable[[], bool],
        workers: int,
        accept: str | None,
        content_type: str | None,
        network_isolation: bool = False,
    ) -> None:
        self.framework = inference_framework(image) or "sklearn"
        self.environment = dict(environment)
        self.program = self.environment[PROGRAM]
        # The headers as the platform sends them: none when the request gives none (the container then assumes
        # application/json for both).
        self.accept = accept
        self.content_type = content_type
        self.write_log = write_log
        self._isolated = bubblewrap() is not None
        code_dir = self._prepare_code(s3, job_root, scratch)
        env = container_environment(
            settings,
            {
                "SAGEMAKER_BATCH": "true",
                "OMP_NUM_THREADS": "1",  # the XGBoost image's serving default: one thread per worker
                **self.environment,
                "PYTHONPATH": ":".join(self._python_path(settings, job_root, code_dir)),
            },
        )
        self.pool = ModelServerPool(
            self._command(env, job_root, code_dir, network_isolation), workers, write_log
        )
        write_log(
            f"Started {workers} model server worker(s): {self.program} from {code_dir} ({self.framework})"
        )
        timeout = int(self.environment.get(_STARTUP_TIMEOUT, _DEFAULT_STARTUP_TIMEOUT))
        try:
            self.pool.wait_ready(timeout, should_stop)
        except ServerStopped:
            self.pool.close()
            raise
        except ServerFailure as exc:
            self.pool.close()
            raise DataError(
                f"Model error: the model server did not start: {exc}{self._last_lines(exc)}"
            ) from exc
        self.should_stop = should_stop
        self._closed = threading.Event()
        # A stop ends the servers at once, as stopping the container does, even mid-answer.
        threading.Thread(target=self._kill_on_stop, daemon=True).start()

    def _python_path(self, settings: ServiceSettings, job_root: Path, code_dir: str) -> list[str]:
        """The code folder, then the packages of its requirements.txt (installed once into a cached layer)."""
        python_path = [self._path(job_root, code_dir)]
        requirements = job_root / code_dir.removeprefix(CONTAINER_ROOT + "/") / "requirements.txt"
        if requirements.is_file():
            cache = settings.state_dir / "requirements"
            cache.mkdir(parents=True, exist_ok=True)
            try:
                python_path.append(str(requirements_layer(requirements, cache, self.write_log)))
            except AlgorithmError as exc:
                raise DataError(
                    f"Model error: {code_dir}/requirements.txt could not be installed: {exc}"
                ) from exc
        return python_path

    def _command(
        self, env: dict[str, str], job_root: Path, code_dir: str, network_isolation: bool
    ) -> ServerCommand:
        program = [
            sys.executable, "-m", "local_sagemaker.containers.inference_server",
            "--framework", self.framework,
            "--program", self.program,
            "--model-dir", self._path(job_root, f"{CONTAINER_ROOT}/model"),
        ]  # fmt: skip
        if not self._isolated:
            self.write_log(
                f"{NO_BUBBLEWRAP}; the model server runs with /opt/ml paths as they are on this machine"
            )
            return ServerCommand(program, lambda argv: argv, env, cwd=self._path(job_root, code_dir))
        isolation = Isolation(job_root, network_isolation=network_isolation, working_dir=code_dir)
        bwrap = str(bubblewrap())
        return ServerCommand(program, lambda argv: isolation.command(argv, bwrap), env)

    def _kill_on_stop(self) -> None:
        while not self._closed.wait(0.2):
            if self.should_stop():
                self.write_log("Stop requested: ending the model servers, as stopping the container does")
                self.pool.kill()
                return

    def _path(self, job_root: Path, container_path: str) -> str:
        """A container path as the server sees it: itself in the sandbox, under the job's folder without one."""
        if self._isolated:
            return container_path
        return str(job_root / container_path.removeprefix(CONTAINER_ROOT).lstrip("/"))

    def _prepare_code(self, s3: Any, job_root: Path, scratch: Path) -> str:
        """The container path of the code folder, unpacked from S3 when SAGEMAKER_SUBMIT_DIRECTORY names one."""
        submit = self.environment.get(SUBMIT_DIRECTORY) or _CODE_DIR
        field = f"Environment.{SUBMIT_DIRECTORY}"
        if submit.startswith("s3://"):
            files = fetch_source_directory(s3, submit, job_root / "code", scratch, field=field)
            self.write_log(f"Unpacked {len(files)} file(s) of {submit} into {_CODE_DIR}")
            submit = _CODE_DIR
        host_dir = job_root / submit.rstrip("/").removeprefix(CONTAINER_ROOT).lstrip("/")
        module = self.program.removesuffix(".py")
        if not ((host_dir / f"{module}.py").is_file() or (host_dir / module).is_dir()):
            held = sorted(p.name for p in host_dir.iterdir()) if host_dir.is_dir() else []
            hint = (
                f"; {SUBMIT_DIRECTORY} is not set, so the container looks in {_CODE_DIR}: set it to the S3 "
                f"sourcedir.tar.gz or to {MODEL_CODE_DIR} when model.tar.gz holds the code"
                if not self.environment.get(SUBMIT_DIRECTORY)
                else ""
            )
            raise DataError(
                f"Model error: ImportModuleError: {PROGRAM} names {self.program!r}, which is not in {submit} "
                f"(it holds: {', '.join(held) or 'nothing'}){hint}"
            )
        return submit.rstrip("/")

    def _last_lines(self, failure: ServerFailure) -> str:
        """The traceback the server answered with, else the last lines it printed (it died without one)."""
        if failure.trace:
            printed = failure.trace.splitlines()
        else:
            time.sleep(0.2)  # the log pump copies what the server printed just before it died
            printed = list(self.pool.tail)
        lines = [line for line in printed if line.strip()][-_LAST_LINES:]
        return "; last log lines:\n" + "\n".join(lines) if lines else ""

    def invoke(self, payload: bytes, content_type: str, where: str) -> bytes:
        try:
            answer, _ = self.pool.invoke(payload, self.content_type or "", self.accept)
        except ServerFailure as exc:
            if self.should_stop():
                raise ServerStopped from exc
            raise DataError(
                f"{where}: Bad HTTP status received from algorithm: {exc.status}: {exc}{self._last_lines(exc)}"
            ) from exc
        return answer

    def close(self) -> None:
        self._closed.set()
        self.pool.close()


def server_workers(environment: Mapping[str, str], max_concurrent: int) -> int:
    """SAGEMAKER_MODEL_SERVER_WORKERS (one per CPU by default), no more than can be busy at once."""
    configured = environment.get(_WORKERS)  # checked at CreateTransformJob
    workers = int(configured) if configured else (os.cpu_count() or 1)
    return max(1, min(workers, max_concurrent))
