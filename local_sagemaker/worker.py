"""Entry point of one job's worker process: `python -m local_sagemaker.worker STATE_DIR KIND NAME`."""

from __future__ import annotations

import ctypes
import importlib
import signal
import sys
from pathlib import Path

from local_sagemaker.config import ServiceSettings
from local_sagemaker.jobs import JOB_KINDS
from local_sagemaker.store import Store

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # If the service is killed, its workers go too; a restart then marks their jobs Failed.
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def main(argv: list[str]) -> int:
    state_dir, kind_name, name = Path(argv[0]), argv[1], argv[2]
    _die_with_parent()
    settings = ServiceSettings.load(state_dir)
    store = Store(state_dir / "state.db")
    kind = JOB_KINDS[kind_name]
    module_name, class_name = kind.runner.split(":")
    runner_class = getattr(importlib.import_module(module_name), class_name)
    runner = runner_class(settings, store, name)
    runner.install_signal_handlers()
    runner.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
