"""Training with ResourceConfig.InstanceCount > 1: hosts algo-1 ... algo-N, sharded or replicated channels.

Follows the SageMaker API reference (S3DataSource.S3DataDistributionType: ShardedByS3Key gives each of n
instances about 1/n of the objects, some none when there are fewer objects than instances), the
Developer Guide ("How Amazon SageMaker Provides Training Information": resourceconfig.json with
current_host and hosts; "How Amazon SageMaker Processes Training Output": every host's /opt/ml/model
aggregated into one model.tar.gz; CloudWatch streams `<job>/algo-<i>-<timestamp>`), the SageMaker
training toolkit (SM_HOSTS, SM_CURRENT_HOST) and aws/sagemaker-xgboost-container (distributed.py: a
RabitTracker on the master, hosts without data sit out; algorithm_mode/train.py: only the master saves
the model).
"""

from __future__ import annotations

import json
import textwrap
import time
from typing import Any

import numpy as np
import pytest
from botocore.exceptions import ClientError

from tests.support.sagemaker_api import (
    ROLE,
    SKLEARN_IMAGE,
    XGBOOST_IMAGE,
    csv_bytes,
    unique,
    wait_for,
    wait_until_done,
)
from tests.unit.local_sagemaker.test_script_mode import archive_members, sourcedir

GROUP = "/aws/sagemaker/TrainingJobs"


def sharded_channel(name: str, uri: str, distribution: str) -> dict[str, Any]:
    return {
        "ChannelName": name,
        "ContentType": "text/csv",
        "DataSource": {
            "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri, "S3DataDistributionType": distribution}
        },
    }


@pytest.fixture(scope="module")
def split_dataset(local_stack: Any, s3: Any) -> dict[str, Any]:
    """Train and validation each as two CSV objects (label first), for two shards."""
    rng = np.random.default_rng(11)
    features = rng.normal(size=(1000, 4))
    label = 1 / (1 + np.exp(-(1.5 * features[:, 0] - features[:, 1] + 0.5 * features[:, 2] ** 2)))
    rows = np.column_stack([label, features])
    prefix = unique("dist")
    parts = {
        "train": (rows[:400], rows[400:800]),
        "validation": (rows[800:900], rows[900:]),
    }
    for channel, halves in parts.items():
        for index, half in enumerate(halves):
            s3.put_object(
                Bucket=local_stack.bucket, Key=f"{prefix}/{channel}/part-{index}.csv", Body=csv_bytes(half)
            )
    return {
        "bucket": local_stack.bucket,
        "prefix": prefix,
        "uris": {channel: f"s3://{local_stack.bucket}/{prefix}/{channel}/" for channel in parts},
        "validation": rows[800:],
    }


def request_for(
    data: dict[str, Any], image: str, hosts: int, distribution: str, **extra: Any
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "TrainingJobName": unique("dist"),
        "AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File"},
        "RoleArn": ROLE,
        "InputDataConfig": [
            sharded_channel(channel, data["uris"][channel], distribution)
            for channel in ("train", "validation")
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{data['bucket']}/{data['prefix']}/out"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": hosts, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 300},
    }
    request.update(extra)
    return request


def wait(sagemaker: Any, name: str, timeout: float = 120) -> dict[str, Any]:
    return wait_until_done(
        lambda: sagemaker.describe_training_job(TrainingJobName=name), "TrainingJobStatus", timeout
    )


def host_logs(logs: Any, job_name: str) -> dict[str, str]:
    """host -> its CloudWatch stream's text, from streams named `<job>/<host>-<timestamp>`."""
    streams = logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix=f"{job_name}/")["logStreams"]
    texts = {}
    for stream in streams:
        host = stream["logStreamName"].split("/", 1)[1].rsplit("-", 1)[0]
        events = logs.get_log_events(
            logGroupName=GROUP, logStreamName=stream["logStreamName"], startFromHead=True
        )["events"]
        texts[host] = "\n".join(event["message"] for event in events)
    return texts


