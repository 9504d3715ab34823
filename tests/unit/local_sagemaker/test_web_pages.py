"""The local service's read-only pages: the job list, a job page, models and model package groups."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.support.sagemaker_api import ROLE, XGBOOST_IMAGE, channel, put_model_data, unique, wait_training

EVIL = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, answer.headers.get("content-type", ""), answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("content-type", ""), error.read().decode()


@pytest.fixture(scope="module")
def trained(sagemaker: Any, dataset: dict[str, Any]) -> dict[str, Any]:
    """One small training job, shared by the tests of this module."""
    name = unique("web-train")
    sagemaker.create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"},
        RoleArn=ROLE,
        InputDataConfig=[
            channel("train", dataset["uris"]["train"]),
            channel("validation", dataset["uris"]["validation"]),
        ],
        OutputDataConfig={"S3OutputPath": f"s3://{dataset['bucket']}/{dataset['prefix']}/models"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
        HyperParameters={"objective": "reg:logistic", "eval_metric": "rmse", "num_round": "5"},
    )
    return wait_training(sagemaker, name)


def test_job_list_shows_status_duration_metrics_and_artifact(
    local_stack: Any, trained: dict[str, Any]
) -> None:
    name = trained["TrainingJobName"]
    status, content_type, page = get(f"{local_stack.sagemaker_url}/")
    assert status == 200 and content_type.startswith("text/html")
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", page, re.S) if name in r)
    assert f'href="/jobs/training-job/{name}"' in row
    assert "Completed" in row and "validation:rmse = " in row
    assert re.search(r"<td>\d+ s</td>|<td>\d+ min \d+ s</td>", row)
    assert trained["ModelArtifacts"]["S3ModelArtifacts"] in row


def test_job_page_has_description_metrics_log_tail_and_artifacts(
    local_stack: Any, trained: dict[str, Any]
) -> None:
    name = trained["TrainingJobName"]
    status, _, page = get(f"{local_stack.sagemaker_url}/jobs/training-job/{name}")
    assert status == 200
    assert f"<title>TrainingJob {name}</title>" in page
    metrics = {m["MetricName"]: m["Value"] for m in trained["FinalMetricDataList"]}
    for metric, value in metrics.items():
        assert f"<td>{metric}</td><td>{value:.6g}</td>" in page
    assert trained["ModelArtifacts"]["S3ModelArtifacts"] in page
    log = page.split("<h2>Log", 1)[1].split("<h2>Description", 1)[0]
    assert "Uploaded model artifacts to" in log and "job.log" in log
    description = page.split("<h2>Description</h2>", 1)[1]
    for field in ("AlgorithmSpecification", "HyperParameters", "SecondaryStatusTransitions", "RoleArn"):
        assert f"<td>{field}</td>" in description
    assert 'http-equiv="refresh"' not in page  # finished jobs do not reload


def test_unknown_pages_are_404_and_the_pages_are_read_only(local_stack: Any) -> None:
    base = local_stack.sagemaker_url
    for path in (
        "/jobs/training-job/no-such-job",
        "/jobs/endpoint/x",
        "/models/nope",
        "/model-package-groups/no",
    ):
        status, content_type, page = get(base + path)
        assert status == 404 and content_type.startswith("text/html"), path
        assert "is not known to this service" in page
    request = urllib.request.Request(f"{base}/jobs/training-job/x", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 405


def test_model_and_registry_pages_escape_values_and_mask_environment(
    local_stack: Any, sagemaker: Any, s3: Any, model_data_url: str
) -> None:
    model = unique("web-model")
    hostile_url = put_model_data(s3, f"s3://{local_stack.bucket}/{EVIL}/model.tar.gz")
    sagemaker.create_model(
        ModelName=model,
        PrimaryContainer={
            "Image": XGBOOST_IMAGE,
            "ModelDataUrl": hostile_url,
            "Environment": {"TOKEN": "hunter2"},
        },
        ExecutionRoleArn=ROLE,
    )
    group = unique("web-group")
    sagemaker.create_model_package_group(ModelPackageGroupName=group)
    sagemaker.create_model_package(
        ModelPackageGroupName=group,
        ModelPackageDescription=EVIL,
        InferenceSpecification={
            "Containers": [{"Image": XGBOOST_IMAGE, "ModelDataUrl": model_data_url}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ModelApprovalStatus="Approved",
        CustomerMetadataProperties={"mse": "0.0123", "note": EVIL},
    )
    base = local_stack.sagemaker_url
    for path in ("/", f"/models/{model}", f"/model-package-groups/{group}"):
        status, _, page = get(base + path)
        assert status == 200, path
        assert "<script" not in page.lower(), path
    _, _, index = get(base + "/")
    assert ESCAPED in index and f'href="/model-package-groups/{group}"' in index
    _, _, model_page = get(f"{base}/models/{model}")
    assert "&lt;script&gt;alert(" in model_page  # inside the container's JSON
    assert "hunter2" not in model_page and "TOKEN" in model_page
    _, _, group_page = get(f"{base}/model-package-groups/{group}")
    assert 'id="version-1"' in group_page and "mse = 0.0123" in group_page and ESCAPED in group_page


def test_job_page_escapes_every_stored_value_and_masks_environment(tmp_path: Path) -> None:
    """Offline, through the store: a job whose description carries markup in every free-text place."""
    from local_sagemaker import web
    from local_sagemaker.config import ServiceSettings
    from local_sagemaker.jobs import PROCESSING
    from local_sagemaker.operations.context import ServiceContext
    from local_sagemaker.store import Store
    from local_sagemaker.supervisor import job_dir

    settings = ServiceSettings(
        state_dir=tmp_path, s3_endpoint_url="http://127.0.0.1:9", logs_endpoint_url="http://127.0.0.1:9"
    )
    ctx = ServiceContext(settings=settings, store=Store(tmp_path / "state.db"), supervisor=None)  # type: ignore[arg-type]
    name = "proc-1"
    body = {
        "ProcessingJobName": name,
        "ProcessingJobStatus": "Failed",
        "FailureReason": f"AlgorithmError: {EVIL}",
        "CreationTime": 1_700_000_000.0,
        "ProcessingStartTime": 1_700_000_001.0,
        "ProcessingEndTime": 1_700_000_065.0,
        "Environment": {"API_KEY": "hunter2", EVIL: "x"},
        "AppSpecification": {"ImageUri": XGBOOST_IMAGE, "ContainerArguments": [EVIL]},
        "ProcessingOutputConfig": {
            "Outputs": [{"OutputName": EVIL, "S3Output": {"S3Uri": f"s3://b/{EVIL}"}}]
        },
    }
    ctx.store.create(PROCESSING.kind, name, "arn:proc-1", body)
    log = job_dir(tmp_path, PROCESSING, name) / "job.log"
    log.parent.mkdir(parents=True)
    log.write_text("".join(f"line {i}\n" for i in range(500)) + f"Traceback: {EVIL}\n")

    page = web.job_page(ctx, PROCESSING, name)
    assert page is not None
    assert "<script" not in page.lower()
    assert page.count(ESCAPED) >= 5  # failure reason, argument, output name and URI, env key, log line
    assert "hunter2" not in page and "******" in page
    assert "1 min 4 s" in page
    assert "line 499" in page and "line 299\n" not in page  # only the last 200 lines, in order
    index = web.index_page(ctx)
    assert "<script" not in index.lower() and ESCAPED in index and "Failed" in index
