"""SDK v3's ScriptProcessor (sagemaker.core.processing) runs a local script on the local stack, unchanged.

Follows sagemaker-core's ScriptProcessor.run: the code is uploaded to the default bucket and mounted as the
`code` input at /opt/ml/processing/input/code, the ContainerEntrypoint is `command + [that script]`, and
outputs are uploaded from their LocalPath at the end of the job (CreateProcessingJob API reference)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.sagemaker_api import unique

CODE = Path(__file__).parent / "processing_code" / "split.py"
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


def test_script_processor_splits_data_into_its_outputs(local_stack: Any, s3: Any) -> None:
    from sagemaker.core.processing import ScriptProcessor
    from sagemaker.core.resources import ProcessingJob
    from sagemaker.core.shapes import ProcessingInput, ProcessingOutput, ProcessingS3Input, ProcessingS3Output

    from local_sagemaker.local_iam import DEFAULT_EXECUTION_ROLE_ARN

    bucket, prefix = local_stack.bucket, unique("sdk-processing")
    s3.put_object(
        Bucket=bucket,
        Key=f"{prefix}/raw/rows.csv",
        Body="".join(f"{i},{i * 2}\n" for i in range(10)).encode(),
    )

    def output(name: str) -> Any:
        return ProcessingOutput(
            output_name=name,
            s3_output=ProcessingS3Output(
                s3_uri=f"s3://{bucket}/{prefix}/{name}",
                local_path=f"/opt/ml/processing/{name}",
                s3_upload_mode="EndOfJob",
            ),
        )

    processor = ScriptProcessor(
        image_uri=SKLEARN_IMAGE,
        command=["python3"],
        instance_type="ml.m5.large",
        instance_count=1,
        role=DEFAULT_EXECUTION_ROLE_ARN,
        base_job_name="sdk-script-processor",
    )
    processor.run(
        code=str(CODE),
        inputs=[
            ProcessingInput(
                input_name="input",
                s3_input=ProcessingS3Input(
                    s3_uri=f"s3://{bucket}/{prefix}/raw",
                    local_path="/opt/ml/processing/input",
                    s3_data_type="S3Prefix",
                    s3_input_mode="File",
                ),
            )
        ],
        outputs=[output("train"), output("test")],
        arguments=["--test-every", "5"],
        wait=True,
        logs=False,
    )
    job = ProcessingJob.get(processing_job_name=processor.latest_job.processing_job_name)
    assert job.processing_job_status == "Completed", job.failure_reason
    assert job.app_specification.container_entrypoint == ["python3", "/opt/ml/processing/input/code/split.py"]
    test_rows = s3.get_object(Bucket=bucket, Key=f"{prefix}/test/test.csv")["Body"].read().decode().split()
    train_rows = s3.get_object(Bucket=bucket, Key=f"{prefix}/train/train.csv")["Body"].read().decode().split()
    assert test_rows == ["0,0", "5,10"]
    assert len(train_rows) == 8