def booster_of(s3: Any, uri: str) -> Any:
    import xgboost

    members = archive_members(s3, uri)
    assert list(members) == ["xgboost-model"]  # the master's model only
    booster = xgboost.Booster()
    booster.load_model(bytearray(members["xgboost-model"]))
    return booster


def test_sharded_hosts_train_one_xgboost_model_like_one_host_on_all_data(
    sagemaker: Any, s3: Any, logs: Any, split_dataset: dict[str, Any]
) -> None:
    """3 hosts, 2 objects per channel sharded: algo-3 gets none and sits out, algo-1 and algo-2 train one
    model over xgboost's collective. It matches one host on all the data: same validation:rmse within
    1e-3, same predictions within 1e-3 (histogram sketches merged across hosts may move a split)."""
    import xgboost

    hyperparameters = {
        "objective": "reg:logistic",
        "eval_metric": "rmse",
        "num_round": "12",
        "max_depth": "3",
    }
    sharded = request_for(split_dataset, XGBOOST_IMAGE, 3, "ShardedByS3Key", HyperParameters=hyperparameters)
    single = request_for(split_dataset, XGBOOST_IMAGE, 1, "FullyReplicated", HyperParameters=hyperparameters)
    sagemaker.create_training_job(**sharded)
    sagemaker.create_training_job(**single)
    sharded_job = wait(sagemaker, sharded["TrainingJobName"])
    single_job = wait(sagemaker, single["TrainingJobName"])
    assert sharded_job["TrainingJobStatus"] == "Completed", sharded_job.get("FailureReason")
    assert single_job["TrainingJobStatus"] == "Completed", single_job.get("FailureReason")

    metrics = {m["MetricName"]: m["Value"] for m in sharded_job["FinalMetricDataList"]}
    expected = {m["MetricName"]: m["Value"] for m in single_job["FinalMetricDataList"]}
    assert set(metrics) == {"train:rmse", "validation:rmse"}
    assert metrics["validation:rmse"] == pytest.approx(expected["validation:rmse"], abs=1e-3)

    distributed = booster_of(s3, sharded_job["ModelArtifacts"]["S3ModelArtifacts"])
    alone = booster_of(s3, single_job["ModelArtifacts"]["S3ModelArtifacts"])
    assert distributed.num_boosted_rounds() == 12
    features = xgboost.DMatrix(split_dataset["validation"][:, 1:])
    assert np.abs(distributed.predict(features) - alone.predict(features)).max() < 1e-3

    texts = host_logs(logs, sharded["TrainingJobName"])
    assert set(texts) == {"algo-1", "algo-2", "algo-3"}
    assert "Distributed node training with 2 hosts: ['algo-1', 'algo-2']" in texts["algo-1"]
    assert "Downloaded 1 file(s) for channel train (ShardedByS3Key)" in texts["algo-2"]
    assert "Downloaded 0 file(s) for channel train (ShardedByS3Key)" in texts["algo-3"]
    assert "Host algo-3 does not have training data" in texts["algo-3"]
    assert "[11]#011train-rmse:" in texts["algo-1"]  # only the master prints the rounds, as the container


# Each host records what it was given, then algo-2 greets algo-1 by name over TCP.
HOSTS_SCRIPT = textwrap.dedent(
    """
    import json, os, socket, sys, time

    host = os.environ["SM_CURRENT_HOST"]
    hosts = json.loads(os.environ["SM_HOSTS"])
    resource_config = json.load(open("/opt/ml/input/config/resourceconfig.json"))
    record = {
        "sm_hosts": hosts,
        "sm_current_host": host,
        "resourceconfig": resource_config,
        "hostname": socket.gethostname(),
        "addresses": {name: socket.gethostbyname(name) for name in hosts},
        "train_files": sorted(os.listdir(os.environ["SM_CHANNEL_TRAIN"])),
        "validation_files": sorted(os.listdir(os.environ["SM_CHANNEL_VALIDATION"])),
    }
    model_dir = os.environ["SM_MODEL_DIR"]
    json.dump(record, open(os.path.join(model_dir, f"record-{host}.json"), "w"))
    port = 7311
    if host == hosts[0]:
        server = socket.create_server((socket.gethostbyname(host), port))
        server.settimeout(60)
        connection, _ = server.accept()
        greeting = connection.recv(100).decode()
        open(os.path.join(model_dir, "greeting.txt"), "w").write(greeting)
    else:
        deadline = time.time() + 60
        while True:
            try:
                with socket.create_connection((hosts[0], port), timeout=5) as connection:
                    connection.sendall(f"hello from {host}".encode())
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
    print(f"validation-mse: {0.25 if host == hosts[0] else 0.75}")
    """
)


