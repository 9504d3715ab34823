"""One host of a distributed built-in XGBoost job: xgboost's collective around `train`, as the container does.

Follows aws/sagemaker-xgboost-container (distributed.py `Rabit`, algorithm_mode/train.py): the master
(first of the sorted hosts) starts xgboost's RabitTracker on its own address, every host joins it with
`dmlc_task_id` = its index among the sorted hosts, each trains on its own rows (xgboost all-reduces the
histograms and the evaluation sums, so all hosts grow the same trees and print the same metrics), and
only the master saves the model. The training runner starts one process per host (`python -m
local_sagemaker.algorithms.builtin_xgboost.host_main <spec.json>`); each prints its log to stdout.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from local_sagemaker.algorithms.builtin_xgboost.training import ClusterRole, train
from local_sagemaker.job_errors import AlgorithmError

_CONNECT_SECONDS = 60  # how long a host keeps trying to reach the master's tracker
_COLLECTIVE_TIMEOUT_SECONDS = 300  # dmlc_timeout: one collective operation waiting for a slow host


@dataclass(frozen=True)
class HostSpec:
    """Everything one host needs, written by the runner as JSON."""

    channels: dict[str, str]  # channel name -> this host's folder of it
    content_types: dict[str, str | None]  # None: no ContentType given
    hyperparameters: dict[str, str]
    model_dir: str
    checkpoint_dir: str | None
    hosts: list[str]  # the hosts that train, sorted: the first is the master
    current_host: str
    tracker_address: str  # the master's address
    tracker_port: int
    result_file: str  # the master writes its final metrics here
    failure_file: str  # a failed host writes its reason here
    tracker_ready_file: str  # the master creates it once its tracker listens

    def write(self, path: Path) -> Path:
        path.write_text(json.dumps(asdict(self)))
        return path

    @classmethod
    def read(cls, path: Path) -> HostSpec:
        return cls(**json.loads(path.read_text()))

    @property
    def role(self) -> ClusterRole:
        return ClusterRole(tuple(self.hosts), self.current_host)


@contextmanager
def collective(spec: HostSpec, log: Callable[[str], None]) -> Iterator[None]:
    """xgboost's communicator for this host (the tracker too on the master); nothing for one host."""
    if len(spec.hosts) == 1:
        yield
        return
    from xgboost import collective as xgb_collective
    from xgboost.tracker import RabitTracker

    tracker = None
    if spec.role.is_master:
        tracker = RabitTracker(
            n_workers=len(spec.hosts), host_ip=spec.tracker_address, port=spec.tracker_port, sortby="task"
        )
        tracker.start()
        Path(spec.tracker_ready_file).touch()
        log(f"RabitTracker started on {spec.tracker_address}:{spec.tracker_port}")
    worker_args: dict[str, str | int] = {
        "dmlc_tracker_uri": spec.tracker_address,
        "dmlc_tracker_port": spec.tracker_port,
        "dmlc_task_id": str(spec.hosts.index(spec.current_host)),
        "dmlc_timeout": _COLLECTIVE_TIMEOUT_SECONDS,
    }
    # Hosts share this machine's disk, so waiting for the master's word saves xgboost's noisy retries
    # (the container retries the whole init instead: a probe connection would upset the tracker).
    deadline = time.monotonic() + _CONNECT_SECONDS
    while not Path(spec.tracker_ready_file).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    while True:
        try:
            context = xgb_collective.CommunicatorContext(**worker_args)
            context.__enter__()
            break
        except Exception as error:
            if time.monotonic() > deadline:
                raise AlgorithmError(
                    f"host {spec.current_host} could not join the tracker on {spec.tracker_address}:"
                    f"{spec.tracker_port} within {_CONNECT_SECONDS} s: {error}"
                ) from error
            time.sleep(0.25)
    try:
        yield
    finally:
        context.__exit__(None, None, None)
        if tracker is not None:
            tracker.wait_for(timeout=30)
            tracker.free()


def agreed_stop(local: Callable[[], bool]) -> Callable[[], bool]:
    """True on every host in the same round once any host was asked to stop (a max all-reduce), so no
    host is left waiting for the others in the next round's collective operations."""
    import numpy as np
    from xgboost import collective as xgb_collective

    def check() -> bool:
        flag = np.array([1.0 if local() else 0.0])
        return bool(xgb_collective.allreduce(flag, xgb_collective.Op.MAX)[0] > 0)

    return check


def _end_with_parent() -> None:
    """Exit once the job's worker is gone (killed with its process group, which this host is not in:
    it has a session of its own so a stop reaches all of it), instead of training on as an orphan."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def run(spec: HostSpec) -> int:
    _end_with_parent()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())

    def log(message: str) -> None:
        print(message, flush=True)

    try:
        with collective(spec, log):
            should_stop = agreed_stop(stop.is_set) if len(spec.hosts) > 1 else stop.is_set
            result = train(
                {name: Path(path) for name, path in spec.channels.items()},
                spec.hyperparameters,
                Path(spec.model_dir),
                log,
                content_types=spec.content_types,
                should_stop=should_stop,
                checkpoint_dir=Path(spec.checkpoint_dir) if spec.checkpoint_dir else None,
                cluster=spec.role,
            )
    except AlgorithmError as error:
        Path(spec.failure_file).write_text(str(error))
        return 1
    except Exception as error:  # anything else is the service's fault: say so, keep the traceback in the log
        log(traceback.format_exc())
        Path(spec.failure_file).write_text(f"XGBoost training failed on host {spec.current_host}: {error}")
        return 2
    if spec.role.is_master:
        Path(spec.result_file).write_text(json.dumps({"final_metrics": result.final_metrics}))
    return 0


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    return run(HostSpec.read(Path(arguments[0])))
