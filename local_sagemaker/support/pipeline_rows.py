"""The support matrix rows of the SageMaker Pipelines operations (joined into ROWS by table.py)."""

from __future__ import annotations

from local_sagemaker.support.rows import Row, implemented, no_local_effect, rejected

_API = "tests/unit/local_sagemaker/test_api_pipelines.py::"
_SEED = "tests/unit/local_sagemaker/test_sdk_pipeline.py::"
RUNS = _API + "test_a_passing_gate_runs_its_branch_in_parallel_and_reuses_a_cached_step"
FAILS = _API + "test_a_failing_gate_ends_in_the_fail_steps_message"
STOP = _API + "test_stop_ends_the_execution_and_its_running_jobs"
VERSIONS = _API + "test_definitions_and_versions"
REFUSED = _API + "test_a_definition_the_service_cannot_run_is_refused_naming_what"
UNKNOWN = _API + "test_unknown_pipelines_and_bad_parameters"
LIFECYCLE = _API + "test_pipeline_lifecycle_s3_definition_tags_lists_parallelism_retry_delete"
SEED = _SEED + "test_seed_003_pipeline_succeeds_and_transforms"
ROLE = "IAM role: the steps' jobs run with the local service's own rights"

# fmt: off
PIPELINE_ROWS: tuple[Row, ...] = (
    implemented("CreatePipeline", "PipelineName", RUNS),
    implemented("CreatePipeline", "PipelineDisplayName", LIFECYCLE),
    implemented("CreatePipeline", "PipelineDefinition", SEED, "schema 2020-12-01; a step type or expression the service cannot run is refused by name"),
    implemented("CreatePipeline", "PipelineDefinitionS3Location", LIFECYCLE, "read from the local S3", covers_members=True),
    implemented("CreatePipeline", "PipelineDescription", LIFECYCLE),
    implemented("CreatePipeline", "ClientRequestToken", LIFECYCLE, "the same token for a taken name returns the pipeline instead of an error"),
    no_local_effect("CreatePipeline", "RoleArn", ROLE),
    implemented("CreatePipeline", "Tags", LIFECYCLE, covers_members=True),
    implemented("CreatePipeline", "ParallelismConfiguration", LIFECYCLE, covers_members=True),
    implemented("UpdatePipeline", "PipelineName", VERSIONS),
    implemented("UpdatePipeline", "PipelineDisplayName", LIFECYCLE),
    implemented("UpdatePipeline", "PipelineDefinition", LIFECYCLE, "a new version"),
    implemented("UpdatePipeline", "PipelineDefinitionS3Location", LIFECYCLE, covers_members=True),
    implemented("UpdatePipeline", "PipelineDescription", VERSIONS),
    no_local_effect("UpdatePipeline", "RoleArn", ROLE),
    implemented("UpdatePipeline", "ParallelismConfiguration", LIFECYCLE, covers_members=True),
    implemented("DescribePipeline", "PipelineName", VERSIONS),
    implemented("DescribePipeline", "PipelineVersionId", LIFECYCLE),
    implemented("DeletePipeline", "PipelineName", LIFECYCLE),
    no_local_effect("DeletePipeline", "ClientRequestToken", "deleting twice answers ResourceNotFound the second time; nothing else to make idempotent"),
    implemented("ListPipelines", "PipelineNamePrefix", VERSIONS),
    implemented("ListPipelines", "CreatedAfter", LIFECYCLE),
    implemented("ListPipelines", "CreatedBefore", LIFECYCLE),
    implemented("ListPipelines", "SortBy", LIFECYCLE),
    implemented("ListPipelines", "SortOrder", LIFECYCLE),
    implemented("ListPipelines", "NextToken", LIFECYCLE),
    implemented("ListPipelines", "MaxResults", LIFECYCLE),
    implemented("ListPipelineVersions", "PipelineName", VERSIONS),
    implemented("ListPipelineVersions", "CreatedAfter", LIFECYCLE),
    implemented("ListPipelineVersions", "CreatedBefore", LIFECYCLE),
    implemented("ListPipelineVersions", "SortOrder", VERSIONS),
    implemented("ListPipelineVersions", "NextToken", LIFECYCLE),
    implemented("ListPipelineVersions", "MaxResults", LIFECYCLE),
    implemented("StartPipelineExecution", "PipelineName", RUNS),
    implemented("StartPipelineExecution", "PipelineExecutionDisplayName", LIFECYCLE),
    implemented("StartPipelineExecution", "PipelineParameters", FAILS, "typed by the definition's Parameters; an unknown name or a bad value is refused", covers_members=True),
    implemented("StartPipelineExecution", "PipelineExecutionDescription", LIFECYCLE),
    implemented("StartPipelineExecution", "ClientRequestToken", UNKNOWN, "the same token starts one execution"),
    implemented("StartPipelineExecution", "ParallelismConfiguration", LIFECYCLE, covers_members=True),
    rejected("StartPipelineExecution", "SelectiveExecutionConfig", "selective execution is not supported locally; start the whole pipeline (CacheConfig reuses earlier steps' jobs)"),
    implemented("StartPipelineExecution", "PipelineVersionId", LIFECYCLE),
    rejected("StartPipelineExecution", "MlflowExperimentName", "the local service has no MLflow tracking server; leave it out"),
    implemented("DescribePipelineExecution", "PipelineExecutionArn", RUNS),
    implemented("ListPipelineExecutions", "PipelineName", VERSIONS),
    implemented("ListPipelineExecutions", "CreatedAfter", LIFECYCLE),
    implemented("ListPipelineExecutions", "CreatedBefore", LIFECYCLE),
    implemented("ListPipelineExecutions", "SortBy", LIFECYCLE),
    implemented("ListPipelineExecutions", "SortOrder", LIFECYCLE),
    implemented("ListPipelineExecutions", "NextToken", LIFECYCLE),
    implemented("ListPipelineExecutions", "MaxResults", LIFECYCLE),
    implemented("StopPipelineExecution", "PipelineExecutionArn", STOP),
    no_local_effect("StopPipelineExecution", "ClientRequestToken", "a second stop of a Stopping execution is accepted; of a Stopped one, ConflictException"),
    implemented("RetryPipelineExecution", "PipelineExecutionArn", LIFECYCLE),
    no_local_effect("RetryPipelineExecution", "ClientRequestToken", "a retry of an execution that is running again answers ConflictException"),
    implemented("RetryPipelineExecution", "ParallelismConfiguration", LIFECYCLE, covers_members=True),
    implemented("ListPipelineExecutionSteps", "PipelineExecutionArn", RUNS),
    implemented("ListPipelineExecutionSteps", "NextToken", LIFECYCLE),
    implemented("ListPipelineExecutionSteps", "MaxResults", LIFECYCLE),
    implemented("ListPipelineExecutionSteps", "SortOrder", LIFECYCLE),
    implemented("DescribePipelineDefinitionForExecution", "PipelineExecutionArn", VERSIONS),
    implemented("ListPipelineParametersForExecution", "PipelineExecutionArn", FAILS),
    implemented("ListPipelineParametersForExecution", "NextToken", LIFECYCLE),
    implemented("ListPipelineParametersForExecution", "MaxResults", LIFECYCLE),
)
# fmt: on