def test_script_mode_hosts_see_each_other_by_name(
    sagemaker: Any, s3: Any, logs: Any, split_dataset: dict[str, Any]
) -> None:
    """Two script-mode hosts: each its own SM_CURRENT_HOST, hostname and resourceconfig.json, train
    sharded (one object each), validation replicated; algo-2 reaches algo-1 by name; the model archive
    holds both hosts' files; metric definitions read the master's log."""
    submit_dir = sourcedir(s3, split_dataset["bucket"], {"train.py": HOSTS_SCRIPT})
    request = request_for(
        split_dataset,
        SKLEARN_IMAGE,
        2,
        "FullyReplicated",
        HyperParameters={
            "sagemaker_program": '"train.py"',
            "sagemaker_submit_directory": json.dumps(submit_dir),
        },
    )
    request["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3DataDistributionType"] = "ShardedByS3Key"
    request["AlgorithmSpecification"]["MetricDefinitions"] = [
        {"Name": "validation:mse", "Regex": r"validation-mse: ([0-9.]+)"}
    ]
    sagemaker.create_training_job(**request)
    job = wait(sagemaker, request["TrainingJobName"])
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")

    members = archive_members(s3, job["ModelArtifacts"]["S3ModelArtifacts"])
    assert sorted(members) == ["greeting.txt", "record-algo-1.json", "record-algo-2.json"]
    assert members["greeting.txt"] == b"hello from algo-2"
    records = {host: json.loads(members[f"record-{host}.json"]) for host in ("algo-1", "algo-2")}
    for index, (host, record) in enumerate(records.items()):
        assert record["sm_hosts"] == ["algo-1", "algo-2"] and record["sm_current_host"] == host
        assert record["hostname"] == host
        assert record["resourceconfig"]["current_host"] == host
        assert record["resourceconfig"]["hosts"] == ["algo-1", "algo-2"]
        assert record["train_files"] == [f"part-{index}.csv"]  # sharded by key
        assert record["validation_files"] == ["part-0.csv", "part-1.csv"]  # replicated
    addresses = records["algo-2"]["addresses"]
    assert addresses == records["algo-1"]["addresses"] and addresses["algo-1"] != addresses["algo-2"]
    assert [m["Value"] for m in job["FinalMetricDataList"]] == [0.25]

    texts = host_logs(logs, request["TrainingJobName"])
    assert set(texts) == {"algo-1", "algo-2"}
    assert "Invoking user program" in texts["algo-2"]


