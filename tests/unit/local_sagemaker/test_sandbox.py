"""The /opt/ml mapping cannot be used to leave a job's sandbox, and S3 keys cannot either."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from local_sagemaker.containers.isolation import bubblewrap
from local_sagemaker.s3io import DataError, download_prefix, upload_directory
from local_sagemaker.sandbox import Sandbox


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    root = tmp_path / "job" / "sandbox"
    root.mkdir(parents=True)
    return Sandbox(root)


@pytest.mark.parametrize(
    ("container_path", "inside"),
    [
        ("/opt/ml/processing/output", "opt/ml/processing/output"),
        ("/opt/ml/processing/../../etc/x", "opt/etc/x"),
        ("/opt/ml/processing/../../../../../../etc/passwd", "etc/passwd"),
        ("/opt/ml/../../..", ""),
    ],
)
def test_mapped_paths_are_normalised_like_the_containers_and_stay_inside(
    sandbox: Sandbox, container_path: str, inside: str
) -> None:
    mapped = sandbox.map_text(container_path)
    assert mapped == str(sandbox.root / inside) if inside else str(sandbox.root)
    assert Path(mapped).resolve().is_relative_to(sandbox.root)


def test_mapping_keeps_trailing_slashes_and_leaves_other_paths_alone(sandbox: Sandbox) -> None:
    assert sandbox.map_text("/opt/ml/processing/output/") == f"{sandbox.root}/opt/ml/processing/output/"
    assert sandbox.map_argument("--out=/opt/ml/processing/x") == f"--out={sandbox.root}/opt/ml/processing/x"
    for untouched in ("/opt/mlflow/x", "/data/opt/ml/x", "relative/opt/ml"):
        assert sandbox.map_text(untouched) == untouched


@pytest.mark.parametrize(
    "container_path",
    ["/opt/ml/processing/../../etc/x", "/etc/passwd", "/opt/mlx/y", "opt/ml/processing", "/opt/ml/../ml/x"],
)
def test_input_and_output_local_paths_outside_opt_ml_are_refused(
    sandbox: Sandbox, container_path: str
) -> None:
    with pytest.raises(ValueError):
        sandbox.local_path(container_path)


SCRIPT = textwrap.dedent(
    '''\
    """A processing script that tries every way out through the mapping."""
    from __future__ import annotations

    import json
    import os
    import sys

    report = {"cwd": os.getcwd(), "argv": sys.argv[1:], "name": __name__}
    # A literal with `..`: mapped and normalised, it lands inside the sandbox (as /opt/etc/x would).
    os.makedirs("/opt/ml/processing/../../etc", exist_ok=True)
    with open("/opt/ml/processing/../../etc/x", "w") as literal:
        literal.write("inside")
    report["literal"] = "written"
    # Built at run time from a mapped prefix: refused by the guard.
    escape = os.path.join("/opt/ml/processing", *[".."] * 12, "tmp", "sandbox-escape.txt")
    for label, action in [
        ("open", lambda: open(escape, "w")),
        ("mkdir", lambda: os.mkdir(os.path.join("/opt/ml", *[".."] * 12, "tmp", "sandbox-escape-dir"))),
        ("relative", lambda: open(os.path.join(*[".."] * 12, "tmp", "sandbox-escape-rel.txt"), "w")),
    ]:
        try:
            action()
            report[label] = "escaped"
        except PermissionError:
            report[label] = "blocked"
    # A symlink planted in the sandbox cannot be written through either.
    os.symlink("/tmp", "/opt/ml/processing/link")
    try:
        open("/opt/ml/processing/link/sandbox-escape-link.txt", "w")
        report["symlink"] = "escaped"
    except PermissionError:
        report["symlink"] = "blocked"
    # Reading outside, and writing where the sandbox has nothing to do with, is the script's own business.
    report["reads"] = len(open(sys.executable, "rb").read(4))
    os.makedirs("/opt/ml/processing/output", exist_ok=True)
    with open("/opt/ml/processing/output/report.json", "w") as out:
        json.dump(report, out)


    def fail() -> None:
        raise RuntimeError("boom")


    if "--fail" in sys.argv:
        fail()
    '''
)


def run_script(sandbox: Sandbox, *arguments: str) -> subprocess.CompletedProcess[str]:
    code = sandbox.root / "opt/ml/processing/input/code"
    code.mkdir(parents=True)
    (code / "job.py").write_text(SCRIPT)
    runnable = code / ".job.py.local.py"
    runnable.write_text(sandbox.rewrite_script((code / "job.py").read_text(), "job.py"))
    return subprocess.run(
        [sys.executable, str(runnable), *(sandbox.map_argument(a) for a in arguments)],
        cwd=sandbox.root,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_script_cannot_write_outside_its_sandbox_through_the_mapping(sandbox: Sandbox) -> None:
    done = run_script(sandbox, "--out", "/opt/ml/processing/output")
    assert done.returncode == 0, done.stderr
    report = (sandbox.root / "opt/ml/processing/output/report.json").read_text()
    import json

    result = json.loads(report)
    assert result["name"] == "__main__"
    assert result["cwd"] == str(sandbox.root)
    assert result["argv"] == ["--out", f"{sandbox.root}/opt/ml/processing/output"]
    assert (sandbox.root / "opt/etc/x").read_text() == "inside"
    assert {result[k] for k in ("open", "mkdir", "relative", "symlink")} == {"blocked"}
    for leaked in (
        "sandbox-escape.txt",
        "sandbox-escape-dir",
        "sandbox-escape-rel.txt",
        "sandbox-escape-link.txt",
    ):
        assert not (Path("/tmp") / leaked).exists()


def test_tracebacks_keep_the_scripts_own_line_numbers(sandbox: Sandbox) -> None:
    done = run_script(sandbox, "--fail")
    assert done.returncode != 0
    line = SCRIPT.splitlines().index('    raise RuntimeError("boom")') + 1
    assert f'job.py", line {line}, in fail' in done.stderr
    assert 'raise RuntimeError("boom")' in done.stderr


class FakeS3:
    """Lists the given keys and 'downloads' each as its own name."""

    class exceptions:  # mirrors boto3's client.exceptions
        class NoSuchBucket(Exception):
            pass

    def __init__(self, keys: list[str]) -> None:
        self.keys = keys
        self.uploaded: list[str] = []

    def get_paginator(self, name: str) -> Any:
        keys = self.keys

        class Pages:
            def paginate(self, Bucket: str, Prefix: str) -> list[dict[str, Any]]:
                return [{"Contents": [{"Key": k} for k in keys if k.startswith(Prefix)]}]

        return Pages()

    def download_file(self, bucket: str, key: str, target: str) -> None:
        Path(target).write_text(key)

    def upload_file(self, source: str, bucket: str, key: str) -> None:
        self.uploaded.append(key)


@pytest.mark.parametrize(
    "evil_key",
    ["data/../../../escape.txt", "data/day1/../../../../escape.txt", "data/..", "data//../escape.txt"],
)
def test_s3_keys_with_dot_dot_cannot_land_outside_the_local_path(tmp_path: Path, evil_key: str) -> None:
    destination = tmp_path / "sandbox" / "opt/ml/processing/input/data"
    s3 = FakeS3(["data/good.csv", evil_key])
    with pytest.raises(DataError, match="cannot be placed safely"):
        download_prefix(s3, "s3://bucket/data/", destination)
    assert not list(tmp_path.rglob("escape.txt"))


def test_ordinary_keys_keep_their_folders_below_the_prefix(tmp_path: Path) -> None:
    destination = tmp_path / "data"
    files = download_prefix(FakeS3(["data/a.csv", "data/day1/b.csv"]), "s3://bucket/data/", destination)
    assert sorted(p.relative_to(destination).as_posix() for p in files) == ["a.csv", "day1/b.csv"]


def test_outputs_do_not_follow_symlinks_out_of_the_sandbox(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("not for S3")
    output = tmp_path / "sandbox" / "output"
    output.mkdir(parents=True)
    (output / "result.csv").write_text("1\n")
    os.symlink(secret, output / "leak.txt")
    s3 = FakeS3([])
    with pytest.raises(DataError, match=r"leak\.txt"):
        upload_directory(s3, output, "s3://bucket/out")
    assert s3.uploaded == []


@pytest.mark.skipif(
    bubblewrap() is not None,
    reason="the service rewrites scripts only where bubblewrap is missing (test_container_isolation covers it)",
)
def test_a_processing_job_runs_in_its_sandbox_and_cannot_escape_it(
    local_stack: Any, sagemaker: Any, s3: Any
) -> None:
    import json

    from tests.support.sagemaker_api import ROLE, SKLEARN_IMAGE, unique

    bucket, prefix, name = local_stack.bucket, unique("sandboxed"), unique("sandboxed")
    s3.put_object(Bucket=bucket, Key=f"{prefix}/code/job.py", Body=SCRIPT.encode())
    # An input object whose key climbs out of its prefix is refused, not written above the LocalPath.
    s3.put_object(Bucket=bucket, Key=f"{prefix}/data/ok.txt", Body=b"1")
    sagemaker.create_processing_job(
        ProcessingJobName=name,
        RoleArn=ROLE,
        AppSpecification={
            "ImageUri": SKLEARN_IMAGE,
            "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/job.py"],
            "ContainerArguments": ["--out", "/opt/ml/processing/output"],
        },
        ProcessingInputs=[
            {
                "InputName": "code",
                "S3Input": {
                    "S3Uri": f"s3://{bucket}/{prefix}/code/job.py",
                    "LocalPath": "/opt/ml/processing/input/code",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            }
        ],
        ProcessingOutputConfig={
            "Outputs": [
                {
                    "OutputName": "report",
                    "S3Output": {
                        "S3Uri": f"s3://{bucket}/{prefix}/out",
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
        ProcessingResources={
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 10}
        },
        StoppingCondition={"MaxRuntimeInSeconds": 120},
    )
    sagemaker.get_waiter("processing_job_completed_or_stopped").wait(
        ProcessingJobName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
    )
    job = sagemaker.describe_processing_job(ProcessingJobName=name)
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    report = json.loads(s3.get_object(Bucket=bucket, Key=f"{prefix}/out/report.json")["Body"].read())
    cwd = Path(report["cwd"])
    assert cwd.name == "sandbox" and cwd.is_relative_to(Path(local_stack.base_dir).resolve())
    assert {report[k] for k in ("open", "mkdir", "relative", "symlink")} == {"blocked"}


def test_a_processing_input_path_with_dot_dot_is_refused_at_create(local_stack: Any, sagemaker: Any) -> None:
    from botocore.exceptions import ClientError

    from tests.support.sagemaker_api import ROLE, SKLEARN_IMAGE, unique

    with pytest.raises(ClientError) as caught:
        sagemaker.create_processing_job(
            ProcessingJobName=unique("dotdot"),
            RoleArn=ROLE,
            AppSpecification={
                "ImageUri": SKLEARN_IMAGE,
                "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/job.py"],
            },
            ProcessingInputs=[
                {
                    "InputName": "code",
                    "S3Input": {
                        "S3Uri": f"s3://{local_stack.bucket}/x/job.py",
                        "LocalPath": "/opt/ml/processing/../../../etc",
                        "S3DataType": "S3Prefix",
                        "S3InputMode": "File",
                    },
                }
            ],
            ProcessingResources={
                "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 10}
            },
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
