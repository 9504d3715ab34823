"""Fault injection: off by default, configured by a plan, counted per rule, in SageMaker's and S3's error shapes."""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError

from local_sagemaker import faults
from local_sagemaker.app import build_context, create_app
from local_sagemaker.config import ServiceSettings
from local_sagemaker.job_errors import AlgorithmError
from local_sagemaker.s3io import DataError, download_object, download_prefix
from local_sagemaker.store import Store

if TYPE_CHECKING:
    from starlette.testclient import TestClient


def plan(*rules: dict[str, Any], seed: int = 0) -> faults.FaultPlan:
    return faults.parse_plan(json.dumps({"seed": seed, "faults": list(rules)}))


def book(tmp_path: Path, *rules: dict[str, Any], seed: int = 0) -> faults.FaultBook:
    installed = faults.install(tmp_path, plan(*rules, seed=seed))
    assert installed is not None
    return installed


# the plan
def test_faults_are_off_unless_configured(tmp_path: Path) -> None:
    assert faults.plan_from(None, {}) is None
    assert faults.plan_from(None, {faults.ENV_VAR: "  "}) is None
    assert faults.install(tmp_path, None) is None
    assert faults.installed(tmp_path) is None


def test_a_plan_comes_from_the_environment_or_a_file_and_the_file_wins(tmp_path: Path) -> None:
    from_env = faults.plan_from(
        None, {faults.ENV_VAR: '[{"fault": "throttle", "operation": "CreateTrainingJob", "times": 2}]'}
    )
    assert from_env is not None
    assert from_env.rule_ids() == ["0-throttle"]
    file = tmp_path / "plan.json"
    file.write_text(
        '{"seed": 3, "faults": [{"id": "hang-train", "fault": "hang", "job": "tt-train-*", "times": 1}]}'
    )
    from_file = faults.plan_from(str(file), {faults.ENV_VAR: "[]"})
    assert from_file is not None
    assert (from_file.seed, from_file.rule_ids()) == (3, ["hang-train"])
    with pytest.raises(faults.FaultPlanError, match="cannot read it"):
        faults.plan_from(str(tmp_path / "missing.json"), {})


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"fault": "throttle", "operation": "CreateTrainingJob"}, "say how often"),
        ({"fault": "throttle", "times": 1}, "needs `operation`"),
        ({"fault": "algorithm_error", "times": 1}, "needs `job`"),
        ({"fault": "hang", "job": "*", "times": 1, "after": True}, "only to server_error"),
        ({"fault": "throttle", "operation": "X", "times": 1, "max_runtime_seconds": 3}, "only to hang"),
        ({"fault": "server_error", "operation": "X", "times": 1, "code": "Oops"}, "code must be one of"),
        ({"fault": "server_error", "operation": "X", "times": 1, "code": "ThrottlingException"}, "one of"),
        ({"fault": "throttle", "operation": "X", "times": 1, "job_kind": "training-job"}, "job faults"),
        ({"fault": "hang", "job": "*", "times": 1, "code": "SlowDown"}, "no `code`"),
        ({"fault": "crash", "times": 1}, "needs `job`"),
        ({"fault": "crash", "job": "*", "times": 1, "max_runtime_seconds": 3}, "only to hang"),
        ({"fault": "throttle", "operation": "X", "times": 0}, "greater than or equal to 1"),
        ({"fault": "throttle", "operation": "X", "rate": 1.5}, "less than or equal to 1"),
        ({"fault": "throttle", "operation": "X", "times": 1, "typo": 1}, "Extra inputs"),
        ({"fault": "meteor", "times": 1}, "fault"),
    ],
)
def test_a_bad_rule_is_refused_with_the_reason(rule: dict[str, Any], message: str) -> None:
    with pytest.raises(faults.FaultPlanError, match=message):
        faults.parse_plan(json.dumps([rule]))


def test_bad_json_and_duplicate_ids_are_refused() -> None:
    with pytest.raises(faults.FaultPlanError, match="not valid JSON"):
        faults.parse_plan("{faults: []")
    twice = {"id": "x", "fault": "throttle", "operation": "A", "times": 1}
    with pytest.raises(faults.FaultPlanError, match="unique"):
        faults.parse_plan(json.dumps([twice, twice]))


