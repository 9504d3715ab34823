"""The user's training code runs as on SageMaker: script mode on framework images, or any entrypoint.

Follows aws/sagemaker-training-toolkit (environment.py Environment.to_env_vars, mapping.py
to_cmd_args, params.py, process.py _create_command, trainer.py / files.py write_failure_file), the
framework containers that use it (aws/sagemaker-xgboost-container and
aws/sagemaker-scikit-learn-container run `sagemaker_program` from `sagemaker_submit_directory`), and
the SageMaker Developer Guide: "How Amazon SageMaker Provides Training Information" (the
/opt/ml/input/config files), "How Amazon SageMaker Processes Training Output" (model.tar.gz,
output.tar.gz, /opt/ml/output/failure) and "Define training metrics" (MetricDefinitions).
"""

from __future__ import annotations

import copy
import io
import json
import tarfile
import textwrap
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.sagemaker_api import (
    ROLE,
    SKLEARN_IMAGE,
    XGBOOST_IMAGE,
    channel,
    unique,
    wait_until_done,
)

# Records what the toolkit gave it, as a user's train.py reads it, then "trains".
RECORDING_SCRIPT = textwrap.dedent(
    """
    import json, os, socket, sys
    from helper import mean_label  # a second module of the source directory

    model_dir = os.environ["SM_MODEL_DIR"]
    config = {
        name: json.load(open(os.path.join("/opt/ml/input/config", name)))
        for name in ("hyperparameters.json", "resourceconfig.json", "inputdataconfig.json")
    }
    record = {
        "argv": sys.argv[1:],
        "env": {k: v for k, v in os.environ.items() if k.startswith("SM_") or k == "TRAINING_JOB_NAME"},
        "config": config,
        "cwd": os.getcwd(),
        "hostname": socket.gethostname(),
    }
    with open(os.path.join(model_dir, "record.json"), "w") as out:
        json.dump(record, out)
    with open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "report.txt"), "w") as out:
        out.write("a report")
    value = mean_label(os.environ["SM_CHANNEL_TRAIN"])
    print(f"epoch=1 validation-mse: {value + 1:.4f}")
    print(f"epoch=2 validation-mse: {value:.4f}")
    """
)
HELPER = textwrap.dedent(
    """
    import glob, os
    def mean_label(folder):
        rows = [line.split(",") for path in glob.glob(os.path.join(folder, "*.csv")) for line in open(path)]
        return sum(float(row[0]) for row in rows) / len(rows)
    """
)

XGBOOST_SCRIPT = textwrap.dedent(
    """
    import argparse, os
    import numpy as np
    import xgboost as xgb

    parser = argparse.ArgumentParser()
    parser.add_argument("--num_round", type=int)
    parser.add_argument("--max_depth", type=int)
    args = parser.parse_args()
    data = np.loadtxt(os.path.join(os.environ["SM_CHANNEL_TRAIN"], "train.csv"), delimiter=",")
    train = xgb.DMatrix(data[:, 1:], label=data[:, 0])
    booster = xgb.train({"max_depth": args.max_depth}, train, num_boost_round=args.num_round)
    booster.save_model(os.path.join(os.environ["SM_MODEL_DIR"], "xgboost-model"))
    print("rounds", booster.num_boosted_rounds())
    """
)


