"""URL building for the SageMaker extra links: endpoint and region resolution, console and local pages."""

from __future__ import annotations

import pytest

from retraining import links
from retraining.links import Target

LOCAL = "http://127.0.0.1:7070"


@pytest.mark.parametrize(
    ("extra", "env", "expected"),
    [
        ({"service_config": {"sagemaker": {"endpoint_url": LOCAL}}, "endpoint_url": "http://x:1"}, {}, LOCAL),
        ({"endpoint_url": "http://moto:5000"}, {"AWS_ENDPOINT_URL_SAGEMAKER": LOCAL}, "http://moto:5000"),
        (
            {"service_config": {"s3": {"endpoint_url": "http://s3:1"}}},
            {"AWS_ENDPOINT_URL_SAGEMAKER": LOCAL},
            LOCAL,
        ),
        ({}, {"AWS_ENDPOINT_URL": "http://all:9"}, "http://all:9"),
        ({}, {}, None),
        ({"service_config": "not a mapping"}, {}, None),
    ],
)
def test_sagemaker_endpoint_follows_boto3_precedence(
    extra: dict[str, object], env: dict[str, str], expected: str | None
) -> None:
    assert links.sagemaker_endpoint(extra, env) == expected


def test_region_from_connection_then_environment() -> None:
    assert links.region_of({"region_name": "eu-west-1"}, {"AWS_DEFAULT_REGION": "us-west-2"}) == "eu-west-1"
    assert links.region_of({}, {"AWS_DEFAULT_REGION": "us-west-2"}) == "us-west-2"
    assert links.region_of({}, {"AWS_REGION": "ap-south-1"}) == "ap-south-1"
    assert links.region_of({}, {}) == links.DEFAULT_REGION


@pytest.mark.parametrize(
    ("url", "aws"),
    [
        (None, True),
        ("https://api.sagemaker.eu-west-1.amazonaws.com", True),
        ("https://api.sagemaker.cn-north-1.amazonaws.com.cn", True),
        ("https://sagemaker.us-east-1.api.aws", True),
        (LOCAL, False),
        ("http://local-sagemaker:7070", False),
        ("http://amazonaws.com.evil.example", False),
    ],
)
def test_aws_endpoints_are_recognised_by_host(url: str | None, aws: bool) -> None:
    assert links.is_aws_endpoint(url) is aws


@pytest.mark.parametrize(
    ("kind", "name", "fragment"),
    [
        ("training-job", "nightly-train-20240101", "jobs/nightly-train-20240101"),
        ("processing-job", "seed-1", "processing-jobs/seed-1"),
        ("transform-job", "score-1", "transform-jobs/score-1"),
        ("hyper-parameter-tuning-job", "tune-1", "hyper-tuning-jobs/tune-1"),
        ("model", "model-1", "models/model-1"),
        ("model-package", "nightly-retrain/3", "model-packages/nightly-retrain/3"),
    ],
)
def test_console_urls(kind: str, name: str, fragment: str) -> None:
    target = Target(region="eu-west-1", endpoint_url=None)
    assert links.resource_url(kind, name, target) == (
        f"https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1#/{fragment}"
    )


def test_console_of_other_partitions() -> None:
    assert links.console_url("training-job", "j", "cn-north-1").startswith(
        "https://console.amazonaws.cn/sagemaker/home?region=cn-north-1#/jobs/j"
    )
    assert links.console_url("training-job", "j", "us-gov-west-1").startswith(
        "https://console.amazonaws-us-gov.com/sagemaker/home?region=us-gov-west-1#/"
    )


def test_an_explicit_aws_endpoint_still_links_to_the_console() -> None:
    target = Target(region="us-east-1", endpoint_url="https://api.sagemaker.us-east-1.amazonaws.com")
    assert links.resource_url("training-job", "j", target).startswith(
        "https://us-east-1.console.aws.amazon.com/"
    )


@pytest.mark.parametrize(
    ("kind", "name", "path"),
    [
        ("training-job", "train-1", "/jobs/training-job/train-1"),
        ("processing-job", "seed-1", "/jobs/processing-job/seed-1"),
        ("transform-job", "score-1", "/jobs/transform-job/score-1"),
        ("hyper-parameter-tuning-job", "tune-1", "/jobs/hyper-parameter-tuning-job/tune-1"),
        ("model", "model-1", "/models/model-1"),
        ("model-package", "nightly-retrain/3", "/model-package-groups/nightly-retrain#version-3"),
        ("model-package", "nightly-retrain", "/model-package-groups/nightly-retrain"),
    ],
)
def test_local_pages(kind: str, name: str, path: str) -> None:
    target = Target(region="us-east-1", endpoint_url=LOCAL + "/")
    assert links.resource_url(kind, name, target) == LOCAL + path


def test_names_are_quoted_in_urls() -> None:
    assert links.local_url(LOCAL, "training-job", "a b/../c") == f"{LOCAL}/jobs/training-job/a%20b%2F..%2Fc"
    assert "#/jobs/a%3Cb%3E" in links.console_url("training-job", "a<b>", "us-east-1")


def test_unknown_kinds_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown resource kind"):
        links.resource_url("endpoint", "x", Target("us-east-1", None))


def test_target_of_a_local_stack_connection() -> None:
    extra = {"region_name": "us-east-1", "service_config": {"sagemaker": {"endpoint_url": LOCAL}}}
    target = links.target_of(extra, {})
    assert target == Target("us-east-1", LOCAL)
    assert not target.is_aws


@pytest.mark.parametrize(
    ("template", "task"),
    [
        ("{{ ti.xcom_pull(task_ids='train', key='job_name') }}", "train"),
        ('{{ ti.xcom_pull(key="job_name", task_ids="seed_partition") }}', "seed_partition"),
        ("{{ ti.xcom_pull(task_ids='train', key='return_value') }}", None),
        ("{{ ti.xcom_pull(task_ids='train') }}", None),
        ("train-{{ ds_nodash }}", None),
    ],
)
def test_upstream_job_task_of_a_sensor_template(template: str, task: str | None) -> None:
    assert links.upstream_job_task(template) == task


def test_upstream_of_the_dag_defaults_template() -> None:
    from retraining.dag_defaults import job_name_of

    assert links.upstream_job_task(job_name_of("score")) == "score"


def test_literal_names() -> None:
    assert links.literal_name("train-1") == "train-1"
    assert links.literal_name("{{ ti.xcom_pull() }}") is None
    assert links.literal_name("") is None
    assert links.literal_name(None) is None


def test_names_from_operator_results() -> None:
    assert links.name_from_result("model", {"Model": {"ModelName": "m-1", "ModelArn": "arn"}}) == "m-1"
    assert links.name_from_result("model", {"Model": {}}) is None
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/nightly-retrain/4"
    assert links.name_from_result("model-package", arn) == "nightly-retrain/4"
    assert links.name_from_result("training-job", "train-1") == "train-1"
    assert links.name_from_result("training-job", None) is None


def test_a_separate_pages_url_is_used_for_local_links_only() -> None:
    env = {links.PAGES_URL_ENV: "http://127.0.0.1:7171"}
    local = links.target_of(
        {"service_config": {"sagemaker": {"endpoint_url": "http://local-sagemaker:7070"}}}, env
    )
    assert links.resource_url("training-job", "t", local) == "http://127.0.0.1:7171/jobs/training-job/t"
    aws = links.target_of({"region_name": "eu-west-1"}, env)
    assert links.resource_url("training-job", "t", aws).startswith(
        "https://eu-west-1.console.aws.amazon.com/"
    )