FAILING_HOST_SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    if os.environ["SM_CURRENT_HOST"] == "algo-2":
        time.sleep(1)
        sys.exit("algo-2 ran out of luck")
    time.sleep(120)  # the master would wait for its peer for ever
    """
)


def test_a_failing_host_fails_the_job_and_ends_the_others(
    sagemaker: Any, s3: Any, split_dataset: dict[str, Any]
) -> None:
    """SageMaker fails a multi-instance job when one instance fails, and names why; the other host's
    program (sleeping two minutes here) is ended at once, not waited for."""
    submit_dir = sourcedir(s3, split_dataset["bucket"], {"train.py": FAILING_HOST_SCRIPT})
    request = request_for(
        split_dataset,
        SKLEARN_IMAGE,
        2,
        "FullyReplicated",
        HyperParameters={
            "sagemaker_program": '"train.py"',
            "sagemaker_submit_directory": json.dumps(submit_dir),
        },
    )
    started = time.monotonic()
    sagemaker.create_training_job(**request)
    job = wait(sagemaker, request["TrainingJobName"], timeout=60)
    assert time.monotonic() - started < 60
    assert job["TrainingJobStatus"] == "Failed"
    reason = job["FailureReason"]
    assert reason.startswith("AlgorithmError: ") and "algo-2 ran out of luck" in reason
    assert "(on host algo-2 of algo-1, algo-2)" in reason


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 17, "VolumeSizeInGB": 10}},
            "ResourceConfig.InstanceCount",
        ),
        ({"EnableNetworkIsolation": True}, "EnableNetworkIsolation"),
    ],
    ids=["too-many-hosts", "network-isolation"],
)
def test_what_several_local_hosts_cannot_do_is_refused_naming_the_field(
    sagemaker: Any, split_dataset: dict[str, Any], change: dict[str, Any], field: str
) -> None:
    request = request_for(
        split_dataset,
        SKLEARN_IMAGE,
        2,
        "FullyReplicated",
        HyperParameters={
            "sagemaker_program": '"train.py"',
            "sagemaker_submit_directory": '"s3://b/s.tar.gz"',
        },
    )
    request.update(change)
    with pytest.raises(ClientError) as refused:
        sagemaker.create_training_job(**request)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert refused.value.response["Error"]["Message"].startswith(field)


def test_stop_ends_every_host_in_the_same_round(
    sagemaker: Any, s3: Any, logs: Any, split_dataset: dict[str, Any]
) -> None:
    """StopTrainingJob on a two-host XGBoost job: both hosts agree on the round to stop after (or one
    would wait for the other for ever), the job ends Stopped, and the master's model so far is kept."""
    request = request_for(
        split_dataset,
        XGBOOST_IMAGE,
        2,
        "ShardedByS3Key",
        HyperParameters={"objective": "reg:logistic", "num_round": "100000", "max_depth": "2"},
    )
    name = request["TrainingJobName"]
    sagemaker.create_training_job(**request)

    def rounds_printed() -> bool:
        try:
            return "[5]#011" in host_logs(logs, name).get("algo-1", "")
        except logs.exceptions.ResourceNotFoundException:  # no job has written a log yet
            return False

    wait_for(rounds_printed, "the master to print round 5", timeout_seconds=60)
    sagemaker.stop_training_job(TrainingJobName=name)
    job = wait(sagemaker, name, timeout=60)
    assert job["TrainingJobStatus"] == "Stopped"
    rounds = booster_of(s3, job["ModelArtifacts"]["S3ModelArtifacts"]).num_boosted_rounds()
    assert 5 < rounds < 100000
    texts = host_logs(logs, name)
    for host in ("algo-1", "algo-2"):
        assert f"Stop requested: training ends after round {rounds - 1}" in texts[host]


def test_the_master_checkpoints_and_every_host_resumes_from_them(
    sagemaker: Any, s3: Any, logs: Any, split_dataset: dict[str, Any]
) -> None:
    """CheckpointConfig with two hosts: the master writes xgboost-checkpoint.<round> (checkpointing.py
    saves on rank 0 only), and a later job on the same S3Uri restores them on every host, each resuming
    from the same round, and ends with the requested rounds ("Checkpoints in Amazon SageMaker")."""
    checkpoints = f"s3://{split_dataset['bucket']}/{split_dataset['prefix']}/{unique('ckpt')}"

    def job(rounds: int) -> dict[str, Any]:
        request = request_for(
            split_dataset,
            XGBOOST_IMAGE,
            2,
            "ShardedByS3Key",
            HyperParameters={"objective": "reg:logistic", "num_round": str(rounds), "max_depth": "2"},
            CheckpointConfig={"S3Uri": checkpoints},
        )
        sagemaker.create_training_job(**request)
        return wait(sagemaker, request["TrainingJobName"])

    first = job(4)
    assert first["TrainingJobStatus"] == "Completed", first.get("FailureReason")
    bucket, prefix = checkpoints[len("s3://") :].split("/", 1)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix + "/")["Contents"]]
    assert sorted(key.rsplit("/", 1)[1] for key in keys) == [f"xgboost-checkpoint.{i}" for i in range(4)]

    second = job(7)
    assert second["TrainingJobStatus"] == "Completed", second.get("FailureReason")
    assert booster_of(s3, second["ModelArtifacts"]["S3ModelArtifacts"]).num_boosted_rounds() == 7
    texts = host_logs(logs, second["TrainingJobName"])
    for host in ("algo-1", "algo-2"):
        assert "Resuming from iteration 4" in texts[host]