def sourcedir(s3: Any, bucket: str, files: dict[str, str]) -> str:
    """A sourcedir.tar.gz in S3, made as the SageMaker SDK makes it (files at the archive's top)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755
            tar.addfile(info, io.BytesIO(data))
    key = f"{unique('code')}/sourcedir.tar.gz"
    s3.put_object(Bucket=bucket, Key=key, Body=buffer.getvalue())
    return f"s3://{bucket}/{key}"


def script_mode_request(
    dataset: dict[str, Any], image: str, submit_dir: str, program: str, hyperparameters: dict[str, Any]
) -> dict[str, Any]:
    """Hyperparameters JSON-encoded, as the SageMaker SDK's estimators send them."""
    encoded = {k: json.dumps(v) for k, v in hyperparameters.items()}
    encoded.update(
        {"sagemaker_program": json.dumps(program), "sagemaker_submit_directory": json.dumps(submit_dir)}
    )
    return {
        "TrainingJobName": unique("script"),
        "AlgorithmSpecification": {
            "TrainingImage": image,
            "TrainingInputMode": "File",
            "MetricDefinitions": [{"Name": "validation:mse", "Regex": r"validation-mse: ([0-9.]+)"}],
        },
        "RoleArn": ROLE,
        "HyperParameters": encoded,
        "InputDataConfig": [channel("train", dataset["uris"]["train"])],
        "OutputDataConfig": {"S3OutputPath": f"s3://{dataset['bucket']}/{dataset['prefix']}/script"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 300},
    }


def run(sagemaker: Any, request: dict[str, Any]) -> dict[str, Any]:
    sagemaker.create_training_job(**request)
    name = request["TrainingJobName"]
    return wait_until_done(lambda: sagemaker.describe_training_job(TrainingJobName=name), "TrainingJobStatus")


def archive_members(s3: Any, uri: str) -> dict[str, bytes]:
    bucket, key = uri[len("s3://") :].split("/", 1)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


def test_scikit_learn_script_mode_gets_the_toolkit_environment(
    sagemaker: Any, s3: Any, dataset: dict[str, Any]
) -> None:
    submit_dir = sourcedir(s3, dataset["bucket"], {"train.py": RECORDING_SCRIPT, "helper.py": HELPER})
    hyperparameters = {"epochs": 3, "learning-rate": 0.1, "optimizer": "adam", "layers": [4, 2]}
    request = script_mode_request(dataset, SKLEARN_IMAGE, submit_dir, "train.py", hyperparameters)
    job = run(sagemaker, request)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")

    model_uri = job["ModelArtifacts"]["S3ModelArtifacts"]
    assert (
        model_uri
        == f"{request['OutputDataConfig']['S3OutputPath']}/{request['TrainingJobName']}/output/model.tar.gz"
    )
    record = json.loads(archive_members(s3, model_uri)["record.json"])
    # mapping.to_cmd_args: sorted `--name value`, values decoded from JSON then str()-ed; no sagemaker_*.
    assert record["argv"] == [
        "--epochs", "3", "--layers", "[4, 2]", "--learning-rate", "0.1", "--optimizer", "adam"
    ]  # fmt: skip
    env = record["env"]
    assert env["SM_MODEL_DIR"] == "/opt/ml/model"
    assert env["SM_OUTPUT_DATA_DIR"] == "/opt/ml/output/data"
    assert env["SM_CHANNELS"] == '["train"]'
    assert env["SM_CHANNEL_TRAIN"] == "/opt/ml/input/data/train"
    assert env["SM_HP_EPOCHS"] == "3" and env["SM_HP_OPTIMIZER"] == "adam" and env["SM_HP_LAYERS"] == "[4,2]"
    assert json.loads(env["SM_HPS"]) == hyperparameters
    assert env["SM_HOSTS"] == '["algo-1"]' and env["SM_CURRENT_HOST"] == "algo-1"
    assert int(env["SM_NUM_CPUS"]) >= 1 and env["SM_NUM_GPUS"] == "0"
    assert env["SM_USER_ENTRY_POINT"] == "train.py" and env["SM_MODULE_NAME"] == "train"
    assert env["SM_MODULE_DIR"] == submit_dir
    assert json.loads(env["SM_USER_ARGS"]) == record["argv"]
    training_env = json.loads(env["SM_TRAINING_ENV"])
    assert training_env["job_name"] == request["TrainingJobName"] == env["TRAINING_JOB_NAME"]
    assert training_env["hyperparameters"] == hyperparameters
    assert "sagemaker_program" in record["config"]["hyperparameters.json"]  # the request's raw strings
    assert record["config"]["hyperparameters.json"]["epochs"] == "3"
    assert record["config"]["resourceconfig.json"]["hosts"] == ["algo-1"]
    assert record["config"]["inputdataconfig.json"]["train"]["TrainingInputMode"] == "File"
    assert record["cwd"] == "/opt/ml/code" and record["hostname"] == "algo-1"

    output_uri = model_uri.replace("model.tar.gz", "output.tar.gz")
    assert archive_members(s3, output_uri) == {"report.txt": b"a report"}
    [metric] = job["FinalMetricDataList"]
    assert metric["MetricName"] == "validation:mse"
    mean = float(dataset["test_labels"].mean())  # any number: the last match of the regex is kept
    assert 0 < metric["Value"] < 1 and abs(metric["Value"] - mean) < 0.2


