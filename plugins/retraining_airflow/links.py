"""Extra links from every SageMaker task to its job: the AWS console, or the local service's job page.

Registered by the plugin (plugins/retraining_plugin.py) with `operators = [...]`, so Airflow's API server
attaches them to the tasks when it loads a serialized DAG and calls `get_link` there, at the moment the UI
asks. The name comes from the XCom the idempotent operators push (`job_name`); a sensor follows its
job_name template to the operator task that pushed it; the model and registry operators' names come
from their return values. Where to link (AWS console or local service) follows the task's AWS connection:
its SageMaker endpoint and region. Nothing here calls AWS."""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from airflow.sdk import BaseOperatorLink

from retraining import links
from retraining_airflow.idempotent import (
    JOB_NAME_XCOM_KEY,
    IdempotentModelOperator,
    IdempotentProcessingOperator,
    IdempotentRegisterModelVersionOperator,
    IdempotentStartPipelineOperator,
    IdempotentTrainingOperator,
    IdempotentTransformOperator,
    IdempotentTuningOperator,
)
from retraining_airflow.sensors import ProcessingSensor, TrainingSensor, TransformSensor, TuningSensor

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

log = logging.getLogger(__name__)

DEFAULT_CONN_ID = "aws_default"
RETURN_VALUE_KEY = "return_value"


class _Key(NamedTuple):
    """A task instance key (Airflow's TIKeyProtocol) that can point at another task of the same run."""

    dag_id: str
    task_id: str
    run_id: str
    map_index: int


def _in_task_context() -> bool:
    # A task process talks to Airflow through the supervisor; the API server reads the metadata DB.
    return hasattr(sys.modules.get("airflow.sdk.execution_time.task_runner"), "SUPERVISOR_COMMS")


def read_xcom(ti_key: Any, key: str) -> Any:
    """One XCom value of a task instance, wherever the link is resolved: inside a task (Task SDK) or in
    the API server (metadata database, as Airflow's own XComOperatorLink does)."""
    if _in_task_context():
        from airflow.sdk.execution_time.xcom import XCom  # the configured XCom backend

        return XCom.get_value(ti_key=ti_key, key=key)
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = session.execute(
            XComModel.get_many(
                key=key,
                run_id=ti_key.run_id,
                dag_ids=ti_key.dag_id,
                task_ids=ti_key.task_id,
                map_indexes=ti_key.map_index,
            ).with_only_columns(XComModel.value)
        ).first()
    return None if row is None else XComModel.deserialize_value(row)


def connection_extra(conn_id: str) -> dict[str, Any]:
    """The connection's extra, or {} when it is not defined (links then fall back to the environment)."""
    from airflow.sdk import BaseHook

    try:
        extra = BaseHook.get_connection(conn_id).extra_dejson
    except Exception:  # an undefined connection must not break the task page
        log.debug("connection %s not found; using the environment for links", conn_id, exc_info=True)
        return {}
    return dict(extra) if isinstance(extra, dict) else {}


def target_for(operator: Any) -> links.Target:
    conn_id = getattr(operator, "aws_conn_id", None)
    if not isinstance(conn_id, str) or not conn_id or "{{" in conn_id:
        conn_id = DEFAULT_CONN_ID
    target = links.target_of(connection_extra(conn_id), os.environ)
    region = links.literal_name(getattr(operator, "region_name", None))
    return dataclasses.replace(target, region=region) if region else target


class SageMakerResourceLink(BaseOperatorLink):
    """Base: subclasses name the resource kind and the operators that get the link."""

    kind: ClassVar[str]

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        try:
            name = self.resource_name(operator, ti_key)
            return links.resource_url(self.kind, name, target_for(operator)) if name else ""
        except Exception:  # a link must never break the task page; an empty link shows as disabled
            log.warning("could not build the %s link for %s", self.kind, ti_key, exc_info=True)
            return ""

    def resource_name(self, operator: Any, ti_key: Any) -> str | None:
        """The job name the task pushed, else (a sensor) the one its job_name template pulls."""
        name = read_xcom(ti_key, JOB_NAME_XCOM_KEY)
        if name:
            return str(name)
        template = getattr(operator, "job_name", None)
        if literal := links.literal_name(template):
            return literal
        upstream = links.upstream_job_task(template) if isinstance(template, str) else None
        if upstream is None:
            return None
        pushed = read_xcom(_Key(ti_key.dag_id, upstream, ti_key.run_id, ti_key.map_index), JOB_NAME_XCOM_KEY)
        return str(pushed) if pushed else None


class SageMakerTrainingJobLink(SageMakerResourceLink):
    name = "SageMaker training job"
    kind = links.TRAINING.kind
    operators: ClassVar[list[type[BaseOperator]]] = [IdempotentTrainingOperator, TrainingSensor]


class SageMakerProcessingJobLink(SageMakerResourceLink):
    name = "SageMaker processing job"
    kind = links.PROCESSING.kind
    operators: ClassVar[list[type[BaseOperator]]] = [IdempotentProcessingOperator, ProcessingSensor]


class SageMakerTransformJobPageLink(SageMakerResourceLink):
    name = "SageMaker transform job"
    kind = links.TRANSFORM.kind
    operators: ClassVar[list[type[BaseOperator]]] = [IdempotentTransformOperator, TransformSensor]


class SageMakerTuningJobLink(SageMakerResourceLink):
    name = "SageMaker tuning job"
    kind = links.TUNING.kind
    operators: ClassVar[list[type[BaseOperator]]] = [IdempotentTuningOperator, TuningSensor]


class _ResultNamedLink(SageMakerResourceLink):
    """Model and registry operators push no job_name: their return value names the resource."""

    def resource_name(self, operator: Any, ti_key: Any) -> str | None:
        return links.name_from_result(self.kind, read_xcom(ti_key, RETURN_VALUE_KEY))


class SageMakerModelLink(_ResultNamedLink):
    name = "SageMaker model"
    kind = links.MODEL.kind
    operators: ClassVar[list[type[BaseOperator]]] = [IdempotentModelOperator]


class SageMakerModelPackageLink(_ResultNamedLink):
    name = "SageMaker model package"
    kind = links.MODEL_PACKAGE.kind
    operators: ClassVar[list[type[BaseOperator]]] = [IdempotentRegisterModelVersionOperator]


class SageMakerPipelineExecutionLink(_ResultNamedLink):
    name = "SageMaker pipeline execution"
    kind = links.PIPELINE_EXECUTION.kind
    operators: ClassVar[list[type[BaseOperator]]] = [IdempotentStartPipelineOperator]


ALL_LINKS: list[SageMakerResourceLink] = [
    SageMakerTrainingJobLink(),
    SageMakerProcessingJobLink(),
    SageMakerTransformJobPageLink(),
    SageMakerTuningJobLink(),
    SageMakerModelLink(),
    SageMakerModelPackageLink(),
    SageMakerPipelineExecutionLink(),
]
