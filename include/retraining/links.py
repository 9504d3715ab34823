"""Where a SageMaker resource can be looked at: the AWS console, or the local service's own pages.

Pure URL building for the Airflow extra links (no Airflow, no network): which SageMaker endpoint a
connection uses, whether that is AWS, and the page for a job, model or model package on either side."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

DEFAULT_REGION = "us-east-1"
# Where a browser reaches the local service's pages when that is not the endpoint the tasks use (compose:
# tasks call http://local-sagemaker:7070, the browser on the host opens http://127.0.0.1:7070).
PAGES_URL_ENV = "RETRAINING_SAGEMAKER_PAGES_URL"


@dataclass(frozen=True)
class ResourceKind:
    kind: str  # the local service's kind, as in its ARNs: training-job, model, ...
    console_fragment: str  # the console's route: .../sagemaker/home?region=R#/<fragment>/<name>
    label: str


TRAINING = ResourceKind("training-job", "jobs", "training job")
PROCESSING = ResourceKind("processing-job", "processing-jobs", "processing job")
TRANSFORM = ResourceKind("transform-job", "transform-jobs", "transform job")
TUNING = ResourceKind("hyper-parameter-tuning-job", "hyper-tuning-jobs", "tuning job")
MODEL = ResourceKind("model", "models", "model")
MODEL_PACKAGE = ResourceKind("model-package", "model-packages", "model package")
# Named `<pipeline>/<execution id>`; SageMaker shows executions in Studio, which the console's route opens.
PIPELINE_EXECUTION = ResourceKind("pipeline-execution", "pipelines", "pipeline execution")

KINDS: dict[str, ResourceKind] = {
    k.kind: k for k in (TRAINING, PROCESSING, TRANSFORM, TUNING, MODEL, MODEL_PACKAGE, PIPELINE_EXECUTION)
}
JOB_KINDS = frozenset({TRAINING.kind, PROCESSING.kind, TRANSFORM.kind, TUNING.kind})

# Hosts that are AWS itself: a connection pointing there gets console links, anything else is local.
_AWS_HOST_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws")


@dataclass(frozen=True)
class Target:
    """Where SageMaker calls go for one connection."""

    region: str
    endpoint_url: str | None  # None: the service's default endpoint, i.e. AWS
    pages_url: str | None = None  # the local service's pages as the browser sees them, if not endpoint_url

    @property
    def is_aws(self) -> bool:
        return is_aws_endpoint(self.endpoint_url)


def sagemaker_endpoint(extra: Mapping[str, Any], env: Mapping[str, str]) -> str | None:
    """The SageMaker endpoint boto3 would use for an Airflow AWS connection with this `extra`.

    The connection's per-service `service_config.sagemaker.endpoint_url` beats its global `endpoint_url`;
    both beat the environment (botocore's AWS_ENDPOINT_URL_SAGEMAKER, then AWS_ENDPOINT_URL)."""
    service_config = extra.get("service_config")
    if isinstance(service_config, Mapping):
        sagemaker = service_config.get("sagemaker")
        if isinstance(sagemaker, Mapping) and sagemaker.get("endpoint_url"):
            return str(sagemaker["endpoint_url"])
    if extra.get("endpoint_url"):
        return str(extra["endpoint_url"])
    return env.get("AWS_ENDPOINT_URL_SAGEMAKER") or env.get("AWS_ENDPOINT_URL") or None


def region_of(extra: Mapping[str, Any], env: Mapping[str, str]) -> str:
    return str(
        extra.get("region_name") or env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION") or DEFAULT_REGION
    )


def target_of(extra: Mapping[str, Any], env: Mapping[str, str]) -> Target:
    return Target(
        region=region_of(extra, env),
        endpoint_url=sagemaker_endpoint(extra, env),
        pages_url=env.get(PAGES_URL_ENV) or None,
    )


def is_aws_endpoint(url: str | None) -> bool:
    if not url:
        return True
    host = (urlsplit(url).hostname or "").lower()
    return host.endswith(_AWS_HOST_SUFFIXES)


def console_base(region: str) -> str:
    """The console's origin for a region's partition (China and GovCloud have their own domains)."""
    if region.startswith("cn-"):
        return "https://console.amazonaws.cn"
    if region.startswith("us-gov-"):
        return "https://console.amazonaws-us-gov.com"
    return f"https://{region}.console.aws.amazon.com"


def console_url(kind: str, name: str, region: str) -> str:
    """The SageMaker console page of a resource; a model package's `name` is `<group>/<version>`."""
    fragment = KINDS[kind].console_fragment
    if kind == PIPELINE_EXECUTION.kind:
        name = name.replace("/", "/executions/", 1)
    path = "/".join(quote(part, safe="") for part in name.split("/"))
    return f"{console_base(region)}/sagemaker/home?region={quote(region, safe='')}#/{fragment}/{path}"


def local_url(endpoint_url: str, kind: str, name: str) -> str:
    """The local service's page of a resource (see local_sagemaker/web.py for the routes)."""
    base = endpoint_url.rstrip("/")
    if kind in JOB_KINDS:
        return f"{base}/jobs/{quote(kind, safe='')}/{quote(name, safe='')}"
    if kind == MODEL.kind:
        return f"{base}/models/{quote(name, safe='')}"
    if kind == PIPELINE_EXECUTION.kind:
        pipeline, _, execution = name.partition("/")
        return f"{base}/pipelines/{quote(pipeline, safe='')}/executions/{quote(execution, safe='')}"
    if kind == MODEL_PACKAGE.kind:
        group, _, version = name.partition("/")
        page = f"{base}/model-package-groups/{quote(group, safe='')}"
        return f"{page}#version-{quote(version, safe='')}" if version else page
    raise ValueError(f"no page for resource kind {kind!r}; known: {sorted(KINDS)}")


def resource_url(kind: str, name: str, target: Target) -> str:
    """The console page on AWS, the local service's page otherwise."""
    if kind not in KINDS:
        raise ValueError(f"unknown resource kind {kind!r}; known: {sorted(KINDS)}")
    if target.endpoint_url is None or target.is_aws:
        return console_url(kind, name, target.region)
    return local_url(target.pages_url or target.endpoint_url, kind, name)


# `{{ ti.xcom_pull(task_ids='train', key='job_name') }}`, as retraining.dag_defaults.job_name_of writes it.
_XCOM_PULL = re.compile(r"xcom_pull\(\s*(?P<args>[^)]*)\)")
_TASK_IDS = re.compile(r"task_ids\s*=\s*(?P<q>['\"])(?P<task>[^'\"]+)(?P=q)")
_KEY = re.compile(r"key\s*=\s*(?P<q>['\"])(?P<key>[^'\"]+)(?P=q)")


def upstream_job_task(template: str, key: str = "job_name") -> str | None:
    """The task whose `key` XCom a sensor's job_name template pulls, if that is all the template does."""
    # finditer rather than .search: the IAM derivation greps for SageMaker client method names (Search).
    match = next(_XCOM_PULL.finditer(template), None)
    if match is None:
        return None
    task, wanted = next(_TASK_IDS.finditer(match["args"]), None), next(_KEY.finditer(match["args"]), None)
    if task is None or wanted is None or wanted["key"] != key:
        return None
    return task["task"]


def literal_name(value: Any) -> str | None:
    """A job name given literally (no template left in it), else None."""
    if isinstance(value, str) and value and "{{" not in value and "{%" not in value:
        return value
    return None


def name_from_result(kind: str, result: Any) -> str | None:
    """The resource name in a provider operator's return value: a model description or a package ARN."""
    if kind == MODEL.kind and isinstance(result, Mapping):
        model = result.get("Model", result)
        if isinstance(model, Mapping) and model.get("ModelName"):
            return str(model["ModelName"])
        return None
    if kind == MODEL_PACKAGE.kind and isinstance(result, str) and ":model-package/" in result:
        # arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>
        return result.split(":model-package/", 1)[1]
    if kind == PIPELINE_EXECUTION.kind and isinstance(result, str) and ":pipeline/" in result:
        # arn:aws:sagemaker:<region>:<account>:pipeline/<pipeline>/execution/<id>
        return result.split(":pipeline/", 1)[1].replace("/execution/", "/", 1)
    if isinstance(result, str) and result:
        return result
    return None