def test_xgboost_image_with_sagemaker_program_runs_the_script(
    sagemaker: Any, s3: Any, dataset: dict[str, Any]
) -> None:
    import xgboost

    submit_dir = sourcedir(s3, dataset["bucket"], {"train.py": XGBOOST_SCRIPT})
    request = script_mode_request(
        dataset, XGBOOST_IMAGE, submit_dir, "train.py", {"num_round": 7, "max_depth": 2}
    )
    job = run(sagemaker, request)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    booster = xgboost.Booster()
    booster.load_model(
        bytearray(archive_members(s3, job["ModelArtifacts"]["S3ModelArtifacts"])["xgboost-model"])
    )
    assert booster.num_boosted_rounds() == 7


@pytest.mark.parametrize(
    ("script", "reason_parts"),
    [
        (
            "import sys\nprint('loading data')\nraise ValueError('bad column 7')\n",
            ["AlgorithmError: ExecuteUserScriptError:", "ExitCode 1", "bad column 7", "exit code: 1"],
        ),
        (
            "import sys\nopen('/opt/ml/output/failure', 'w').write('my own reason')\nsys.exit(4)\n",
            ["AlgorithmError: my own reason, exit code: 4"],
        ),
    ],
    ids=["exception", "failure-file"],
)
def test_a_failing_script_fails_the_job_with_its_reason(
    sagemaker: Any, s3: Any, dataset: dict[str, Any], script: str, reason_parts: list[str]
) -> None:
    submit_dir = sourcedir(s3, dataset["bucket"], {"train.py": script})
    job = run(sagemaker, script_mode_request(dataset, SKLEARN_IMAGE, submit_dir, "train.py", {}))
    assert job["TrainingJobStatus"] == "Failed"
    for part in reason_parts:
        assert part in job["FailureReason"]


def test_container_entrypoint_runs_any_program(sagemaker: Any, s3: Any, dataset: dict[str, Any]) -> None:
    request = script_mode_request(dataset, SKLEARN_IMAGE, "", "", {})
    request["HyperParameters"] = {"depth": "3"}
    request["AlgorithmSpecification"]["ContainerEntrypoint"] = ["/bin/sh", "-c"]
    request["AlgorithmSpecification"]["ContainerArguments"] = [
        'wc -l < "$SM_CHANNEL_TRAIN/train.csv" > /opt/ml/model/rows.txt; echo "validation-mse: 0.5"'
    ]
    job = run(sagemaker, request)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert archive_members(s3, job["ModelArtifacts"]["S3ModelArtifacts"])["rows.txt"].strip() == b"800"
    assert job["FinalMetricDataList"][0]["Value"] == 0.5


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"TrainingImage": "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1-cpu-py310"},
            "pytorch-training",
        ),
        ({"ContainerArguments": ["x"]}, "ContainerArguments"),
        ({"MetricDefinitions": [{"Name": "m", "Regex": "(unclosed"}]}, "MetricDefinitions[0].Regex"),
    ],
    ids=["other-framework-image", "arguments-without-entrypoint", "bad-regex"],
)
def test_user_code_requests_the_service_cannot_run_are_refused_by_field(
    sagemaker: Any, dataset: dict[str, Any], change: dict[str, Any], field: str
) -> None:
    request = script_mode_request(dataset, SKLEARN_IMAGE, "s3://b/sourcedir.tar.gz", "train.py", {})
    request["AlgorithmSpecification"].update(change)
    with pytest.raises(ClientError) as caught:
        sagemaker.create_training_job(**request)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert field in caught.value.response["Error"]["Message"]