# counting
def test_times_injects_into_the_first_n_matching_calls_and_counts_them(tmp_path: Path) -> None:
    faulty = book(tmp_path, {"fault": "throttle", "operation": "CreateTrainingJob", "times": 2})
    answers = [faulty.api_fault("CreateTrainingJob", {}, after=False) for _ in range(4)]
    assert faulty.api_fault("DescribeTrainingJob", {}, after=False) is None
    assert [a is not None for a in answers] == [True, True, False, False]
    error = answers[0]
    assert error is not None
    assert (error.code, error.status, error.message) == ("ThrottlingException", 400, "Rate exceeded")
    assert faulty.counts() == {"0-throttle": {"fault": "throttle", "matched": 4, "injected": 2}}


def test_server_errors_default_to_sagemakers_codes_and_statuses(tmp_path: Path) -> None:
    faulty = book(
        tmp_path,
        {"fault": "server_error", "operation": "Describe*", "times": 1},
        {"fault": "server_error", "operation": "List*", "code": "ServiceUnavailable", "times": 1},
    )
    internal = faulty.api_fault("DescribeTrainingJob", {}, after=False)
    unavailable = faulty.api_fault("ListTrainingJobs", {}, after=False)
    assert internal is not None and unavailable is not None
    assert (internal.code, internal.status) == ("InternalFailure", 500)
    assert (unavailable.code, unavailable.status) == ("ServiceUnavailable", 503)


def test_api_faults_can_target_a_job_by_name(tmp_path: Path) -> None:
    faulty = book(tmp_path, {"fault": "throttle", "operation": "*", "job": "tt-train-*", "times": 5})
    assert faulty.api_fault("DescribeTrainingJob", {"TrainingJobName": "tt-seed-1"}, after=False) is None
    assert faulty.api_fault("ListTrainingJobs", {}, after=False) is None
    assert faulty.api_fault("DescribeTrainingJob", {"TrainingJobName": "tt-train-1"}, after=False)


def test_a_rate_is_reproducible_from_the_seed(tmp_path: Path) -> None:
    rule = {"fault": "server_error", "operation": "*", "rate": 0.3}
    first = book(tmp_path / "a", rule, seed=7)
    again = book(tmp_path / "b", rule, seed=7)
    other = book(tmp_path / "c", rule, seed=8)
    draws = [
        [b.api_fault("X", {}, after=False) is not None for _ in range(200)] for b in (first, again, other)
    ]
    assert draws[0] == draws[1] != draws[2]
    assert 30 < sum(draws[0]) < 90


def test_rate_and_times_together_cap_the_injections(tmp_path: Path) -> None:
    faulty = book(tmp_path, {"fault": "throttle", "operation": "*", "rate": 0.5, "times": 3})
    assert sum(faulty.api_fault("X", {}, after=False) is not None for _ in range(100)) == 3


