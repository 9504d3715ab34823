"""Processing programs run in a container-like namespace (bubblewrap): /opt/ml is real, the rest read-only.

Follows the processing container contract in the SageMaker Developer Guide, "How Amazon SageMaker
Processing Runs Your Processing Container Image" (inputs under /opt/ml/processing/..., the
ContainerEntrypoint run as the container's command, NetworkConfig.EnableNetworkIsolation cutting the
network), run by any program, not only python; and "How Amazon SageMaker Processing Configures Your
Processing Container" (/opt/ml/config/processingjobconfig.json and resourceconfig.json).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from local_sagemaker.containers.isolation import bubblewrap
from tests.support.sagemaker_api import ROLE, SKLEARN_IMAGE, unique, wait_until_done

pytestmark = pytest.mark.skipif(bubblewrap() is None, reason="bubblewrap is not installed")

CODE = "/opt/ml/processing/input/code"
DATA = "/opt/ml/processing/input/data"
RESULT = "/opt/ml/processing/output/result"

# The path is built at run time, so no rewriting of the source could have found it.
RUNTIME_PATH_SCRIPT = textwrap.dedent(
    """
    import os
    base = os.path.join("/opt", "ml", "processing")
    total = sum(int(line) for line in open(os.path.join(base, "input", "data", "numbers.txt")))
    with open(os.path.join(base, "output", "result", "sum.txt"), "w") as out:
        out.write(str(total))
    """
)
SHELL_SCRIPT = (
    'set -e\ntotal=0\nwhile read n; do total=$((total + n)); done < "$1"\nprintf %s "$total" > "$2"\n'
)

ESCAPE_SCRIPT = textwrap.dedent(
    """
    import os, sys
    target = sys.argv[1]
    try:
        open(target, "w").write("escaped")
        outcome = "written"
    except OSError as error:
        outcome = type(error).__name__ + " " + str(error.errno)
    open("/opt/ml/processing/output/result/outcome.txt", "w").write(outcome)
    """
)

NETWORK_SCRIPT = textwrap.dedent(
    """
    import os, socket, urllib.parse
    endpoint = urllib.parse.urlsplit(os.environ["AWS_ENDPOINT_URL_S3"])
    try:
        socket.create_connection((endpoint.hostname, endpoint.port), timeout=3).close()
        outcome = "reachable"
    except OSError:
        outcome = "unreachable"
    open("/opt/ml/processing/output/result/outcome.txt", "w").write(outcome)
    """
)


def run_processing(
    sagemaker: Any,
    s3: Any,
    bucket: str,
    code: dict[str, str],
    entrypoint: list[str],
    arguments: list[str] | None = None,
    network_isolation: bool | None = None,
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Upload the code and numbers, run the job, return its description and the files it wrote."""
    prefix = unique("isolation")
    for name, body in code.items():
        s3.put_object(Bucket=bucket, Key=f"{prefix}/code/{name}", Body=body.encode())
    s3.put_object(Bucket=bucket, Key=f"{prefix}/numbers/numbers.txt", Body=b"1\n2\n3\n4\n")
    name = unique("process")
    request: dict[str, Any] = {
        "ProcessingJobName": name,
        "RoleArn": ROLE,
        "AppSpecification": {"ImageUri": SKLEARN_IMAGE, "ContainerEntrypoint": entrypoint},
        "ProcessingInputs": [
            {
                "InputName": input_name,
                "S3Input": {
                    "S3Uri": f"s3://{bucket}/{prefix}/{folder}/",
                    "LocalPath": local_path,
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            }
            for input_name, folder, local_path in (("code", "code", CODE), ("data", "numbers", DATA))
            if code or input_name != "code"
        ],
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": "result",
                    "S3Output": {
                        "S3Uri": f"s3://{bucket}/{prefix}/result",
                        "LocalPath": RESULT,
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
        "ProcessingResources": {
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 10}
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 120},
    }
    if arguments:
        request["AppSpecification"]["ContainerArguments"] = arguments
    if network_isolation is not None:
        request["NetworkConfig"] = {"EnableNetworkIsolation": network_isolation}
    sagemaker.create_processing_job(**request)
    job = wait_until_done(
        lambda: sagemaker.describe_processing_job(ProcessingJobName=name), "ProcessingJobStatus"
    )
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/result/").get("Contents", [])
    written = {
        item["Key"].rsplit("/", 1)[-1]: s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        for item in listing
    }
    return job, written


@pytest.mark.parametrize(
    ("code", "entrypoint", "arguments", "result_file"),
    [
        ({"job.py": RUNTIME_PATH_SCRIPT}, ["python3", f"{CODE}/job.py"], None, "sum.txt"),
        (
            {"job.sh": SHELL_SCRIPT},
            ["/bin/sh", f"{CODE}/job.sh"],
            [f"{DATA}/numbers.txt", f"{RESULT}/sum.txt"],
            "sum.txt",
        ),
        ({}, ["cp", f"{DATA}/numbers.txt", f"{RESULT}/copy.txt"], None, "copy.txt"),
    ],
    ids=["python-path-built-at-run-time", "shell-script", "non-python-program"],
)
def test_any_program_sees_opt_ml(
    sagemaker: Any,
    s3: Any,
    local_stack: Any,
    code: dict[str, str],
    entrypoint: list[str],
    arguments: list[str] | None,
    result_file: str,
) -> None:
    job, written = run_processing(sagemaker, s3, local_stack.bucket, code, entrypoint, arguments)
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    expected = b"1\n2\n3\n4\n" if result_file == "copy.txt" else b"10"
    assert written[result_file] == expected


def test_writes_outside_the_job_directory_fail(sagemaker: Any, s3: Any, local_stack: Any) -> None:
    target = Path(__file__).parent / f"escaped-{unique('x')}.txt"
    job, written = run_processing(
        sagemaker,
        s3,
        local_stack.bucket,
        {"escape.py": ESCAPE_SCRIPT},
        ["python3", f"{CODE}/escape.py"],
        [str(target)],
    )
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    assert written["outcome.txt"] == b"OSError 30"  # EROFS: the host's file system is read-only inside
    assert not target.exists()


@pytest.mark.parametrize(("isolated", "outcome"), [(True, b"unreachable"), (False, b"reachable")])
def test_network_isolation_cuts_the_local_s3(
    sagemaker: Any, s3: Any, local_stack: Any, isolated: bool, outcome: bytes
) -> None:
    job, written = run_processing(
        sagemaker,
        s3,
        local_stack.bucket,
        {"net.py": NETWORK_SCRIPT},
        ["python3", f"{CODE}/net.py"],
        network_isolation=isolated,
    )
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    assert written["outcome.txt"] == outcome


def test_the_container_gets_sagemakers_config_files(sagemaker: Any, s3: Any, local_stack: Any) -> None:
    """/opt/ml/config/processingjobconfig.json repeats the request with its defaults filled in, and
    resourceconfig.json names the one host, as the Developer Guide's examples show them."""
    copy = f"cp /opt/ml/config/processingjobconfig.json /opt/ml/config/resourceconfig.json {RESULT}/"
    job, written = run_processing(sagemaker, s3, local_stack.bucket, {}, ["/bin/sh", "-c", copy])
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")

    assert json.loads(written["resourceconfig.json"]) == {"current_host": "algo-1", "hosts": ["algo-1"]}
    config = json.loads(written["processingjobconfig.json"])
    assert (config["ProcessingJobArn"], config["ProcessingJobName"], config["RoleArn"]) == (
        job["ProcessingJobArn"],
        job["ProcessingJobName"],
        ROLE,
    )
    assert config["AppSpecification"] == {
        "ImageUri": SKLEARN_IMAGE,
        "ContainerEntrypoint": ["/bin/sh", "-c", copy],
        "ContainerArguments": None,
    }
    assert config["Environment"] == {}
    data = config["ProcessingInputs"][0]
    assert data["InputName"] == "data" and data["S3Input"]["LocalPath"] == DATA
    assert {
        k: data["S3Input"][k] for k in ("S3DataDistributionType", "S3CompressionType", "S3DownloadMode")
    } == {
        "S3DataDistributionType": "FullyReplicated",
        "S3CompressionType": "None",
        "S3DownloadMode": "StartOfJob",
    }
    assert config["ProcessingOutputConfig"] == {
        "Outputs": job["ProcessingOutputConfig"]["Outputs"],
        "KmsKeyId": None,
    }
    assert config["ProcessingResources"] == {
        "ClusterConfig": {
            "InstanceCount": 1,
            "InstanceType": "ml.m5.large",
            "VolumeSizeInGB": 10,
            "VolumeKmsKeyId": None,
        }
    }
    assert config["StoppingCondition"] == {"MaxRuntimeInSeconds": 120}