def test_framework_image_without_a_program_is_refused(sagemaker: Any, dataset: dict[str, Any]) -> None:
    request = script_mode_request(dataset, SKLEARN_IMAGE, "s3://b/sourcedir.tar.gz", "train.py", {})
    request["HyperParameters"] = {"epochs": "3"}
    with pytest.raises(ClientError) as caught:
        sagemaker.create_training_job(**request)
    assert "sagemaker_program" in caught.value.response["Error"]["Message"]


@pytest.mark.parametrize(("isolated", "outcome"), [(True, b"unreachable"), (False, b"reachable")])
def test_training_network_isolation_cuts_the_local_s3(
    sagemaker: Any, s3: Any, dataset: dict[str, Any], isolated: bool, outcome: bytes
) -> None:
    """EnableNetworkIsolation: "the container cannot make any outbound network calls" (CreateTrainingJob)."""
    probe = (  # one line: a ContainerEntrypoint item may not hold a newline
        "import os, socket, urllib.parse as p; u = p.urlsplit(os.environ['AWS_ENDPOINT_URL_S3']); "
        "s = socket.socket(); s.settimeout(3); "
        "r = 'reachable' if s.connect_ex((u.hostname, u.port)) == 0 else 'unreachable'; "
        "open('/opt/ml/model/outcome.txt', 'w').write(r)"
    )
    request = script_mode_request(dataset, SKLEARN_IMAGE, "", "", {})
    request["HyperParameters"] = {}
    request["AlgorithmSpecification"]["ContainerEntrypoint"] = ["python3", "-c", probe]
    request["EnableNetworkIsolation"] = isolated
    job = run(sagemaker, request)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert archive_members(s3, job["ModelArtifacts"]["S3ModelArtifacts"])["outcome.txt"] == outcome


LOSS_SCRIPT = textwrap.dedent(
    """
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("-x", type=float)  # the toolkit passes a one-letter name as -x
    x = parser.parse_args().x
    print(f"loss: {(x - 2) ** 2:.6f}")
    """
)