PROCESSING_SCRIPT = textwrap.dedent(
    """
    import json, os, socket
    config = json.load(open("/opt/ml/config/resourceconfig.json"))
    host = config["current_host"]
    record = {
        "config": config,
        "hostname": socket.gethostname(),
        "train": sorted(os.listdir("/opt/ml/processing/input/train")),
        "peer": socket.gethostbyname([h for h in config["hosts"] if h != host][0]),
    }
    json.dump(record, open(f"/opt/ml/processing/output/{host}.json", "w"))
    """
)


def test_processing_runs_on_every_host_with_its_share_of_the_inputs(
    sagemaker: Any, s3: Any, split_dataset: dict[str, Any]
) -> None:
    """ClusterConfig.InstanceCount 2 ("How Amazon SageMaker Processing Runs Your Processing Container
    Image": the job completes when every container exits 0): each host runs the entrypoint with its name in
    /opt/ml/config/resourceconfig.json ("How Amazon SageMaker Processing Provides Configuration
    Information"), its ShardedByS3Key share of one input and all of the replicated code input; the output
    folders of both hosts reach the output's S3Uri."""
    bucket, prefix = split_dataset["bucket"], split_dataset["prefix"]
    name = unique("dist-process")
    code_key = f"{prefix}/{name}/code/process.py"
    s3.put_object(Bucket=bucket, Key=code_key, Body=PROCESSING_SCRIPT.encode())

    def processing_input(input_name: str, uri: str, local: str, distribution: str) -> dict[str, Any]:
        return {
            "InputName": input_name,
            "S3Input": {
                "S3Uri": uri,
                "LocalPath": local,
                "S3DataType": "S3Prefix",
                "S3InputMode": "File",
                "S3DataDistributionType": distribution,
            },
        }

    output_uri = f"s3://{bucket}/{prefix}/{name}/out"
    sagemaker.create_processing_job(
        ProcessingJobName=name,
        RoleArn=ROLE,
        AppSpecification={
            "ImageUri": SKLEARN_IMAGE,
            "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/process.py"],
        },
        ProcessingInputs=[
            processing_input(
                "code", f"s3://{bucket}/{code_key}", "/opt/ml/processing/input/code", "FullyReplicated"
            ),
            processing_input(
                "train", split_dataset["uris"]["train"], "/opt/ml/processing/input/train", "ShardedByS3Key"
            ),
        ],
        ProcessingOutputConfig={
            "Outputs": [
                {
                    "OutputName": "records",
                    "S3Output": {
                        "S3Uri": output_uri,
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
        ProcessingResources={
            "ClusterConfig": {"InstanceCount": 2, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 10}
        },
        StoppingCondition={"MaxRuntimeInSeconds": 300},
    )
    job = wait_until_done(
        lambda: sagemaker.describe_processing_job(ProcessingJobName=name), "ProcessingJobStatus"
    )
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    records = {
        host: json.loads(s3.get_object(Bucket=bucket, Key=f"{prefix}/{name}/out/{host}.json")["Body"].read())
        for host in ("algo-1", "algo-2")
    }
    for index, (host, record) in enumerate(records.items()):
        assert record["config"] == {"current_host": host, "hosts": ["algo-1", "algo-2"]}
        assert record["hostname"] == host
        assert record["train"] == [f"part-{index}.csv"]
    assert records["algo-1"]["peer"] != records["algo-2"]["peer"]  # each resolves the other's own address