def test_counts_are_shared_by_every_process_and_thread_of_the_service(tmp_path: Path) -> None:
    server = book(tmp_path, {"fault": "throttle", "operation": "*", "times": 50})
    worker = faults.installed(tmp_path)  # what a job's worker process loads
    assert worker is not None
    injected: list[bool] = []
    lock = threading.Lock()

    def call(b: faults.FaultBook) -> None:
        for _ in range(25):
            hit = b.api_fault("X", {}, after=False) is not None
            with lock:
                injected.append(hit)

    threads = [threading.Thread(target=call, args=(b,)) for b in (server, worker) * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(injected) == 50
    assert server.counts()["0-throttle"] == {"fault": "throttle", "matched": 200, "injected": 50}


def test_a_restart_with_the_same_plan_keeps_the_counts_and_a_new_plan_starts_afresh(tmp_path: Path) -> None:
    rule = {"fault": "throttle", "operation": "*", "times": 1}
    assert book(tmp_path, rule).api_fault("X", {}, after=False) is not None
    restarted = book(tmp_path, rule)
    assert restarted.api_fault("X", {}, after=False) is None
    assert restarted.counts()["0-throttle"]["injected"] == 1
    changed = book(tmp_path, {**rule, "times": 2})
    assert changed.counts()["0-throttle"]["injected"] == 0
    faults.install(tmp_path, None)
    assert not (tmp_path / faults.PLAN_FILE).exists() and not (tmp_path / faults.COUNTS_FILE).exists()


# job faults
class FakeRunner:
    """What a fault needs of a JobRunner."""

    class Kind:
        kind = "training-job"

    def __init__(self, store: Store, name: str, stop_after: int = 3) -> None:
        self.kind = self.Kind()
        self.store = store
        self.name = name
        self.lines: list[str] = []
        self.log = self
        self.checks = 0
        self.stop_after = stop_after

    def write(self, line: str) -> None:
        self.lines.append(line)

    def flush(self) -> None:
        pass

    def secondary(self, status: str, message: str) -> None:
        self.lines.append(status)

    def check_stop(self) -> None:
        self.checks += 1
        if self.checks >= self.stop_after:
            raise InterruptedError("stopped")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    db = Store(tmp_path / "state.db")
    for name in ("tt-train-1", "tt-train-1-a2", "tt-seed-1"):
        db.create("training-job", name, f"arn:{name}", {"TrainingJobStatus": "InProgress"})
    return db


def test_an_algorithm_error_fails_the_first_attempt_only(tmp_path: Path, store: Store) -> None:
    faulty = book(
        tmp_path,
        {"fault": "algorithm_error", "job": "tt-train-*", "exclude": "*-a[0-9]", "times": 5, "id": "alg"},
    )
    faulty.run_job_fault(FakeRunner(store, "tt-seed-1"))
    faulty.run_job_fault(FakeRunner(store, "tt-train-1-a2"))
    with pytest.raises(AlgorithmError, match=r"injected fault \(LOCAL_SAGEMAKER_FAULTS rule alg\)"):
        faulty.run_job_fault(FakeRunner(store, "tt-train-1"))
    assert faulty.counts()["alg"]["injected"] == 1


def test_job_faults_can_be_limited_to_a_job_kind(tmp_path: Path, store: Store) -> None:
    faulty = book(tmp_path, {"fault": "algorithm_error", "job": "*", "job_kind": "transform-job", "times": 1})
    faulty.run_job_fault(FakeRunner(store, "tt-train-1"))
    assert faulty.counts()["0-algorithm_error"]["matched"] == 0


def test_a_hang_waits_for_a_stop_and_may_shorten_the_enforced_max_runtime(
    tmp_path: Path, store: Store
) -> None:
    faulty = book(tmp_path, {"fault": "hang", "job": "tt-train-1", "times": 1, "max_runtime_seconds": 4})
    runner = FakeRunner(store, "tt-train-1", stop_after=3)
    with pytest.raises(InterruptedError):
        faulty.run_job_fault(runner)
    assert runner.checks == 3
    runtime = store.runtime("training-job", "tt-train-1")
    assert faults.effective_max_runtime(3600, runtime) == 4
    assert faults.effective_max_runtime(3600, {}) == 3600
    assert faults.effective_max_runtime(None, {}) is None


def _job_start_in_a_worker(state_dir: Path, store: Store, name: str) -> None:
    # As a job worker does: its own FaultBook (its own SQLite connection), read from the state folder.
    book_of_worker = faults.installed(state_dir)
    assert book_of_worker is not None
    book_of_worker.run_job_fault(FakeRunner(store, name))


def test_a_crash_kills_the_jobs_process_once(tmp_path: Path, store: Store) -> None:
    """`crash`: the worker dies of SIGKILL mid-job (what the OOM killer sends); a later attempt runs."""
    import multiprocessing
    import signal

    faulty = book(
        tmp_path, {"fault": "crash", "job": "tt-train-*", "exclude": "*-a[0-9]", "times": 1, "id": "c"}
    )
    worker = multiprocessing.get_context("fork").Process(
        target=_job_start_in_a_worker, args=(tmp_path, store, "tt-train-1")
    )
    worker.start()
    worker.join(timeout=30)
    assert worker.exitcode == -signal.SIGKILL
    faulty.run_job_fault(FakeRunner(store, "tt-train-1-a2"))  # returns: the later attempt is spared
    assert faulty.counts()["c"] == {"fault": "crash", "matched": 1, "injected": 1}


# the API: protocol and HTTP
@pytest.fixture
def settings(tmp_path: Path) -> ServiceSettings:
    return ServiceSettings(
        state_dir=tmp_path / "service",
        s3_endpoint_url="http://127.0.0.1:1",
        logs_endpoint_url="http://127.0.0.1:1",
    )


def app_client(app: Any) -> TestClient:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    return TestClient(app, raise_server_exceptions=False)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self.body


def sagemaker_through(client: TestClient, max_attempts: int) -> Any:
    """A real boto3 SageMaker client whose HTTP goes to the in-process app."""
    sagemaker = boto3.client(
        "sagemaker",
        region_name="us-east-1",
        endpoint_url="http://testserver",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "max_attempts": max_attempts}),
    )

    def send(request: Any, **kwargs: Any) -> Any:
        answer = client.request(
            request.method, request.url, content=request.body, headers=dict(request.headers)
        )
        headers: Any = dict(answer.headers)
        return AWSResponse(request.url, answer.status_code, headers, _Raw(answer.content))

    sagemaker.meta.events.register("before-send.sagemaker", send)
    return sagemaker


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    # botocore sleeps between retries through its endpoint module's `time`.
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda seconds: None)