def test_a_tuning_job_optimises_a_script_mode_objective(
    sagemaker: Any, s3: Any, dataset: dict[str, Any]
) -> None:
    """Tuning user code: "Define metrics" for tuning jobs, the objective read by the job's MetricDefinitions."""
    submit_dir = sourcedir(s3, dataset["bucket"], {"train.py": LOSS_SCRIPT})
    child = script_mode_request(dataset, SKLEARN_IMAGE, submit_dir, "train.py", {})
    spec = child["AlgorithmSpecification"]
    spec["MetricDefinitions"] = [{"Name": "loss", "Regex": r"loss: ([0-9.]+)"}]
    name = unique("tune-script")[:32]
    request = {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobConfig": {
            "Strategy": "Random",
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 2},
            "ParameterRanges": {
                "ContinuousParameterRanges": [
                    {"Name": "x", "MinValue": "0", "MaxValue": "4", "ScalingType": "Linear"}
                ]
            },
            "RandomSeed": 3,
        },
        "TrainingJobDefinition": {
            key: child[key]
            for key in ("AlgorithmSpecification", "RoleArn", "InputDataConfig", "OutputDataConfig")
        }
        | {
            "ResourceConfig": child["ResourceConfig"],
            "StoppingCondition": child["StoppingCondition"],
            "StaticHyperParameters": child["HyperParameters"],
        },
    }
    wrong = copy.deepcopy(request)
    wrong["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"]["MetricName"] = "accuracy"
    wrong["HyperParameterTuningJobName"] = unique("tune-wrong")[:32]
    with pytest.raises(ClientError) as caught:
        sagemaker.create_hyper_parameter_tuning_job(**wrong)
    assert "metric definitions" in caught.value.response["Error"]["Message"]

    sagemaker.create_hyper_parameter_tuning_job(**request)
    tuning = wait_until_done(
        lambda: sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name),
        "HyperParameterTuningJobStatus",
        240,
    )
    summaries = sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)[
        "TrainingJobSummaries"
    ]
    first = sagemaker.describe_training_job(TrainingJobName=summaries[0]["TrainingJobName"])
    assert tuning["HyperParameterTuningJobStatus"] == "Completed", first.get("FailureReason")
    assert len(summaries) == 2
    losses = {}
    for summary in summaries:
        x = float(summary["TunedHyperParameters"]["x"])
        reported = summary["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
        assert reported == pytest.approx((x - 2) ** 2, abs=1e-5)
        losses[summary["TrainingJobName"]] = reported
    assert tuning["BestTrainingJob"]["TrainingJobName"] == min(losses, key=losses.__getitem__)


@pytest.mark.parametrize(
    ("requirement", "completes"), [("ansicolors==1.1.8", True), ("ansicolors==999.0", False)]
)
def test_requirements_txt_is_installed_for_the_script(
    sagemaker: Any, s3: Any, dataset: dict[str, Any], requirement: str, completes: bool
) -> None:
    """sagemaker-training-toolkit modules.install_requirements: requirements.txt before the entry point."""
    script = (
        "import colors, os\nopen(os.environ['SM_MODEL_DIR'] + '/where.txt', 'w').write(colors.__file__)\n"
    )
    submit_dir = sourcedir(
        s3, dataset["bucket"], {"train.py": script, "requirements.txt": requirement + "\n"}
    )
    job = run(sagemaker, script_mode_request(dataset, SKLEARN_IMAGE, submit_dir, "train.py", {}))
    if completes:
        assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
        where = archive_members(s3, job["ModelArtifacts"]["S3ModelArtifacts"])["where.txt"].decode()
        assert "/requirements/" in where  # the per-job layer, not the service's own packages
    else:
        assert job["TrainingJobStatus"] == "Failed"
        assert job["FailureReason"].startswith("AlgorithmError: InstallRequirementsError:")
        assert "ansicolors==999.0" in job["FailureReason"]


STOPPABLE_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys, time

    def save_and_leave(signum, frame):
        open(os.path.join(os.environ["SM_MODEL_DIR"], "partial.txt"), "w").write("saved on SIGTERM")
        sys.exit(0)

    signal.signal(signal.SIGTERM, save_and_leave)
    import boto3  # the job's credentials reach the local S3, as a role's reach S3 on AWS

    bucket, key = sys.argv[sys.argv.index("--marker") + 1].split("/", 1)
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=b"started")
    time.sleep(120)
    """
)


def test_stop_sends_sigterm_and_keeps_the_saved_model(
    sagemaker: Any, s3: Any, dataset: dict[str, Any]
) -> None:
    """StopTrainingJob: "SageMaker sends the algorithm the SIGTERM signal ... to save the model artifacts"."""
    from tests.support.sagemaker_api import wait_for

    submit_dir = sourcedir(s3, dataset["bucket"], {"train.py": STOPPABLE_SCRIPT})
    marker = f"{dataset['prefix']}/markers/{unique('started')}"
    request = script_mode_request(
        dataset, SKLEARN_IMAGE, submit_dir, "train.py", {"marker": f"{dataset['bucket']}/{marker}"}
    )
    name = request["TrainingJobName"]
    sagemaker.create_training_job(**request)
    started = lambda: "Contents" in s3.list_objects_v2(Bucket=dataset["bucket"], Prefix=marker)  # noqa: E731
    wait_for(started, "the training program to install its SIGTERM handler", 120)
    sagemaker.stop_training_job(TrainingJobName=name)
    job = wait_until_done(lambda: sagemaker.describe_training_job(TrainingJobName=name), "TrainingJobStatus")
    assert job["TrainingJobStatus"] == "Stopped"
    members = archive_members(s3, job["ModelArtifacts"]["S3ModelArtifacts"])
    assert members["partial.txt"] == b"saved on SIGTERM"
