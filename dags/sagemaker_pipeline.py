"""
### Schedule a SageMaker Pipeline (seed 003's abalone pipeline)

Teams that already have a SageMaker Pipeline keep it and let Airflow schedule, backfill and watch it. This
DAG upserts the pipeline (process -> train -> evaluate -> MSE condition -> create model -> batch transform,
else fail; its definition is built in `include/retraining/sagemaker_pipeline.py`), starts one execution per
DAG run with the provider's `SageMakerStartPipelineOperator` (trigger-form parameters become pipeline
parameters; a retried start re-attaches to the run's execution instead of starting another), and waits with
`SageMakerPipelineSensor` in reschedule mode. The start task links to the execution's page: the SageMaker
console on AWS, the local service's page with its steps locally.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.sdk import Param, chain, dag, task

from retraining.dag_defaults import AWS_CONN_ID, DEFAULT_ARGS, SENSOR_ARGS
from retraining_airflow.building_blocks import bucket_param, connection_region, role_arn_param
from retraining_airflow.idempotent import IdempotentStartPipelineOperator
from retraining_airflow.sensors import PipelineSensor


@dag(
    dag_id="sagemaker_pipeline",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["sagemaker", "pipelines"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    params={
        "bucket": bucket_param(),
        "role_arn": role_arn_param(),
        "mse_threshold": Param(7.0, type="number", minimum=0, title="MSE threshold of the quality gate"),
        "input_data": Param(
            "", type="string", title="Raw abalone CSV (S3 URI); empty: the pipeline's default"
        ),
        "batch_data": Param("", type="string", title="Batch transform input (S3 prefix); empty: the default"),
        "num_round": Param(30, type="integer", minimum=1, maximum=2000, title="Boosting rounds"),
    },
)
def sagemaker_pipeline() -> None:
    @task
    def upsert_pipeline(**context: Any) -> str:
        """Create the pipeline, or update it when its definition changed; upload the steps' scripts."""
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook
        from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook
        from botocore.exceptions import ClientError

        from retraining import sagemaker_pipeline as pipeline
        from retraining.images import xgboost_image_uri

        params = context["params"]
        s3 = S3Hook(aws_conn_id=AWS_CONN_ID)
        for script in pipeline.SCRIPTS:
            key = f"{pipeline.PIPELINE_NAME}/code/{script}"
            s3.load_file(str(pipeline.CODE_DIR / script), key, bucket_name=params["bucket"], replace=True)
        definition = pipeline.definition_text(
            pipeline.abalone_definition(
                params["bucket"],
                params["role_arn"],
                xgboost_image_uri(connection_region()),
                params["num_round"],
            )
        )
        client: Any = SageMakerHook(aws_conn_id=AWS_CONN_ID).conn
        try:
            current = client.describe_pipeline(PipelineName=pipeline.PIPELINE_NAME)["PipelineDefinition"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceNotFound":
                raise
            client.create_pipeline(
                PipelineName=pipeline.PIPELINE_NAME, PipelineDefinition=definition, RoleArn=params["role_arn"]
            )
            print(f"created pipeline {pipeline.PIPELINE_NAME}")
        else:
            if current != definition:
                version = client.update_pipeline(
                    PipelineName=pipeline.PIPELINE_NAME,
                    PipelineDefinition=definition,
                    RoleArn=params["role_arn"],
                )["PipelineVersionId"]
                print(f"updated pipeline {pipeline.PIPELINE_NAME} to version {version}")
        return pipeline.PIPELINE_NAME

    @task
    def execution_request(**context: Any) -> dict[str, Any]:
        """The run's execution: its display name (stable across retries) and its pipeline parameters."""
        from retraining.sagemaker_pipeline import execution_display_name

        params = context["params"]
        parameters = {"MseThreshold": str(params["mse_threshold"])}
        for param, name in (("input_data", "InputData"), ("batch_data", "BatchData")):
            if params[param]:
                parameters[name] = params[param]
        return {
            "display_name": execution_display_name(context["dag"].dag_id, context["run_id"]),
            "parameters": parameters,
        }

    name: Any = upsert_pipeline()
    request: Any = execution_request()
    start = IdempotentStartPipelineOperator(
        task_id="start_pipeline",
        pipeline_name=name,
        display_name=request["display_name"],
        pipeline_params=request["parameters"],
        aws_conn_id=AWS_CONN_ID,
    )
    execution_arn: Any = start.output
    await_pipeline = PipelineSensor(task_id="await_pipeline", pipeline_exec_arn=execution_arn, **SENSOR_ARGS)
    chain(name, request, start, await_pipeline)


sagemaker_pipeline()