def test_boto3_retries_ride_over_throttling_and_5xx_and_the_service_counts_them(
    settings: ServiceSettings, no_backoff: None
) -> None:
    faulty = faults.install(
        settings.state_dir,
        plan(
            {"fault": "throttle", "operation": "ListTrainingJobs", "times": 2},
            {
                "fault": "server_error",
                "operation": "ListTrainingJobs",
                "code": "ServiceUnavailable",
                "times": 1,
            },
            {"fault": "server_error", "operation": "ListModels", "times": 1},
        ),
    )
    client = app_client(create_app(build_context(settings), faults=faulty))
    sagemaker = sagemaker_through(client, max_attempts=5)
    listed = sagemaker.list_training_jobs()
    assert listed["TrainingJobSummaries"] == []
    assert listed["ResponseMetadata"]["RetryAttempts"] == 3
    assert sagemaker.list_models()["ResponseMetadata"]["RetryAttempts"] == 1
    report = client.get("/_faults").json()
    assert {k: v["injected"] for k, v in report["counts"].items()} == {
        "0-throttle": 2,
        "1-server_error": 1,
        "2-server_error": 1,
    }
    assert report["plan"]["faults"][0]["operation"] == "ListTrainingJobs"


def test_a_fault_that_outlasts_the_retries_reaches_the_caller_in_sagemakers_shape(
    settings: ServiceSettings, no_backoff: None
) -> None:
    faulty = faults.install(settings.state_dir, plan({"fault": "throttle", "operation": "*", "times": 10}))
    sagemaker = sagemaker_through(app_client(create_app(build_context(settings), faults=faulty)), 3)
    with pytest.raises(ClientError) as caught:
        sagemaker.list_training_jobs()
    assert caught.value.response["Error"] == {"Code": "ThrottlingException", "Message": "Rate exceeded"}
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_lost_answer_still_takes_effect(settings: ServiceSettings, no_backoff: None) -> None:
    faulty = faults.install(
        settings.state_dir,
        plan({"fault": "server_error", "operation": "CreateModelPackageGroup", "after": True, "times": 1}),
    )
    app = app_client(create_app(build_context(settings), faults=faulty))
    # botocore's `max_attempts` counts retries: 0 is a single try, which sees the lost answer.
    with pytest.raises(ClientError, match="InternalFailure"):
        sagemaker_through(app, 0).create_model_package_group(ModelPackageGroupName="lost-answer")
    # An SDK retry of a lost answer meets the resource its first try made: callers must look before retrying.
    faults.install(settings.state_dir, None)
    with pytest.raises(ClientError, match="already exists"):
        sagemaker_through(app, 1).create_model_package_group(ModelPackageGroupName="lost-answer")
    sagemaker = sagemaker_through(app, 0)
    described = sagemaker.describe_model_package_group(ModelPackageGroupName="lost-answer")
    assert described["ModelPackageGroupName"] == "lost-answer"


