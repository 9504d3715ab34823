"""The support matrix as data: one row per request member of every supported operation.

Paths are botocore's member names joined by dots, `[]` for each item of a list (`InputDataConfig[].ChannelName`).
A `no_local_effect` or `rejected` row speaks for every member inside it unless a member has a row of its own;
an `implemented` row speaks only for itself unless it says `covers_members=True`. To flip a row when a member
gets implemented, change its one line to `implemented(...)` naming the test; the completeness test then names
any member inside it that still needs a line. `ALIASES` reuse one operation's rows where another copies the
same request into it (tuning children are CreateTrainingJob requests; `Containers[]` are `PrimaryContainer`s).
"""

from __future__ import annotations

from local_sagemaker.containers.cluster import MAX_LOCAL_HOSTS
from local_sagemaker.support.pipeline_rows import PIPELINE_ROWS
from local_sagemaker.support.rows import Row, implemented, no_local_effect, rejected

# The tests that prove implemented rows (pytest ids, resolved against the tests tree by a test).
_JOBS = "tests/unit/local_sagemaker/test_api_jobs.py::"
_PROTOCOL = "tests/unit/local_sagemaker/test_api_protocol.py::"
_REGISTRY = "tests/unit/local_sagemaker/test_api_registry.py::"
_TUNING = "tests/unit/local_sagemaker/test_api_tuning.py::"
_SEARCH = "tests/unit/local_sagemaker/test_tuning_search.py::"
_MATRIX = "tests/unit/local_sagemaker/test_support_matrix_api.py::"
_CHECKPOINTS = "tests/unit/local_sagemaker/test_checkpoints.py::"
_ISOLATION = "tests/unit/local_sagemaker/test_container_isolation.py::"
TRAINING_RUNS = _JOBS + "test_training_completes_with_metrics_artifact_and_status_history"
TRAINING_BAD_HP = _JOBS + "test_bad_hyperparameter_fails_the_job_naming_it"
TRAINING_STOP = _JOBS + "test_stop_training_job"
MAX_RUNTIME = _JOBS + "test_max_runtime_is_enforced"
CHECKPOINT_RESUME = _CHECKPOINTS + "test_a_stopped_job_resumes_from_its_checkpoint_in_a_new_job"
CHECKPOINT_LOCAL_PATH = _CHECKPOINTS + "test_checkpoint_local_path_must_be_absolute"
MODEL_CHANNEL = _JOBS + "test_incremental_training_from_a_model_channel"
_RULES = "tests/unit/local_sagemaker/test_transform_rules.py::"
TRANSFORM_JOIN = _RULES + "test_id_column_is_filtered_out_and_joined_back"
TRANSFORM_GZIP_MANY = _RULES + "test_many_gzipped_objects_keep_their_relative_keys"
TRANSFORM_MANIFEST = _RULES + "test_manifest_file_names_the_inputs"
TRANSFORM_OVERSIZE = _RULES + "test_a_record_larger_than_the_payload_fails_the_job"
TRANSFORM_REFUSALS = _RULES + "test_what_cannot_run_is_refused_naming_the_field"
TRANSFORM_ENVIRONMENT = _RULES + "test_environment_reaches_the_container"
TRANSFORM_RUNS = _JOBS + "test_batch_transform_writes_one_prediction_per_row"
_FORMATS = "tests/unit/local_sagemaker/test_xgboost_formats.py::"
TRAINING_FORMATS = _FORMATS + "test_parquet_and_recordio_channels_train_as_csv_does"
TRAINING_CONTENT_TYPES = _FORMATS + "test_bad_mixed_and_missing_content_types_fail_the_job_saying_why"
TRANSFORM_RECORDIO = _FORMATS + "test_recordio_protobuf_input_answers_one_line_per_record"
TRANSFORM_SELECTABLE = _FORMATS + "test_selectable_inference_output_in_every_accept_type"
TRANSFORM_UNKNOWN_MODEL = _JOBS + "test_transform_of_an_unknown_model_is_rejected"
_USER_CODE = "tests/unit/local_sagemaker/test_transform_user_code.py::"
USER_CODE_JSON_JOIN = _USER_CODE + "test_json_lines_id_is_filtered_out_and_joined_back"
USER_CODE_SKLEARN = _USER_CODE + "test_scikit_learn_code_in_model_tar_with_default_handlers"
USER_CODE_RECORDIO = _USER_CODE + "test_recordio_records_reach_the_model_one_by_one"
USER_CODE_NETWORK = _USER_CODE + "test_model_network_isolation_cuts_the_local_s3"
USER_CODE_REFUSALS = _USER_CODE + "test_a_model_that_cannot_serve_is_refused_naming_the_field"
PROCESSING_RUNS = _JOBS + "test_processing_runs_the_script_in_a_sandbox_and_uploads_outputs"
PROCESSING_PATHS = _JOBS + "test_processing_paths_outside_opt_ml_processing_are_rejected"
PROCESSING_ANY_PROGRAM = _ISOLATION + "test_any_program_sees_opt_ml"
PROCESSING_NETWORK_ISOLATION = _ISOLATION + "test_network_isolation_cuts_the_local_s3"
_DISTRIBUTED = "tests/unit/local_sagemaker/test_distributed_training.py::"
DISTRIBUTED_XGBOOST = _DISTRIBUTED + "test_sharded_hosts_train_one_xgboost_model_like_one_host_on_all_data"
DISTRIBUTED_SCRIPT = _DISTRIBUTED + "test_script_mode_hosts_see_each_other_by_name"
DISTRIBUTED_PROCESSING = _DISTRIBUTED + "test_processing_runs_on_every_host_with_its_share_of_the_inputs"
_SCRIPT_MODE = "tests/unit/local_sagemaker/test_script_mode.py::"
SCRIPT_MODE_RUNS = _SCRIPT_MODE + "test_scikit_learn_script_mode_gets_the_toolkit_environment"
ENTRYPOINT_RUNS = _SCRIPT_MODE + "test_container_entrypoint_runs_any_program"
SCRIPT_MODE_NETWORK = _SCRIPT_MODE + "test_training_network_isolation_cuts_the_local_s3"
PROCESSING_FAILS = _JOBS + "test_failing_script_fails_the_job_with_its_exit_code"
UNKNOWN_JOB = _PROTOCOL + "test_unknown_job_is_a_validation_exception"
NAMES = _PROTOCOL + "test_name_pattern_is_checked_by_the_service"
IMAGES = _PROTOCOL + "test_unsupported_image_names_the_field"
MODELS = _PROTOCOL + "test_models_create_describe_delete"
TAGS_AND_LISTS = _PROTOCOL + "test_tags_on_jobs_and_list_filters_with_pagination"
REGISTRY_VERSIONS = _REGISTRY + "test_versions_are_numbered_within_a_group_and_filterable"
REGISTRY_UNKNOWN = _REGISTRY + "test_unknown_group_and_package_are_validation_errors"
REGISTRY_PAGES = _REGISTRY + "test_read_group_reads_every_version_in_pages_of_100"
MODEL_DATA = _REGISTRY + "test_model_data_must_exist_for_a_model_and_a_version"
TUNING_RUNS = _TUNING + "test_tuning_job_runs_its_children_and_names_the_best"
TUNING_CHILDREN = _TUNING + "test_children_are_ordinary_training_jobs"
TUNING_LISTS = _TUNING + "test_list_operations_sort_filter_and_page"
TUNING_GRID = _TUNING + "test_grid_through_the_provider_operator_runs_every_combination_once"
TUNING_WARM = _TUNING + "test_warm_start_seeds_the_search_with_the_parents_results"
TUNING_STOP = _TUNING + "test_stop_stops_the_running_children"
TUNING_BAD_CONFIG = _TUNING + "test_bad_configs_are_rejected_naming_the_field"
TUNING_NAMES = _TUNING + "test_names_and_unknown_jobs_answer_as_sagemaker_does"
SEARCH_MEDIAN = _SEARCH + "test_median_rule_stops_a_child_that_trails_the_finished_ones"
SEARCH_HYPERBAND = _SEARCH + "test_hyperband_stops_losing_children_at_its_rungs"
SEARCH_SEED = _SEARCH + "test_a_seed_makes_the_search_repeatable"
SEARCH_NOT_IMPROVING = _SEARCH + "test_not_improving_counts_the_latest_jobs_since_the_best"
LIST_FILTERS = _MATRIX + "test_list_filters_by_time_and_status"
PACKAGE_METADATA = _MATRIX + "test_model_package_metadata_is_kept_as_given"
PACKAGE_TOKEN = _MATRIX + "test_a_repeated_client_token_registers_one_version"
PACKAGE_UPDATE = _MATRIX + "test_model_package_updates_change_what_describe_shows"
MODEL_LISTS = _MATRIX + "test_model_lists_and_tags_sort_filter_and_page"
REGISTRY_LISTS = _MATRIX + "test_registry_lists_filter_sort_and_page"
TUNING_JOB_LISTS = _MATRIX + "test_tuning_job_lists_sort_and_page"
MODEL_CONTAINERS = _MATRIX + "test_a_model_takes_its_one_container_from_containers"
TUNING_TARGET = _MATRIX + "test_a_tuning_job_with_shared_resources_tags_and_a_target_stops_at_the_target"

