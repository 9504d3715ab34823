"""Processing jobs: inputs into the sandbox, the python script run there, outputs back to S3."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import deque
from typing import Any, ClassVar

from local_sagemaker.job_errors import AlgorithmError
from local_sagemaker.jobs import PROCESSING, JobKind
from local_sagemaker.runners.base import JobRunner, StopRequested
from local_sagemaker.s3io import DataError, download_prefix, upload_directory
from local_sagemaker.sandbox import Sandbox

_TAIL_LINES = 5


class ProcessingRunner(JobRunner):
    kind: ClassVar[JobKind] = PROCESSING
    exit_message: str | None = None

    def fields_when_failed(self) -> dict[str, Any]:
        return {"ExitMessage": self.exit_message} if self.exit_message else {}

    def execute(self) -> dict[str, Any]:
        sandbox = Sandbox(self.sandbox("sandbox"))
        for item in self.job.get("ProcessingInputs", []):
            self.check_stop()
            source = item["S3Input"]
            files = download_prefix(self.s3, source["S3Uri"], sandbox.local_path(source["LocalPath"]))
            self.log.write(f"Downloaded {len(files)} file(s) for input {item['InputName']}")
        outputs = self.job.get("ProcessingOutputConfig", {}).get("Outputs", [])
        for item in outputs:
            sandbox.local_path(item["S3Output"]["LocalPath"]).mkdir(parents=True, exist_ok=True)

        app = self.job["AppSpecification"]
        script = sandbox.local_path(app["ContainerEntrypoint"][1])
        if not script.is_file():
            raise DataError(
                f"AppSpecification.ContainerEntrypoint names {app['ContainerEntrypoint'][1]}, which no "
                "ProcessingInput put in place; add an input whose LocalPath holds the script"
            )
        runnable = script.with_name(f".{script.name}.local.py")
        runnable.write_text(sandbox.rewrite_script(script.read_text()))
        arguments = [
            sandbox.map_argument(a)
            for a in app["ContainerEntrypoint"][2:] + app.get("ContainerArguments", [])
        ]
        self._run_script([sys.executable, str(runnable), *arguments], sandbox)

        for item in outputs:
            self.check_stop()
            target = item["S3Output"]
            written = upload_directory(self.s3, sandbox.local_path(target["LocalPath"]), target["S3Uri"])
            self.log.write(
                f"Uploaded {len(written)} file(s) for output {item['OutputName']} to {target['S3Uri']}"
            )
        return {}

    def _run_script(self, command: list[str], sandbox: Sandbox) -> None:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(sandbox.root),
            "PYTHONUNBUFFERED": "1",
            "PYTHONNOUSERSITE": "1",
            **self.job.get("Environment", {}),
        }
        proc = subprocess.Popen(
            command, cwd=sandbox.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        tail: deque[str] = deque(maxlen=_TAIL_LINES)

        def pump() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                tail.append(line.rstrip())
                self.log.write(line)

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        while proc.poll() is None:
            if self.should_stop():
                proc.terminate()
                proc.wait(timeout=30)
                reader.join(timeout=5)
                raise StopRequested
            reader.join(timeout=0.2)
        reader.join(timeout=5)
        if proc.returncode != 0:
            self.exit_message = "\n".join(tail)
            raise AlgorithmError(
                f"the processing script exited with code {proc.returncode}. Last output: {' | '.join(tail)}"
            )
