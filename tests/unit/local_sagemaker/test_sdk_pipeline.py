"""Seed 003 as an acceptance test: its abalone pipeline (process -> train -> evaluate -> condition on MSE ->
create model -> batch transform, else fail) built with the SageMaker Python SDK v3's own workflow classes
(`sagemaker-mlops`, `sagemaker-core`, `sagemaker-train`), upserted and started with a `PipelineSession`
pointed at the local endpoint, exactly as the AWS blog post "Reduce cost and development time with
Amazon SageMaker Pipelines local mode" runs it on SageMaker."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from botocore.exceptions import WaiterError

from tests.support.sagemaker_api import ROLE, XGBOOST_IMAGE, unique

# One pipeline (module fixture) serves both runs: keep them on one worker.
pytestmark = pytest.mark.xdist_group("sdk-pipeline")

CODE = Path(__file__).resolve().parents[3] / "include" / "retraining" / "pipeline_code"
FEATURES = [
    "length",
    "diameter",
    "height",
    "whole_weight",
    "shucked_weight",
    "viscera_weight",
    "shell_weight",
]


def abalone_csv(rows: int = 400) -> bytes:
    """Abalone-shaped data (a header, seven measurements, `rings`) with a learnable relation."""
    rng = np.random.default_rng(3)
    x = rng.uniform(0.1, 1.0, size=(rows, len(FEATURES)))
    rings = 3 + 12 * x[:, 0] + 6 * x[:, 6] + rng.normal(0, 0.5, rows)
    out = io.StringIO()
    out.write(",".join([*FEATURES, "rings"]) + "\n")
    np.savetxt(out, np.column_stack([x, rings]), delimiter=",", fmt="%.4f")
    return out.getvalue().encode()


def seed_pipeline(session: Any, bucket: str, prefix: str, name: str) -> Any:
    """The seed's pipeline, in the SDK v3's spelling of its classes."""
    from sagemaker.core.processing import ScriptProcessor
    from sagemaker.core.shapes import ProcessingInput, ProcessingOutput, ProcessingS3Input, ProcessingS3Output
    from sagemaker.core.training.configs import Compute, InputData, OutputDataConfig
    from sagemaker.core.transformer import Transformer
    from sagemaker.core.workflow.conditions import ConditionLessThanOrEqualTo
    from sagemaker.core.workflow.functions import Join, JsonGet
    from sagemaker.core.workflow.parameters import ParameterFloat, ParameterString
    from sagemaker.core.workflow.properties import PropertyFile
    from sagemaker.mlops.workflow.condition_step import ConditionStep
    from sagemaker.mlops.workflow.fail_step import FailStep
    from sagemaker.mlops.workflow.model_step import ModelStep
    from sagemaker.mlops.workflow.pipeline import Pipeline
    from sagemaker.mlops.workflow.steps import CacheConfig, ProcessingStep, TrainingStep, TransformStep
    from sagemaker.serve.model_builder import ModelBuilder
    from sagemaker.train.model_trainer import ModelTrainer

    input_data = ParameterString(name="InputData", default_value=f"s3://{bucket}/{prefix}/raw/abalone.csv")
    mse_threshold = ParameterFloat(name="MseThreshold", default_value=7.0)

    def s3_input(name: str, source: Any, destination: str) -> Any:
        return ProcessingInput(
            input_name=name,
            s3_input=ProcessingS3Input(
                s3_uri=source, local_path=destination, s3_data_type="S3Prefix", s3_input_mode="File"
            ),
        )

    def s3_output(name: str, source: str) -> Any:
        return ProcessingOutput(
            output_name=name,
            s3_output=ProcessingS3Output(
                s3_uri=f"s3://{bucket}/{prefix}/{name}", local_path=source, s3_upload_mode="EndOfJob"
            ),
        )

    processor = ScriptProcessor(
        image_uri=XGBOOST_IMAGE,
        command=["python3"],
        instance_type="ml.m5.xlarge",
        instance_count=1,
        base_job_name="sklearn-abalone-process",
        role=ROLE,
        sagemaker_session=session,
    )
    step_process = ProcessingStep(
        name="AbaloneProcess",
        step_args=processor.run(
            inputs=[s3_input("input", input_data, "/opt/ml/processing/input")],
            outputs=[s3_output(s, f"/opt/ml/processing/{s}") for s in ("train", "validation", "test")],
            code=str(CODE / "preprocess.py"),
        ),
        cache_config=CacheConfig(enable_caching=True, expire_after="PT1H"),
    )
    outputs = step_process.properties.ProcessingOutputConfig.Outputs
    trainer = ModelTrainer(
        training_image=XGBOOST_IMAGE,
        compute=Compute(instance_type="ml.m5.xlarge", instance_count=1),
        hyperparameters={"objective": "reg:squarederror", "num_round": "30", "max_depth": "4", "eta": "0.3"},
        output_data_config=OutputDataConfig(s3_output_path=f"s3://{bucket}/{prefix}/model"),
        role=ROLE,
        sagemaker_session=session,
    )
    step_train = TrainingStep(
        name="AbaloneTrain",
        step_args=trainer.train(
            input_data_config=[
                InputData(
                    channel_name="train", data_source=outputs["train"].S3Output.S3Uri, content_type="text/csv"
                ),
                InputData(
                    channel_name="validation",
                    data_source=outputs["validation"].S3Output.S3Uri,
                    content_type="text/csv",
                ),
            ]
        ),
    )
    evaluation_report = PropertyFile(
        name="EvaluationReport", output_name="evaluation", path="evaluation.json"
    )
    evaluator = ScriptProcessor(
        image_uri=XGBOOST_IMAGE,
        command=["python3"],
        instance_type="ml.m5.xlarge",
        instance_count=1,
        base_job_name="script-abalone-eval",
        role=ROLE,
        sagemaker_session=session,
    )
    step_eval = ProcessingStep(
        name="AbaloneEval",
        step_args=evaluator.run(
            inputs=[
                s3_input(
                    "model", step_train.properties.ModelArtifacts.S3ModelArtifacts, "/opt/ml/processing/model"
                ),
                s3_input("test", outputs["test"].S3Output.S3Uri, "/opt/ml/processing/test"),
            ],
            outputs=[s3_output("evaluation", "/opt/ml/processing/evaluation")],
            code=str(CODE / "evaluate.py"),
        ),
        property_files=[evaluation_report],
    )
    model = ModelBuilder(
        image_uri=XGBOOST_IMAGE,
        s3_model_data_url=step_train.properties.ModelArtifacts.S3ModelArtifacts,
        role_arn=ROLE,
        sagemaker_session=session,
    )
    step_create_model = ModelStep(name="AbaloneCreateModel", step_args=model.build())
    transformer = Transformer(
        model_name=step_create_model.properties.ModelName,
        instance_type="ml.m5.xlarge",
        instance_count=1,
        output_path=f"s3://{bucket}/{prefix}/transform",
        sagemaker_session=session,
    )
    step_transform = TransformStep(
        name="AbaloneTransform",
        step_args=transformer.transform(f"s3://{bucket}/{prefix}/batch/", content_type="text/csv"),
    )
    mse = JsonGet(
        step_name=step_eval.name, property_file=evaluation_report, json_path="regression_metrics.mse.value"
    )
    step_fail = FailStep(
        name="AbaloneMSEFail",
        error_message=Join(on=" ", values=["Execution failed due to MSE >", mse_threshold]),
    )
    step_cond = ConditionStep(
        name="AbaloneMSECond",
        conditions=[ConditionLessThanOrEqualTo(left=mse, right=mse_threshold)],
        if_steps=[step_create_model, step_transform],
        else_steps=[step_fail],
    )
    return Pipeline(
        name=name,
        parameters=[input_data, mse_threshold],
        steps=[step_process, step_train, step_eval, step_cond],
        sagemaker_session=session,
    )


@pytest.fixture(scope="module")
def seed_003(local_stack: Any, s3: Any) -> Iterator[dict[str, Any]]:
    import boto3
    from sagemaker.core.workflow.pipeline_context import PipelineSession

    bucket, prefix = local_stack.bucket, unique("seed003")
    s3.put_object(Bucket=bucket, Key=f"{prefix}/raw/abalone.csv", Body=abalone_csv())
    batch = np.loadtxt(io.BytesIO(abalone_csv(50)), delimiter=",", skiprows=1)[:, :-1]
    buffer = io.StringIO()
    np.savetxt(buffer, batch, delimiter=",", fmt="%.4f")
    s3.put_object(Bucket=bucket, Key=f"{prefix}/batch/batch.csv", Body=buffer.getvalue().encode())
    session = PipelineSession(
        boto_session=boto3.Session(region_name=local_stack.region), default_bucket=bucket
    )
    pipeline = seed_pipeline(session, bucket, prefix, unique("LocalModelPipeline"))
    pipeline.upsert(role_arn=ROLE)  # the SDK checks the role with IAM, as on AWS
    yield {"pipeline": pipeline, "bucket": bucket, "prefix": prefix}


def test_seed_003_pipeline_succeeds_and_transforms(seed_003: dict[str, Any], s3: Any, sagemaker: Any) -> None:
    execution = seed_003["pipeline"].start()
    with contextlib.suppress(WaiterError):  # a Failed execution: its reason is asserted below
        execution.wait(delay=1, max_attempts=120)
    described = execution.describe()
    assert described["PipelineExecutionStatus"] == "Succeeded", described.get("FailureReason")
    steps = {s["StepName"]: s for s in execution.list_steps()}
    assert {"AbaloneProcess", "AbaloneTrain", "AbaloneEval", "AbaloneMSECond", "AbaloneTransform"} <= set(
        steps
    )
    assert steps["AbaloneMSECond"]["Metadata"]["Condition"]["Outcome"] == "True"
    training = steps["AbaloneTrain"]["Metadata"]["TrainingJob"]["Arn"].rsplit("/", 1)[1]
    assert sagemaker.describe_training_job(TrainingJobName=training)["TrainingJobStatus"] == "Completed"
    listing = s3.list_objects_v2(Bucket=seed_003["bucket"], Prefix=f"{seed_003['prefix']}/transform/")
    keys = [o["Key"] for o in listing.get("Contents", [])]
    assert [k.rsplit("/", 1)[1] for k in keys] == ["batch.csv.out"]
    predictions = s3.get_object(Bucket=seed_003["bucket"], Key=keys[0])["Body"].read().decode().split()
    assert len(predictions) == 50 and all(3 < float(p) < 25 for p in predictions)


def test_seed_003_pipeline_with_an_unreachable_threshold_fails_with_the_fail_steps_message(
    seed_003: dict[str, Any],
) -> None:
    execution = seed_003["pipeline"].start(parameters={"MseThreshold": 0.0001})
    with pytest.raises(WaiterError, match="Failed"):  # the SDK's waiter raises on Failed
        execution.wait(delay=1, max_attempts=120)
    described = execution.describe()
    assert described["PipelineExecutionStatus"] == "Failed"
    assert "Execution failed due to MSE > 0.0001" in described["FailureReason"]
    steps = {s["StepName"]: s for s in execution.list_steps()}
    assert steps["AbaloneProcess"]["StepStatus"] == "Succeeded"  # (step caching: test_api_pipelines)
    assert "AbaloneTransform" not in steps
    assert (
        json.loads(
            execution.sagemaker_session.sagemaker_client.describe_pipeline_definition_for_execution(
                PipelineExecutionArn=described["PipelineExecutionArn"]
            )["PipelineDefinition"]
        )["Version"]
        == "2020-12-01"
    )
