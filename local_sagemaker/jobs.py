"""The job kinds the service runs, as data: field names, states, log groups and runners."""

from __future__ import annotations

from dataclasses import dataclass

IN_PROGRESS = "InProgress"
COMPLETED = "Completed"
FAILED = "Failed"
STOPPING = "Stopping"
STOPPED = "Stopped"
TERMINAL_STATES = frozenset({COMPLETED, FAILED, STOPPED})
ACTIVE_STATES = frozenset({IN_PROGRESS, STOPPING})


@dataclass(frozen=True)
class JobKind:
    """Everything that differs between training, transform and processing jobs."""

    kind: str
    noun: str  # as the operation names spell it: CreateTrainingJob, ListTrainingJobs
    arn_resource: str
    status_field: str
    start_field: str
    end_field: str
    log_group: str  # "" for a kind that writes no CloudWatch log (tuning jobs)
    runner: str  # "module:Class", imported only inside the worker process
    summary_fields: tuple[str, ...]

    @property
    def name_field(self) -> str:
        return f"{self.noun}Name"

    @property
    def arn_field(self) -> str:
        return f"{self.noun}Arn"

    @property
    def summaries_key(self) -> str:
        return f"{self.noun}Summaries"


TRAINING = JobKind(
    kind="training-job",
    noun="TrainingJob",
    arn_resource="training-job",
    status_field="TrainingJobStatus",
    start_field="TrainingStartTime",
    end_field="TrainingEndTime",
    log_group="/aws/sagemaker/TrainingJobs",
    runner="local_sagemaker.runners.training:TrainingRunner",
    summary_fields=(
        "TrainingJobName",
        "TrainingJobArn",
        "CreationTime",
        "TrainingEndTime",
        "LastModifiedTime",
        "TrainingJobStatus",
        "SecondaryStatus",
    ),
)

TRANSFORM = JobKind(
    kind="transform-job",
    noun="TransformJob",
    arn_resource="transform-job",
    status_field="TransformJobStatus",
    start_field="TransformStartTime",
    end_field="TransformEndTime",
    log_group="/aws/sagemaker/TransformJobs",
    runner="local_sagemaker.runners.transform:TransformRunner",
    summary_fields=(
        "TransformJobName",
        "TransformJobArn",
        "CreationTime",
        "TransformEndTime",
        "LastModifiedTime",
        "TransformJobStatus",
        "FailureReason",
    ),
)

PROCESSING = JobKind(
    kind="processing-job",
    noun="ProcessingJob",
    arn_resource="processing-job",
    status_field="ProcessingJobStatus",
    start_field="ProcessingStartTime",
    end_field="ProcessingEndTime",
    log_group="/aws/sagemaker/ProcessingJobs",
    runner="local_sagemaker.runners.processing:ProcessingRunner",
    summary_fields=(
        "ProcessingJobName",
        "ProcessingJobArn",
        "CreationTime",
        "ProcessingEndTime",
        "LastModifiedTime",
        "ProcessingJobStatus",
        "FailureReason",
        "ExitMessage",
    ),
)

# A tuning job has no start time of its own: CreationTime stands in, so lifecycle.finish sets its end time.
TUNING = JobKind(
    kind="hyper-parameter-tuning-job",
    noun="HyperParameterTuningJob",
    arn_resource="hyper-parameter-tuning-job",
    status_field="HyperParameterTuningJobStatus",
    start_field="CreationTime",
    end_field="HyperParameterTuningEndTime",
    log_group="",
    runner="local_sagemaker.runners.tuning:TuningRunner",
    summary_fields=(
        "HyperParameterTuningJobName",
        "HyperParameterTuningJobArn",
        "HyperParameterTuningJobStatus",
        "CreationTime",
        "HyperParameterTuningEndTime",
        "LastModifiedTime",
    ),
)

JOB_KINDS: dict[str, JobKind] = {k.kind: k for k in (TRAINING, TRANSFORM, PROCESSING, TUNING)}