def test_the_fault_report_exists_only_while_faults_are_on(settings: ServiceSettings) -> None:
    assert app_client(create_app(build_context(settings))).get("/_faults").status_code == 404
    faulty = faults.install(settings.state_dir, plan({"fault": "throttle", "operation": "*", "times": 1}))
    answer = app_client(create_app(build_context(settings), faults=faulty)).get("/_faults")
    assert answer.status_code == 200
    assert answer.json()["counts"] == {"0-throttle": {"fault": "throttle", "matched": 0, "injected": 0}}


# S3 reads of a job
def s3_client(max_attempts: int) -> Any:
    return boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "max_attempts": max_attempts}),
    )


def fake_s3_listing(client: Any) -> None:
    """Stands in for S3 once the injected errors run out: an empty listing."""
    body = b"<?xml version='1.0'?><ListBucketResult><Name>b</Name><KeyCount>0</KeyCount></ListBucketResult>"

    def send(request: Any, event_name: str = "", **kwargs: Any) -> AWSResponse | None:
        if not event_name.endswith(".ListObjectsV2"):
            return None
        headers: Any = {"Content-Type": "application/xml"}
        return AWSResponse(request.url, 200, headers, _Raw(body))

    # Same event as the fault hook, registered after it: botocore asks the more specific handlers first.
    client.meta.events.register("before-send.s3", send)


def test_transient_s3_read_errors_are_retried_by_the_jobs_s3_client(tmp_path: Path, no_backoff: None) -> None:
    faulty = book(tmp_path, {"fault": "s3_read_error", "job": "tt-train-*", "code": "SlowDown", "times": 2})
    client = s3_client(max_attempts=5)
    faulty.instrument_s3(client, "training-job", "tt-train-1")
    fake_s3_listing(client)
    answer = client.list_objects_v2(Bucket="b", Prefix="p")
    assert answer["ResponseMetadata"]["RetryAttempts"] == 2
    assert faulty.counts()["0-s3_read_error"]["injected"] == 2


def test_an_s3_error_the_retries_cannot_fix_fails_the_job_with_a_client_error(
    tmp_path: Path, no_backoff: None
) -> None:
    faulty = book(
        tmp_path, {"fault": "s3_read_error", "job": "tt-train-*", "code": "AccessDenied", "times": 5}
    )
    client = s3_client(max_attempts=5)
    faulty.instrument_s3(client, "training-job", "tt-train-1")
    with pytest.raises(DataError, match=r"ListObjectsV2 failed for s3://b/p: AccessDenied: Access Denied"):
        download_prefix(client, "s3://b/p", tmp_path / "data")
    assert faulty.counts()["0-s3_read_error"]["injected"] == 1  # a 403 is not retried
    with pytest.raises(DataError, match=r"Data download failed:Unable to download object s3://b/k \(403: "):
        download_object(client, "b", "k", tmp_path / "k")


def test_other_jobs_s3_clients_are_left_alone(tmp_path: Path) -> None:
    faulty = book(tmp_path, {"fault": "s3_read_error", "job": "tt-train-*", "times": 5})
    client = s3_client(max_attempts=1)
    faulty.instrument_s3(client, "transform-job", "tt-transform-1")
    fake_s3_listing(client)
    assert client.list_objects_v2(Bucket="b", Prefix="p")["KeyCount"] == 0


# the command line
def test_serve_refuses_a_bad_plan_before_it_binds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from local_sagemaker.__main__ import main

    args = ["serve", "--state-dir", str(tmp_path), "--s3-endpoint-url", "http://127.0.0.1:1", "--port", "1"]
    bad = tmp_path / "plan.json"
    bad.write_text('[{"fault": "throttle", "times": 1}]')
    assert main([*args, "--faults", str(bad)]) == 2
    assert "needs `operation`" in capsys.readouterr().err
    monkeypatch.setenv(faults.ENV_VAR, "not json")
    assert main(args) == 2
    assert "LOCAL_SAGEMAKER_FAULTS: not valid JSON" in capsys.readouterr().err