# Reasons shared by many rows.
KMS = "encryption keys: the local stores are not encrypted per job"
VPC = "VPC placement: jobs run on this machine's network"
ROLE = "IAM role: jobs run with the local service's own rights"
INSTANCE = "instance type and disk size: jobs run on this machine"
EXPERIMENTS = "SageMaker Experiments are not part of the local service; the config is kept in the description"
KEPT = "kept as given and returned by DescribeModelPackage"
TAGS = "tags are stored and served by ListTags"

# One line per row, however long: a flip is a one-line change and merges stay easy.
# fmt: off
ROWS: tuple[Row, ...] = (
    # --- training jobs ---------------------------------------------------------------------------------
    implemented("CreateTrainingJob", "TrainingJobName", NAMES),
    implemented("CreateTrainingJob", "HyperParameters", TRAINING_BAD_HP, "the built-in XGBoost's, typed as the container types them; for user code (sagemaker_program, sagemaker_submit_directory) passed as the training toolkit passes them"),
    implemented("CreateTrainingJob", "AlgorithmSpecification", TRAINING_RUNS),
    implemented("CreateTrainingJob", "AlgorithmSpecification.TrainingImage", IMAGES, "XGBoost images (built-in or script mode), scikit-learn (script mode), python images with ContainerEntrypoint"),
    rejected("CreateTrainingJob", "AlgorithmSpecification.AlgorithmName", "Marketplace and named algorithms do not run locally; give TrainingImage"),
    implemented("CreateTrainingJob", "AlgorithmSpecification.TrainingInputMode", TRAINING_RUNS, "files are downloaded before training", values=("File", "FastFile")),
    implemented("CreateTrainingJob", "AlgorithmSpecification.MetricDefinitions", SCRIPT_MODE_RUNS, "regexes over the user code's log fill FinalMetricDataList; refused for the built-in XGBoost, which reports its own", covers_members=True),
    no_local_effect("CreateTrainingJob", "AlgorithmSpecification.EnableSageMakerMetricsTimeSeries", "no CloudWatch metrics locally; final metrics are in the description"),
    implemented("CreateTrainingJob", "AlgorithmSpecification.ContainerEntrypoint", ENTRYPOINT_RUNS, "any program, under bubblewrap with the job's directory at /opt/ml and the training toolkit's environment"),
    implemented("CreateTrainingJob", "AlgorithmSpecification.ContainerArguments", ENTRYPOINT_RUNS, "appended to ContainerEntrypoint; refused without it"),
    no_local_effect("CreateTrainingJob", "AlgorithmSpecification.TrainingImageConfig", "image registry access: images are not pulled locally"),
    no_local_effect("CreateTrainingJob", "RoleArn", ROLE),
    implemented("CreateTrainingJob", "InputDataConfig", TRAINING_RUNS, "each channel is downloaded to /opt/ml/input/data/<channel>"),
    implemented("CreateTrainingJob", "InputDataConfig[].ChannelName", MODEL_CHANNEL, "train, validation and model channels"),
    implemented("CreateTrainingJob", "InputDataConfig[].DataSource", TRAINING_RUNS),
    implemented("CreateTrainingJob", "InputDataConfig[].DataSource.S3DataSource", TRAINING_RUNS),
    implemented("CreateTrainingJob", "InputDataConfig[].DataSource.S3DataSource.S3DataType", TRAINING_RUNS, "every object under the prefix", values=("S3Prefix",)),
    implemented("CreateTrainingJob", "InputDataConfig[].DataSource.S3DataSource.S3Uri", TRAINING_RUNS),
    implemented("CreateTrainingJob", "InputDataConfig[].DataSource.S3DataSource.S3DataDistributionType", DISTRIBUTED_XGBOOST, "FullyReplicated: every host gets every object; ShardedByS3Key: the objects in key order dealt to the hosts in turn (about 1/n each, none for a host beyond the object count)"),
    rejected("CreateTrainingJob", "InputDataConfig[].DataSource.S3DataSource.AttributeNames", "augmented manifest files are not supported locally; use S3Prefix"),
    rejected("CreateTrainingJob", "InputDataConfig[].DataSource.S3DataSource.InstanceGroupNames", "heterogeneous clusters (instance groups) are not supported locally"),
    rejected("CreateTrainingJob", "InputDataConfig[].DataSource.S3DataSource.ModelAccessConfig", "JumpStart model access is not supported locally"),
    rejected("CreateTrainingJob", "InputDataConfig[].DataSource.S3DataSource.HubAccessConfig", "SageMaker Hub content is not available locally"),
    rejected("CreateTrainingJob", "InputDataConfig[].DataSource.FileSystemDataSource", "only S3 data sources are supported locally (no EFS or FSx)"),
    rejected("CreateTrainingJob", "InputDataConfig[].DataSource.DatasetSource", "only S3 data sources are supported locally"),
    implemented("CreateTrainingJob", "InputDataConfig[].ContentType", TRAINING_FORMATS, "the XGBoost container's: text/csv (label first; csv_weights), text/libsvm (the default when absent), application/x-parquet, application/x-recordio-protobuf; validation is read as train's type (a different one is refused); see docs/xgboost-formats.md"),
    implemented("CreateTrainingJob", "InputDataConfig[].CompressionType", TRAINING_RUNS, "uncompressed objects only", values=("None",)),
    implemented("CreateTrainingJob", "InputDataConfig[].RecordWrapperType", TRAINING_RUNS, "plain records only", values=("None",)),
    implemented("CreateTrainingJob", "InputDataConfig[].InputMode", TRAINING_RUNS, "files are downloaded before training", values=("File", "FastFile")),
    rejected("CreateTrainingJob", "InputDataConfig[].ShuffleConfig", "shuffling the order of S3 objects is not implemented locally"),
    implemented("CreateTrainingJob", "OutputDataConfig", TRAINING_RUNS),
    no_local_effect("CreateTrainingJob", "OutputDataConfig.KmsKeyId", KMS),
    implemented("CreateTrainingJob", "OutputDataConfig.S3OutputPath", TRAINING_RUNS, "<S3OutputPath>/<job>/output/model.tar.gz"),
    implemented("CreateTrainingJob", "OutputDataConfig.CompressionType", TRAINING_RUNS, "model.tar.gz is gzipped", values=("GZIP",)),
    implemented("CreateTrainingJob", "ResourceConfig", TRAINING_RUNS),
    no_local_effect("CreateTrainingJob", "ResourceConfig.InstanceType", INSTANCE),
    implemented("CreateTrainingJob", "ResourceConfig.InstanceCount", DISTRIBUTED_SCRIPT, f"hosts algo-1 ... algo-N run side by side on this machine, each its own /opt/ml, loopback address and log stream; the built-in XGBoost trains one model over xgboost's collective; 1 to {MAX_LOCAL_HOSTS} locally"),
    no_local_effect("CreateTrainingJob", "ResourceConfig.VolumeSizeInGB", INSTANCE),
    no_local_effect("CreateTrainingJob", "ResourceConfig.VolumeKmsKeyId", KMS),
    no_local_effect("CreateTrainingJob", "ResourceConfig.KeepAlivePeriodInSeconds", "warm pools: there are no instances to keep warm, and local jobs start in well under a second"),
    rejected("CreateTrainingJob", "ResourceConfig.InstanceGroups", "heterogeneous clusters (instance groups) are not supported locally; give InstanceType and InstanceCount"),
    no_local_effect("CreateTrainingJob", "ResourceConfig.TrainingPlanArn", "capacity reservations: local capacity is this machine"),
    no_local_effect("CreateTrainingJob", "ResourceConfig.InstancePlacementConfig", "UltraServer placement: jobs run on this machine"),
    rejected("CreateTrainingJob", "ResourceConfig.InstancePreferences", "flexible instance preferences are not supported locally; give InstanceType and InstanceCount"),
    rejected("CreateTrainingJob", "ResourceConfig.SelectedInstanceType", "chosen by the service from InstancePreferences, which are not supported locally"),
    rejected("CreateTrainingJob", "ResourceConfig.SelectedInstanceCount", "chosen by the service from InstancePreferences, which are not supported locally"),
    no_local_effect("CreateTrainingJob", "VpcConfig", VPC),
    implemented("CreateTrainingJob", "StoppingCondition", MAX_RUNTIME),
    implemented("CreateTrainingJob", "StoppingCondition.MaxRuntimeInSeconds", MAX_RUNTIME, "the job is stopped with MaxRuntimeExceeded"),
    no_local_effect("CreateTrainingJob", "StoppingCondition.MaxWaitTimeInSeconds", "waiting for Spot capacity: local capacity is never interrupted"),
    no_local_effect("CreateTrainingJob", "StoppingCondition.MaxPendingTimeInSeconds", "waiting for capacity: local jobs start at once"),
    implemented("CreateTrainingJob", "Tags", TAGS_AND_LISTS, TAGS, covers_members=True),
    implemented("CreateTrainingJob", "EnableNetworkIsolation", SCRIPT_MODE_NETWORK, "true runs the user's code in its own network namespace (bubblewrap); the built-in XGBoost runs no user code"),
    no_local_effect("CreateTrainingJob", "EnableInterContainerTrafficEncryption", "traffic between a job's hosts never leaves this machine's loopback interface"),
    no_local_effect("CreateTrainingJob", "EnableManagedSpotTraining", "Spot billing: local capacity is never interrupted"),
    implemented("CreateTrainingJob", "CheckpointConfig", CHECKPOINT_RESUME, "restored from S3Uri before the job starts, mirrored to it while the job runs; the built-in XGBoost writes xgboost-checkpoint.<round> and resumes from the latest"),
    implemented("CreateTrainingJob", "CheckpointConfig.S3Uri", CHECKPOINT_RESUME),
    implemented("CreateTrainingJob", "CheckpointConfig.LocalPath", CHECKPOINT_LOCAL_PATH, "any absolute path, inside the job's sandbox; default /opt/ml/checkpoints"),
    rejected("CreateTrainingJob", "DebugHookConfig", "SageMaker Debugger is not supported locally"),
    rejected("CreateTrainingJob", "DebugRuleConfigurations", "SageMaker Debugger rules are not run locally"),
    rejected("CreateTrainingJob", "TensorBoardOutputConfig", "TensorBoard output is not uploaded locally"),
    no_local_effect("CreateTrainingJob", "ExperimentConfig", EXPERIMENTS),
    rejected("CreateTrainingJob", "ProfilerConfig", "SageMaker Profiler is not supported locally"),
    rejected("CreateTrainingJob", "ProfilerRuleConfigurations", "SageMaker Profiler rules are not run locally"),
    implemented("CreateTrainingJob", "Environment", ENTRYPOINT_RUNS, "set for the user's program (script mode, ContainerEntrypoint); the built-in XGBoost reads none"),
    rejected("CreateTrainingJob", "RetryStrategy", "retrying jobs after an internal error is not implemented locally"),
    no_local_effect("CreateTrainingJob", "RemoteDebugConfig", "remote debugging sessions (SSM) are not available locally"),
    no_local_effect("CreateTrainingJob", "RemoteDebugConfig.EnableRemoteDebug", "remote debugging sessions (SSM) are not available locally; leave it False", values=(False,)),
    no_local_effect("CreateTrainingJob", "InfraCheckConfig", "instance health checks: there are no instances to check"),
    no_local_effect("CreateTrainingJob", "SessionChainingConfig", "STS session tag chaining: no role is assumed locally"),
    rejected("CreateTrainingJob", "ServerlessJobConfig", "serverless model customisation is not supported locally"),
    rejected("CreateTrainingJob", "MlflowConfig", "MLflow tracking is not supported locally"),
    rejected("CreateTrainingJob", "ModelPackageConfig", "registering the trained model from the training job is not implemented locally; call CreateModelPackage"),
    implemented("DescribeTrainingJob", "TrainingJobName", UNKNOWN_JOB),
    implemented("StopTrainingJob", "TrainingJobName", TRAINING_STOP),
    implemented("ListTrainingJobs", "NextToken", TAGS_AND_LISTS),
    implemented("ListTrainingJobs", "MaxResults", TAGS_AND_LISTS),
    implemented("ListTrainingJobs", "CreationTimeAfter", LIST_FILTERS),
    implemented("ListTrainingJobs", "CreationTimeBefore", LIST_FILTERS),
    implemented("ListTrainingJobs", "LastModifiedTimeAfter", LIST_FILTERS),
    implemented("ListTrainingJobs", "LastModifiedTimeBefore", LIST_FILTERS),
    implemented("ListTrainingJobs", "NameContains", TAGS_AND_LISTS),
    implemented("ListTrainingJobs", "StatusEquals", LIST_FILTERS),
    implemented("ListTrainingJobs", "SortBy", TAGS_AND_LISTS),
    implemented("ListTrainingJobs", "SortOrder", TAGS_AND_LISTS),
    rejected("ListTrainingJobs", "WarmPoolStatusEquals", "warm pools are not kept locally, so this filter is not implemented"),
    rejected("ListTrainingJobs", "TrainingPlanArnEquals", "training plans are not kept locally, so this filter is not implemented"),
    # --- transform jobs --------------------------------------------------------------------------------
    implemented("CreateTransformJob", "TransformJobName", TRANSFORM_RUNS),
    implemented("CreateTransformJob", "ModelName", TRANSFORM_UNKNOWN_MODEL, "a model whose container is a SageMaker XGBoost image (built-in algorithm), or a scikit-learn or XGBoost framework image whose Environment sets SAGEMAKER_PROGRAM (the user's inference code; refusals: " + USER_CODE_REFUSALS.rpartition("::")[2] + ")"),
    implemented("CreateTransformJob", "MaxConcurrentTransforms", TRANSFORM_GZIP_MANY, "mini-batches predicted in that many threads, answers kept in order; * MaxPayloadInMB <= 100 checked; unset: one per CPU for the built-in XGBoost (its execution-parameters), 1 for user code"),
    no_local_effect("CreateTransformJob", "ModelClientConfig", "the model is called in-process (built-in XGBoost) or over a pipe to its model server (user code), not through HTTP invocations that time out and are retried"),
    implemented("CreateTransformJob", "MaxPayloadInMB", TRANSFORM_OVERSIZE, "mini-batches up to the limit; a larger record fails the job; 0 (chunked) is refused as for built-in algorithms"),
    implemented("CreateTransformJob", "BatchStrategy", TRANSFORM_OVERSIZE, "MultiRecord packs whole records up to MaxPayloadInMB; SingleRecord sends one per request"),
    implemented("CreateTransformJob", "Environment", TRANSFORM_ENVIRONMENT, "added to the model container's; XGBoost reads MAX_CONTENT_LENGTH, SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT and SAGEMAKER_INFERENCE_OUTPUT (selected keys per record, test_selectable_inference_output_in_every_accept_type); SAGEMAKER_PROGRAM, SAGEMAKER_SUBMIT_DIRECTORY, SAGEMAKER_MODEL_SERVER_WORKERS and SAGEMAKER_STARTUP_TIMEOUT serve the user's inference code (docs/transform.md)"),
    implemented("CreateTransformJob", "TransformInput", TRANSFORM_RUNS),
    implemented("CreateTransformJob", "TransformInput.DataSource", TRANSFORM_RUNS),
    implemented("CreateTransformJob", "TransformInput.DataSource.S3DataSource", TRANSFORM_RUNS),
    implemented("CreateTransformJob", "TransformInput.DataSource.S3DataSource.S3DataType", TRANSFORM_MANIFEST, "one <key>.out per object under the prefix or listed in the manifest", values=("S3Prefix", "ManifestFile")),
    implemented("CreateTransformJob", "TransformInput.DataSource.S3DataSource.S3Uri", TRANSFORM_RUNS),
    implemented("CreateTransformJob", "TransformInput.ContentType", TRANSFORM_RECORDIO, "what the XGBoost container parses: text/csv, text/libsvm, application/x-recordio-protobuf; application/x-parquet (training only) is refused; with the user's code, any Content-Type its input_fn reads (" + USER_CODE_SKLEARN.rpartition("::")[2] + ")"),
    implemented("CreateTransformJob", "TransformInput.CompressionType", TRANSFORM_GZIP_MANY, "Gzip objects are gunzipped while streamed", values=("None", "Gzip")),
    implemented("CreateTransformJob", "TransformInput.SplitType", USER_CODE_RECORDIO, "None sends the object whole; Line and RecordIO cut at records (RecordIO framing kept, SingleRecord drops the padding)", values=("None", "Line", "RecordIO")),
    implemented("CreateTransformJob", "TransformOutput", TRANSFORM_RUNS),
    implemented("CreateTransformJob", "TransformOutput.S3OutputPath", TRANSFORM_RUNS),
    implemented("CreateTransformJob", "TransformOutput.Accept", TRANSFORM_SELECTABLE, "the XGBoost container's accept types; in batch mode it answers one str(prediction) line per record whatever the type, unless SAGEMAKER_INFERENCE_OUTPUT selects keys, which are answered in the Accept type; */* means SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT (text/csv unless set); the user's output_fn gets any Accept (none or */*: SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT, else application/json)"),
    implemented("CreateTransformJob", "TransformOutput.AssembleWith", USER_CODE_RECORDIO, "Line ends every answer with a newline; None concatenates the answers as the container gave them", values=("None", "Line")),
    no_local_effect("CreateTransformJob", "TransformOutput.KmsKeyId", KMS),
    rejected("CreateTransformJob", "DataCaptureConfig", "capturing inference data to S3 is not implemented locally"),
    implemented("CreateTransformJob", "TransformResources", TRANSFORM_RUNS),
    no_local_effect("CreateTransformJob", "TransformResources.InstanceType", INSTANCE),
    no_local_effect("CreateTransformJob", "TransformResources.InstanceCount", "objects are shared between instances on AWS; every object gives the same <key>.out either way"),
    no_local_effect("CreateTransformJob", "TransformResources.VolumeKmsKeyId", KMS),
    no_local_effect("CreateTransformJob", "TransformResources.TransformAmiVersion", "the host image: jobs run on this machine"),
    implemented("CreateTransformJob", "DataProcessing", TRANSFORM_JOIN, "InputFilter, JoinSource and OutputFilter per record with SageMaker's JSONPath subset (CSV rows; JSON and JSON Lines values with SageMakerOutput / SageMakerInput: " + USER_CODE_JSON_JOIN.rpartition("::")[2] + ")", covers_members=True),
    implemented("CreateTransformJob", "Tags", TAGS_AND_LISTS, TAGS, covers_members=True),
    no_local_effect("CreateTransformJob", "ExperimentConfig", EXPERIMENTS),
    implemented("DescribeTransformJob", "TransformJobName", TRANSFORM_RUNS),
    implemented("StopTransformJob", "TransformJobName", TRAINING_STOP, "the same stop mechanism as every job kind"),
    implemented("ListTransformJobs", "CreationTimeAfter", LIST_FILTERS, "the same filters as every job kind"),
    implemented("ListTransformJobs", "CreationTimeBefore", LIST_FILTERS, "the same filters as every job kind"),
    implemented("ListTransformJobs", "LastModifiedTimeAfter", LIST_FILTERS, "the same filters as every job kind"),
    implemented("ListTransformJobs", "LastModifiedTimeBefore", LIST_FILTERS, "the same filters as every job kind"),
    implemented("ListTransformJobs", "NameContains", LIST_FILTERS, "the same filters as every job kind"),
    implemented("ListTransformJobs", "StatusEquals", LIST_FILTERS, "the same filters as every job kind"),
    implemented("ListTransformJobs", "SortBy", TAGS_AND_LISTS, "the same sorting as every job kind"),
    implemented("ListTransformJobs", "SortOrder", TAGS_AND_LISTS, "the same sorting as every job kind"),
    implemented("ListTransformJobs", "NextToken", TAGS_AND_LISTS, "the same paging as every job kind"),
    implemented("ListTransformJobs", "MaxResults", TAGS_AND_LISTS, "the same paging as every job kind"),
    # --- processing jobs -------------------------------------------------------------------------------
    implemented("CreateProcessingJob", "ProcessingInputs", PROCESSING_RUNS),
    implemented("CreateProcessingJob", "ProcessingInputs[].InputName", PROCESSING_RUNS),
    implemented("CreateProcessingJob", "ProcessingInputs[].AppManaged", PROCESSING_RUNS, "the service downloads every input", values=(False,)),
    implemented("CreateProcessingJob", "ProcessingInputs[].S3Input", PROCESSING_RUNS),
    implemented("CreateProcessingJob", "ProcessingInputs[].S3Input.S3Uri", PROCESSING_RUNS),
    implemented("CreateProcessingJob", "ProcessingInputs[].S3Input.LocalPath", PROCESSING_PATHS, "under /opt/ml/processing/"),
    implemented("CreateProcessingJob", "ProcessingInputs[].S3Input.S3DataType", PROCESSING_RUNS, values=("S3Prefix",)),
    implemented("CreateProcessingJob", "ProcessingInputs[].S3Input.S3InputMode", PROCESSING_RUNS, "files are downloaded before the script starts", values=("File",)),
    implemented("CreateProcessingJob", "ProcessingInputs[].S3Input.S3DataDistributionType", DISTRIBUTED_PROCESSING, "FullyReplicated: every host gets every object; ShardedByS3Key: the objects in key order dealt to the hosts in turn"),
    implemented("CreateProcessingJob", "ProcessingInputs[].S3Input.S3CompressionType", PROCESSING_RUNS, "uncompressed objects only", values=("None",)),
    rejected("CreateProcessingJob", "ProcessingInputs[].DatasetDefinition", "Athena and Redshift datasets are not available locally; use S3Input"),
    implemented("CreateProcessingJob", "ProcessingOutputConfig", PROCESSING_RUNS),
    implemented("CreateProcessingJob", "ProcessingOutputConfig.Outputs", PROCESSING_RUNS),
    implemented("CreateProcessingJob", "ProcessingOutputConfig.Outputs[].OutputName", PROCESSING_RUNS),
    implemented("CreateProcessingJob", "ProcessingOutputConfig.Outputs[].S3Output", PROCESSING_RUNS),
    implemented("CreateProcessingJob", "ProcessingOutputConfig.Outputs[].S3Output.S3Uri", PROCESSING_RUNS),
    implemented("CreateProcessingJob", "ProcessingOutputConfig.Outputs[].S3Output.LocalPath", PROCESSING_PATHS, "under /opt/ml/processing/"),
    implemented("CreateProcessingJob", "ProcessingOutputConfig.Outputs[].S3Output.S3UploadMode", PROCESSING_RUNS, "uploaded when the script ends", values=("EndOfJob",)),
    rejected("CreateProcessingJob", "ProcessingOutputConfig.Outputs[].FeatureStoreOutput", "SageMaker Feature Store is not available locally; use S3Output"),
    implemented("CreateProcessingJob", "ProcessingOutputConfig.Outputs[].AppManaged", PROCESSING_RUNS, "the service uploads every output", values=(False,)),
    no_local_effect("CreateProcessingJob", "ProcessingOutputConfig.KmsKeyId", KMS),
    implemented("CreateProcessingJob", "ProcessingJobName", PROCESSING_RUNS),
    implemented("CreateProcessingJob", "ProcessingResources", PROCESSING_RUNS),
    implemented("CreateProcessingJob", "ProcessingResources.ClusterConfig", PROCESSING_RUNS),
    implemented("CreateProcessingJob", "ProcessingResources.ClusterConfig.InstanceCount", DISTRIBUTED_PROCESSING, f"hosts algo-1 ... algo-N run the entrypoint side by side under bubblewrap (own /opt/ml, name, resourceconfig.json, log stream); outputs of all hosts are uploaded; 1 to {MAX_LOCAL_HOSTS} locally"),
    no_local_effect("CreateProcessingJob", "ProcessingResources.ClusterConfig.InstanceType", INSTANCE),
    no_local_effect("CreateProcessingJob", "ProcessingResources.ClusterConfig.VolumeSizeInGB", INSTANCE),
    no_local_effect("CreateProcessingJob", "ProcessingResources.ClusterConfig.VolumeKmsKeyId", KMS),
    rejected("CreateProcessingJob", "ProcessingResources.ClusterConfig.InstancePreferences", "flexible instance preferences are not supported locally; give InstanceType and InstanceCount"),
    rejected("CreateProcessingJob", "ProcessingResources.ClusterConfig.SelectedInstanceType", "chosen by the service from InstancePreferences, which are not supported locally"),
    rejected("CreateProcessingJob", "ProcessingResources.ClusterConfig.SelectedInstanceCount", "chosen by the service from InstancePreferences, which are not supported locally"),
    implemented("CreateProcessingJob", "StoppingCondition", MAX_RUNTIME, "the supervisor's limit applies to every job kind"),
    implemented("CreateProcessingJob", "StoppingCondition.MaxRuntimeInSeconds", MAX_RUNTIME, "the supervisor's limit applies to every job kind"),
    implemented("CreateProcessingJob", "AppSpecification", PROCESSING_RUNS),
    implemented("CreateProcessingJob", "AppSpecification.ImageUri", PROCESSING_RUNS, "SageMaker's scikit-learn, XGBoost and other python processing images"),
    implemented("CreateProcessingJob", "AppSpecification.ContainerEntrypoint", PROCESSING_ANY_PROGRAM, "any program under bubblewrap with /opt/ml real; python scripts only where bubblewrap is missing"),
    implemented("CreateProcessingJob", "AppSpecification.ContainerArguments", PROCESSING_RUNS),
    implemented("CreateProcessingJob", "Environment", PROCESSING_FAILS, "set for the script (the test script fails on purpose when told so)"),
    no_local_effect("CreateProcessingJob", "NetworkConfig", VPC),
    no_local_effect("CreateProcessingJob", "NetworkConfig.EnableInterContainerTrafficEncryption", "traffic between a job's hosts never leaves this machine's loopback interface"),
    implemented("CreateProcessingJob", "NetworkConfig.EnableNetworkIsolation", PROCESSING_NETWORK_ISOLATION, "true runs the script in its own network namespace (bubblewrap): no network but loopback"),
    no_local_effect("CreateProcessingJob", "RoleArn", ROLE),
    implemented("CreateProcessingJob", "Tags", TAGS_AND_LISTS, TAGS, covers_members=True),
    no_local_effect("CreateProcessingJob", "ExperimentConfig", EXPERIMENTS),
    implemented("DescribeProcessingJob", "ProcessingJobName", PROCESSING_RUNS),
    implemented("StopProcessingJob", "ProcessingJobName", TRAINING_STOP, "the same stop mechanism as every job kind"),
    implemented("ListProcessingJobs", "CreationTimeAfter", LIST_FILTERS, "the same filters as every job kind"),
    implemented("ListProcessingJobs", "CreationTimeBefore", LIST_FILTERS, "the same filters as every job kind"),
    implemented("ListProcessingJobs", "LastModifiedTimeAfter", LIST_FILTERS, "the same filters as every job kind"),
    implemented("ListProcessingJobs", "LastModifiedTimeBefore", LIST_FILTERS, "the same filters as every job kind"),
    implemented("ListProcessingJobs", "NameContains", LIST_FILTERS, "the same filters as every job kind"),
    implemented("ListProcessingJobs", "StatusEquals", LIST_FILTERS, "the same filters as every job kind"),
    implemented("ListProcessingJobs", "SortBy", TAGS_AND_LISTS, "the same sorting as every job kind"),
    implemented("ListProcessingJobs", "SortOrder", TAGS_AND_LISTS, "the same sorting as every job kind"),
    implemented("ListProcessingJobs", "NextToken", TAGS_AND_LISTS, "the same paging as every job kind"),
    implemented("ListProcessingJobs", "MaxResults", TAGS_AND_LISTS, "the same paging as every job kind"),
    # --- hyperparameter tuning jobs (members of TrainingJobDefinition copied into each child: see ALIASES) --
    implemented("CreateHyperParameterTuningJob", "HyperParameterTuningJobName", TUNING_NAMES),
    implemented("CreateHyperParameterTuningJob", "HyperParameterTuningJobConfig", TUNING_RUNS),
    implemented("CreateHyperParameterTuningJob", "HyperParameterTuningJobConfig.Strategy", TUNING_GRID, "optuna searches", values=("Bayesian", "Random", "Hyperband", "Grid")),
    implemented("CreateHyperParameterTuningJob", "HyperParameterTuningJobConfig.StrategyConfig", SEARCH_HYPERBAND),
    implemented("CreateHyperParameterTuningJob", "HyperParameterTuningJobConfig.StrategyConfig.HyperbandStrategyConfig", SEARCH_HYPERBAND),
    implemented("CreateHyperParameterTuningJob", "HyperParameterTuningJobConfig.StrategyConfig.HyperbandStrategyConfig.MinResource", SEARCH_HYPERBAND),
    implemented("CreateHyperParameterTuningJob", "HyperParameterTuningJobConfig.StrategyConfig.HyperbandStrategyConfig.MaxResource", TUNING_BAD_CONFIG),
    implemented("CreateHyperParameterTuningJob", "HyperParameterTuningJobConfig.HyperParameterTuningJobObjective", TUNING_RUNS),
    implemented("CreateHyperParameterTuningJob", "HyperParameterTuningJobConfig.HyperParameterTuningJobObjective.Type", TUNING_RUNS),
    implemented("CreateHyperParameterTuningJob", "HyperParameterTuningJobConfig.HyperParameterTuningJobObjective.MetricName", TUNING_RUNS, "train:<metric> or validation:<metric> of the built-in XGBoost"),
    implemented("CreateHyperParameterTuningJob", "HyperParameterTuningJobConfig.ResourceLimits", TUNING_RUNS),
    implemented("CreateHyperParameterTuningJob", "HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs", TUNING_RUNS),
    implemented("CreateHyperParameterTuningJob", "HyperParameterTuningJobConfig.ResourceLimits.MaxParallelTrainingJobs", TUNING_RUNS),
    implemented("CreateHyperParameterTuningJob", "HyperParameterTuningJobConfig.ResourceLimits.MaxRuntimeInSeconds", TUNING_RUNS, "no new children after it; running ones are stopped"),
    implemented("CreateHyperParameterTuningJob", "HyperParameterTuningJobConfig.ParameterRanges", TUNING_RUNS),
    implemented("CreateHyperParameterTuningJob", "HyperParameterTuningJobConfig.ParameterRanges.IntegerParameterRanges", TUNING_RUNS, covers_members=True),
    implemented("CreateHyperParameterTuningJob", "HyperParameterTuningJobConfig.ParameterRanges.ContinuousParameterRanges", TUNING_RUNS, covers_members=True),
    implemented("CreateHyperParameterTuningJob", "HyperParameterTuningJobConfig.ParameterRanges.CategoricalParameterRanges", TUNING_GRID, covers_members=True),
    rejected("CreateHyperParameterTuningJob", "HyperParameterTuningJobConfig.ParameterRanges.AutoParameters", "Autotune parameters are not supported locally; give the ranges to tune"),
    implemented("CreateHyperParameterTuningJob", "HyperParameterTuningJobConfig.TrainingJobEarlyStoppingType", SEARCH_MEDIAN, "Auto stops children with the median rule", values=("Off", "Auto")),
    implemented("CreateHyperParameterTuningJob", "HyperParameterTuningJobConfig.TuningJobCompletionCriteria", TUNING_TARGET),
    implemented("CreateHyperParameterTuningJob", "HyperParameterTuningJobConfig.TuningJobCompletionCriteria.TargetObjectiveMetricValue", TUNING_TARGET, "no new children once the best child reaches it"),
    implemented("CreateHyperParameterTuningJob", "HyperParameterTuningJobConfig.TuningJobCompletionCriteria.BestObjectiveNotImproving", SEARCH_NOT_IMPROVING, covers_members=True),
    rejected("CreateHyperParameterTuningJob", "HyperParameterTuningJobConfig.TuningJobCompletionCriteria.ConvergenceDetected", "convergence detection is not implemented locally; use BestObjectiveNotImproving"),
    implemented("CreateHyperParameterTuningJob", "HyperParameterTuningJobConfig.RandomSeed", SEARCH_SEED),
    implemented("CreateHyperParameterTuningJob", "TrainingJobDefinition", TUNING_CHILDREN, "each child is a CreateTrainingJob request built from it"),
    rejected("CreateHyperParameterTuningJob", "TrainingJobDefinition.DefinitionName", "only for TrainingJobDefinitions, which are not supported locally"),
    rejected("CreateHyperParameterTuningJob", "TrainingJobDefinition.TuningObjective", "only for TrainingJobDefinitions; give HyperParameterTuningJobConfig.HyperParameterTuningJobObjective"),
    rejected("CreateHyperParameterTuningJob", "TrainingJobDefinition.HyperParameterRanges", "only for TrainingJobDefinitions; give HyperParameterTuningJobConfig.ParameterRanges"),
    implemented("CreateHyperParameterTuningJob", "TrainingJobDefinition.StaticHyperParameters", TUNING_CHILDREN),
    implemented("CreateHyperParameterTuningJob", "TrainingJobDefinition.HyperParameterTuningResourceConfig", TUNING_TARGET, "InstanceType, InstanceCount and VolumeSizeInGB become each child's ResourceConfig"),
    no_local_effect("CreateHyperParameterTuningJob", "TrainingJobDefinition.HyperParameterTuningResourceConfig.InstanceType", INSTANCE),
    implemented("CreateHyperParameterTuningJob", "TrainingJobDefinition.HyperParameterTuningResourceConfig.InstanceCount", TUNING_TARGET, "one host per child", values=(1,)),
    no_local_effect("CreateHyperParameterTuningJob", "TrainingJobDefinition.HyperParameterTuningResourceConfig.VolumeSizeInGB", INSTANCE),
    no_local_effect("CreateHyperParameterTuningJob", "TrainingJobDefinition.HyperParameterTuningResourceConfig.VolumeKmsKeyId", KMS),
    no_local_effect("CreateHyperParameterTuningJob", "TrainingJobDefinition.HyperParameterTuningResourceConfig.AllocationStrategy", "orders InstanceConfigs, which are not supported locally"),
    rejected("CreateHyperParameterTuningJob", "TrainingJobDefinition.HyperParameterTuningResourceConfig.InstanceConfigs", "several instance configurations are not supported locally; give InstanceType and InstanceCount"),
    rejected("CreateHyperParameterTuningJob", "TrainingJobDefinitions", "tuning several algorithms at once is not supported locally; give one TrainingJobDefinition"),
    implemented("CreateHyperParameterTuningJob", "WarmStartConfig", TUNING_WARM, covers_members=True),
    implemented("CreateHyperParameterTuningJob", "Tags", TUNING_TARGET, TAGS, covers_members=True),
    rejected("CreateHyperParameterTuningJob", "Autotune", "Autotune is not supported locally; give the ranges to tune"),
    implemented("DescribeHyperParameterTuningJob", "HyperParameterTuningJobName", TUNING_RUNS),
    implemented("StopHyperParameterTuningJob", "HyperParameterTuningJobName", TUNING_STOP),
    implemented("ListHyperParameterTuningJobs", "NextToken", TUNING_JOB_LISTS),
    implemented("ListHyperParameterTuningJobs", "MaxResults", TUNING_JOB_LISTS),
    implemented("ListHyperParameterTuningJobs", "SortBy", TUNING_JOB_LISTS),
    implemented("ListHyperParameterTuningJobs", "SortOrder", TUNING_JOB_LISTS),
    implemented("ListHyperParameterTuningJobs", "NameContains", TUNING_LISTS),
    implemented("ListHyperParameterTuningJobs", "CreationTimeAfter", TUNING_JOB_LISTS, "the same filters as every job kind"),
    implemented("ListHyperParameterTuningJobs", "CreationTimeBefore", TUNING_JOB_LISTS, "the same filters as every job kind"),
    implemented("ListHyperParameterTuningJobs", "LastModifiedTimeAfter", TUNING_JOB_LISTS, "the same filters as every job kind"),
    implemented("ListHyperParameterTuningJobs", "LastModifiedTimeBefore", TUNING_JOB_LISTS, "the same filters as every job kind"),
    implemented("ListHyperParameterTuningJobs", "StatusEquals", TUNING_LISTS),
    implemented("ListTrainingJobsForHyperParameterTuningJob", "HyperParameterTuningJobName", TUNING_LISTS),
    implemented("ListTrainingJobsForHyperParameterTuningJob", "NextToken", TUNING_LISTS),
    implemented("ListTrainingJobsForHyperParameterTuningJob", "MaxResults", TUNING_LISTS),
    implemented("ListTrainingJobsForHyperParameterTuningJob", "StatusEquals", TUNING_LISTS),
    implemented("ListTrainingJobsForHyperParameterTuningJob", "SortBy", TUNING_LISTS),
    implemented("ListTrainingJobsForHyperParameterTuningJob", "SortOrder", TUNING_LISTS),
    # --- models ----------------------------------------------------------------------------------------
    implemented("CreateModel", "ModelName", MODELS),
    implemented("CreateModel", "PrimaryContainer", MODELS),
    no_local_effect("CreateModel", "PrimaryContainer.ContainerHostname", "names a container of an inference pipeline; one container serves locally"),
    implemented("CreateModel", "PrimaryContainer.Image", TRANSFORM_RUNS, "SageMaker XGBoost images serve batch transform; with SAGEMAKER_PROGRAM the scikit-learn and XGBoost framework images serve the user's inference code"),
    no_local_effect("CreateModel", "PrimaryContainer.ImageConfig", "image registry access: images are not pulled locally"),
    implemented("CreateModel", "PrimaryContainer.Mode", MODELS, "one model per container", values=("SingleModel",)),
    implemented("CreateModel", "PrimaryContainer.ModelDataUrl", MODEL_DATA, "a model.tar.gz in S3; refused when no object is there, as SageMaker does (\"Could not find model data at ...\")"),
    rejected("CreateModel", "PrimaryContainer.ModelDataSource", "uncompressed model data sources are not supported locally; give ModelDataUrl"),
    rejected("CreateModel", "PrimaryContainer.AdditionalModelDataSources", "additional model data sources are not supported locally"),
    implemented("CreateModel", "PrimaryContainer.Environment", TRANSFORM_ENVIRONMENT, "kept, described and masked on the pages; a transform job passes it to the container with its own Environment"),
    rejected("CreateModel", "PrimaryContainer.ModelPackageName", "models from a model package are not supported locally; give Image and ModelDataUrl"),
    rejected("CreateModel", "PrimaryContainer.InferenceSpecificationName", "models from a model package are not supported locally; give Image and ModelDataUrl"),
    rejected("CreateModel", "PrimaryContainer.MultiModelConfig", "multi-model containers are not supported locally"),
    no_local_effect("CreateModel", "PrimaryContainer.ContainerMetricsConfig", "metrics endpoints of real-time containers: no endpoints run locally"),
    implemented("CreateModel", "Containers", MODEL_CONTAINERS, "exactly one container, served as PrimaryContainer; inference pipelines are refused"),
    no_local_effect("CreateModel", "InferenceExecutionConfig", "orders several containers, and only one is supported locally"),
    no_local_effect("CreateModel", "ExecutionRoleArn", ROLE),
    implemented("CreateModel", "Tags", MODELS, TAGS, covers_members=True),
    no_local_effect("CreateModel", "VpcConfig", VPC),
    implemented("CreateModel", "EnableNetworkIsolation", USER_CODE_NETWORK, "true serves the user's inference code in its own network namespace (bubblewrap): no network but loopback; the built-in XGBoost runs no user code"),
    implemented("DescribeModel", "ModelName", MODELS),
    implemented("DeleteModel", "ModelName", MODELS),
    implemented("ListModels", "SortBy", MODEL_LISTS),
    implemented("ListModels", "SortOrder", MODEL_LISTS),
    implemented("ListModels", "NextToken", MODEL_LISTS),
    implemented("ListModels", "MaxResults", MODEL_LISTS),
    implemented("ListModels", "NameContains", MODEL_LISTS),
    rejected("ListModels", "CreationTimeBefore", "this filter is not implemented locally; filter the CreationTime of the summaries"),
    rejected("ListModels", "CreationTimeAfter", "this filter is not implemented locally; filter the CreationTime of the summaries"),
    # --- the model registry ----------------------------------------------------------------------------
    implemented("CreateModelPackageGroup", "ModelPackageGroupName", REGISTRY_VERSIONS),
    implemented("CreateModelPackageGroup", "ModelPackageGroupDescription", PACKAGE_METADATA),
    implemented("CreateModelPackageGroup", "Tags", PACKAGE_METADATA, TAGS, covers_members=True),
    no_local_effect("CreateModelPackageGroup", "ManagedConfiguration", "managed model storage: artifacts stay where the versions name them"),
    implemented("DescribeModelPackageGroup", "ModelPackageGroupName", REGISTRY_UNKNOWN),
    implemented("DeleteModelPackageGroup", "ModelPackageGroupName", REGISTRY_UNKNOWN),
    rejected("ListModelPackageGroups", "CreationTimeAfter", "this filter is not implemented locally; filter the CreationTime of the summaries"),
    rejected("ListModelPackageGroups", "CreationTimeBefore", "this filter is not implemented locally; filter the CreationTime of the summaries"),
    implemented("ListModelPackageGroups", "MaxResults", REGISTRY_LISTS),
    implemented("ListModelPackageGroups", "NameContains", REGISTRY_LISTS),
    implemented("ListModelPackageGroups", "NextToken", REGISTRY_LISTS),
    implemented("ListModelPackageGroups", "SortBy", REGISTRY_LISTS),
    implemented("ListModelPackageGroups", "SortOrder", REGISTRY_LISTS),
    no_local_effect("ListModelPackageGroups", "CrossAccountFilterOption", "one account locally: no group is shared from another"),
    rejected("CreateModelPackage", "ModelPackageName", "unversioned model packages are not supported locally; give ModelPackageGroupName"),
    implemented("CreateModelPackage", "ModelPackageGroupName", REGISTRY_VERSIONS, "versions are numbered within their group"),
    implemented("CreateModelPackage", "ModelPackageDescription", PACKAGE_METADATA, KEPT),
    implemented("CreateModelPackage", "ModelPackageRegistrationType", PACKAGE_METADATA, KEPT, values=("Registered",)),
    implemented("CreateModelPackage", "InferenceSpecification", PACKAGE_METADATA, KEPT, covers_members=True),
    implemented("CreateModelPackage", "InferenceSpecification.Containers[].ModelDataUrl", MODEL_DATA, "kept; refused when no object is there, as CreateModel does, so a version never points at missing data"),
    rejected("CreateModelPackage", "ValidationSpecification", "validation transform jobs for a model package are not run locally"),
    rejected("CreateModelPackage", "SourceAlgorithmSpecification", "Marketplace algorithms are not available locally"),
    no_local_effect("CreateModelPackage", "CertifyForMarketplace", "there is no AWS Marketplace locally"),
    implemented("CreateModelPackage", "Tags", PACKAGE_METADATA, TAGS, covers_members=True),
    implemented("CreateModelPackage", "ModelApprovalStatus", REGISTRY_VERSIONS),
    implemented("CreateModelPackage", "MetadataProperties", PACKAGE_METADATA, KEPT, covers_members=True),
    implemented("CreateModelPackage", "ModelMetrics", PACKAGE_METADATA, KEPT, covers_members=True),
    implemented("CreateModelPackage", "ClientToken", PACKAGE_TOKEN, "a repeated token answers with the version it created (botocore sends one on every call)"),
    implemented("CreateModelPackage", "Domain", PACKAGE_METADATA, KEPT),
    implemented("CreateModelPackage", "Task", PACKAGE_METADATA, KEPT),
    implemented("CreateModelPackage", "SamplePayloadUrl", PACKAGE_METADATA, KEPT),
    implemented("CreateModelPackage", "CustomerMetadataProperties", PACKAGE_METADATA, KEPT),
    implemented("CreateModelPackage", "DriftCheckBaselines", PACKAGE_METADATA, KEPT, covers_members=True),
    implemented("CreateModelPackage", "AdditionalInferenceSpecifications", PACKAGE_METADATA, KEPT, covers_members=True),
    no_local_effect("CreateModelPackage", "SkipModelValidation", "validation transform jobs are never run locally; the model data's existence is checked whatever this says"),
    implemented("CreateModelPackage", "SourceUri", PACKAGE_METADATA, KEPT),
    no_local_effect("CreateModelPackage", "SecurityConfig", KMS),
    implemented("CreateModelPackage", "ModelCard", PACKAGE_METADATA, KEPT, covers_members=True),
    implemented("CreateModelPackage", "ModelLifeCycle", PACKAGE_METADATA, KEPT, covers_members=True),
    no_local_effect("CreateModelPackage", "ManagedStorageType", "managed model storage: artifacts stay where the version names them"),
    implemented("DescribeModelPackage", "ModelPackageName", REGISTRY_VERSIONS, "a version's ARN (or an unversioned name)"),
    implemented("DescribeModelPackage", "IncludedData", PACKAGE_METADATA, "every field is returned", values=("AllData",)),
    rejected("ListModelPackages", "CreationTimeAfter", "this filter is not implemented locally; filter the CreationTime of the summaries"),
    rejected("ListModelPackages", "CreationTimeBefore", "this filter is not implemented locally; filter the CreationTime of the summaries"),
    implemented("ListModelPackages", "MaxResults", REGISTRY_PAGES),
    implemented("ListModelPackages", "NameContains", REGISTRY_LISTS),
    implemented("ListModelPackages", "ModelApprovalStatus", REGISTRY_VERSIONS),
    implemented("ListModelPackages", "ModelPackageGroupName", REGISTRY_VERSIONS),
    implemented("ListModelPackages", "ModelPackageType", REGISTRY_LISTS, "every local package is versioned, so Unversioned lists none"),
    implemented("ListModelPackages", "NextToken", REGISTRY_PAGES),
    implemented("ListModelPackages", "SortBy", REGISTRY_VERSIONS),
    implemented("ListModelPackages", "SortOrder", REGISTRY_VERSIONS),
    implemented("UpdateModelPackage", "ModelPackageArn", REGISTRY_VERSIONS),
    implemented("UpdateModelPackage", "ModelApprovalStatus", REGISTRY_VERSIONS),
    rejected("UpdateModelPackage", "ModelPackageRegistrationType", "cannot be updated by the local service"),
    implemented("UpdateModelPackage", "ApprovalDescription", PACKAGE_UPDATE),
    implemented("UpdateModelPackage", "CustomerMetadataProperties", PACKAGE_UPDATE, "merged into the version's properties"),
    implemented("UpdateModelPackage", "CustomerMetadataPropertiesToRemove", PACKAGE_UPDATE),
    rejected("UpdateModelPackage", "AdditionalInferenceSpecificationsToAdd", "cannot be updated by the local service"),
    implemented("UpdateModelPackage", "InferenceSpecification", PACKAGE_UPDATE, "replaces the version's; its ModelDataUrl must exist, as on create", covers_members=True),
    implemented("UpdateModelPackage", "SourceUri", PACKAGE_UPDATE),
    implemented("UpdateModelPackage", "ModelCard", PACKAGE_UPDATE, "replaces the version's", covers_members=True),
    rejected("UpdateModelPackage", "ModelLifeCycle", "cannot be updated by the local service"),
    rejected("UpdateModelPackage", "ClientToken", "idempotency tokens are not honoured locally"),
    # --- tags ------------------------------------------------------------------------------------------
    implemented("AddTags", "ResourceArn", TAGS_AND_LISTS),
    implemented("AddTags", "Tags", TAGS_AND_LISTS, covers_members=True),
    implemented("ListTags", "ResourceArn", TAGS_AND_LISTS),
    no_local_effect("ListTags", "NextToken", "never needed: a resource holds at most 50 tags and MaxResults is at least 50, so every answer is one page"),
    no_local_effect("ListTags", "MaxResults", "never needed: a resource holds at most 50 tags and MaxResults is at least 50, so every answer is one page"),
    implemented("DeleteTags", "ResourceArn", MODEL_LISTS),
    implemented("DeleteTags", "TagKeys", MODEL_LISTS),
    # --- SageMaker Pipelines ---------------------------------------------------------------------------
    *PIPELINE_ROWS,
)
# fmt: on

# (operation, path prefix) -> (operation, path prefix) whose rows apply to members without a row of their own.
ALIASES: dict[tuple[str, str], tuple[str, str]] = {
    ("CreateHyperParameterTuningJob", "TrainingJobDefinition."): ("CreateTrainingJob", ""),
    ("CreateModel", "Containers[]."): ("CreateModel", "PrimaryContainer."),
}
