"""Fault injection for tests of the DAGs' resilience: off unless a plan is configured, counted per rule.

A plan comes from `serve --faults FILE` or the `LOCAL_SAGEMAKER_FAULTS` environment variable (JSON), never
by default. It is a list of rules, or `{"seed": 0, "faults": [...]}`:

    {"fault": "throttle", "operation": "CreateTrainingJob", "times": 2}
    {"fault": "server_error", "operation": "Describe*Job", "code": "ServiceUnavailable", "rate": 0.2}
    {"fault": "server_error", "operation": "CreateTrainingJob", "after": true, "times": 1}
    {"fault": "algorithm_error", "job": "tt-train-*", "exclude": "*-a[0-9]", "times": 1}
    {"fault": "hang", "job": "tt-train-*", "times": 1, "max_runtime_seconds": 5}
    {"fault": "crash", "job": "nr-evaluate-*", "job_kind": "processing-job", "times": 1}
    {"fault": "s3_read_error", "job": "tt-train-*", "code": "SlowDown", "times": 2}

API faults (`throttle`, `server_error`) answer a matching call with SageMaker's JSON error shape instead of
running it; with `"after": true` the call takes effect and only its answer is lost, as when a response
times out. Job faults act inside the worker: `algorithm_error` ends the job Failed with an `AlgorithmError:`
reason, `crash` kills the job's worker process (SIGKILL, as the kernel's OOM killer would) once the job is
running, so the supervisor ends it Failed as a job whose process died, `hang` blocks the job until it is stopped (by StopXxxJob or `StoppingCondition.MaxRuntimeInSeconds`,
which then ends it Stopped / MaxRuntimeExceeded, as SageMaker does; `max_runtime_seconds` shortens the limit
the service enforces so a test need not wait an hour), and `s3_read_error` answers the job's S3 reads with
an HTTP error: the worker's S3 client retries transient codes as any AWS SDK does, and an error that
outlasts its retries (or one that is not retried, like AccessDenied) fails the job with a
`ClientError: Data download failed:...` reason, as SageMaker reports it.

`times` injects into the first N matching calls or jobs, `rate` into a (seeded, reproducible) share of them;
both may be given. Every decision is counted in `<state dir>/faults.db`, shared by the server and its
workers, and served at `GET /_faults` (which exists only while a plan is on). The counts survive a restart
with the same plan, like the rest of the service's state; a different plan starts from zero.
"""

from __future__ import annotations

import fnmatch
import json
import os
import random
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from local_sagemaker.errors import ServiceError

ENV_VAR = "LOCAL_SAGEMAKER_FAULTS"
PLAN_FILE = "faults.json"
COUNTS_FILE = "faults.db"
# Key in a job's private runtime record: the shortened MaxRuntimeInSeconds a `hang` fault asked for.
RUNTIME_LIMIT_KEY = "fault_max_runtime_seconds"

API_FAULTS = frozenset({"throttle", "server_error"})
JOB_FAULTS = frozenset({"algorithm_error", "crash", "hang"})
S3_READ_OPERATIONS = ("HeadObject", "GetObject", "ListObjectsV2", "ListObjects")

# The HTTP status SageMaker (JSON protocol) and S3 answer with for an error code.
API_STATUS = {"ThrottlingException": 400, "InternalFailure": 500, "ServiceUnavailable": 503}
SERVER_ERRORS = ("InternalFailure", "ServiceUnavailable")
S3_STATUS = {
    "InternalError": 500,
    "SlowDown": 503,
    "ServiceUnavailable": 503,
    "AccessDenied": 403,
    "NoSuchKey": 404,
}
DEFAULT_MESSAGES = {
    "ThrottlingException": "Rate exceeded",
    "InternalFailure": "An internal error occurred. Try your request again.",
    "ServiceUnavailable": "The service is unavailable. Try your request again.",
    "InternalError": "We encountered an internal error. Please try again.",
    "SlowDown": "Please reduce your request rate.",
    "AccessDenied": "Access Denied",
    "NoSuchKey": "The specified key does not exist.",
}


class FaultPlanError(ValueError):
    """The configured plan cannot be used; the message says which rule and why."""


class FaultRule(BaseModel):
    """One kind of fault, where it applies and how often."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fault: Literal["throttle", "server_error", "algorithm_error", "crash", "hang", "s3_read_error"]
    id: str | None = Field(default=None, min_length=1, max_length=64)
    operation: str | None = None  # SageMaker operation (or S3 read operation) name; a glob
    job: str | None = None  # glob on the job name (API faults: on the request's *Name members)
    exclude: str | None = None  # glob of job names never matched, e.g. "*-a[0-9]" for later attempts
    job_kind: (
        Literal["training-job", "transform-job", "processing-job", "hyper-parameter-tuning-job"] | None
    ) = None
    times: int | None = Field(default=None, ge=1)
    rate: float | None = Field(default=None, gt=0, le=1)
    code: str | None = None
    status: int | None = Field(default=None, ge=400, le=599)
    message: str | None = None
    after: bool = False
    max_runtime_seconds: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> FaultRule:
        if self.times is None and self.rate is None:
            raise ValueError("say how often: `times` (the first N matches) and/or `rate` (0 < rate <= 1)")
        if self.fault in API_FAULTS and not self.operation:
            raise ValueError(f"a {self.fault} fault needs `operation`, e.g. CreateTrainingJob or Describe*")
        if self.fault not in API_FAULTS and not self.job:
            raise ValueError(f"a {self.fault} fault needs `job`, a glob on job names such as tt-train-*")
        if self.after and self.fault != "server_error":
            raise ValueError("`after` applies only to server_error faults")
        if self.max_runtime_seconds is not None and self.fault != "hang":
            raise ValueError("`max_runtime_seconds` applies only to hang faults")
        if self.fault == "throttle" and self.code not in (None, "ThrottlingException"):
            raise ValueError(
                "a throttle fault always answers ThrottlingException; use server_error for others"
            )
        if self.fault == "server_error" and self.code not in (None, *SERVER_ERRORS):
            raise ValueError(f"server_error code must be one of {list(SERVER_ERRORS)}")
        if self.fault in API_FAULTS and self.job_kind:
            raise ValueError("`job_kind` applies to job faults; an API fault names its `operation`")
        if self.fault in JOB_FAULTS and (self.code or self.status):
            raise ValueError(f"a {self.fault} fault has no `code` or `status`")
        return self

    @property
    def error_code(self) -> str:
        if self.code:
            return self.code
        return {"throttle": "ThrottlingException", "s3_read_error": "InternalError"}.get(
            self.fault, "InternalFailure"
        )

    @property
    def http_status(self) -> int:
        if self.status:
            return self.status
        table = S3_STATUS if self.fault == "s3_read_error" else API_STATUS
        return table.get(self.error_code, 500)

    @property
    def error_message(self) -> str:
        return self.message or DEFAULT_MESSAGES.get(self.error_code, "Injected fault")

    def matches_job(self, name: str | None, kind: str | None = None) -> bool:
        if self.job_kind and kind != self.job_kind:
            return False
        if self.job is None:
            return True
        if name is None or not fnmatch.fnmatchcase(name, self.job):
            return False
        return not (self.exclude and fnmatch.fnmatchcase(name, self.exclude))

    def matches_operation(self, operation: str) -> bool:
        return self.operation is None or fnmatch.fnmatchcase(operation, self.operation)


class FaultPlan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = 0
    faults: tuple[FaultRule, ...] = ()

    def rule_ids(self) -> list[str]:
        return [rule.id or f"{index}-{rule.fault}" for index, rule in enumerate(self.faults)]


def parse_plan(text: str, source: str = ENV_VAR) -> FaultPlan:
    """A plan from JSON: a list of rules, or an object with `faults` (and optionally `seed`)."""
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise FaultPlanError(f"{source}: not valid JSON: {exc}") from exc
    if isinstance(raw, list):
        raw = {"faults": raw}
    try:
        plan = FaultPlan.model_validate(raw)
    except ValidationError as exc:
        raise FaultPlanError(f"{source}: invalid fault plan:\n{exc}") from exc
    ids = plan.rule_ids()
    if len(set(ids)) != len(ids):
        raise FaultPlanError(f"{source}: fault rule ids must be unique, got {ids}")
    return plan


def plan_from(path: str | None, environ: Mapping[str, str]) -> FaultPlan | None:
    """The configured plan: `--faults FILE` first, then the environment variable; None means faults off."""
    if path:
        try:
            return parse_plan(Path(path).read_text(), source=path)
        except OSError as exc:
            raise FaultPlanError(f"--faults {path}: cannot read it: {exc}") from exc
    text = environ.get(ENV_VAR, "").strip()
    return parse_plan(text) if text else None


class InjectedFault(ServiceError):
    """An API fault as the client sees it: SageMaker's `{"__type", "message"}` with the rule's status."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class _S3ErrorBody:
    """The raw stream botocore reads an injected S3 error response from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **kwargs: Any) -> Any:
        yield self._body


class FaultBook:
    """A plan and its counters. One per process; every decision is a short SQLite transaction."""

    def __init__(self, state_dir: Path, plan: FaultPlan) -> None:
        self.state_dir = state_dir
        self.plan = plan
        self.ids = plan.rule_ids()
        self._local = threading.local()
        self._db().execute(
            "CREATE TABLE IF NOT EXISTS counts (rule TEXT PRIMARY KEY, matched INTEGER NOT NULL DEFAULT 0, "
            "injected INTEGER NOT NULL DEFAULT 0)"
        )

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.state_dir / COUNTS_FILE, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            self._local.db = db
        return db

    def _decide(self, index: int) -> bool:
        """Count one match of rule `index` and say whether this one gets the fault."""
        rule, rule_id = self.plan.faults[index], self.ids[index]
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute("SELECT matched, injected FROM counts WHERE rule=?", (rule_id,)).fetchone()
            matched, injected = row if row else (0, 0)
            inject = rule.times is None or injected < rule.times
            if inject and rule.rate is not None:
                # Seeded by the rule and the match number: the same plan injects into the same calls.
                inject = random.Random(f"{self.plan.seed}:{rule_id}:{matched}").random() < rule.rate
            db.execute(
                "INSERT INTO counts (rule, matched, injected) VALUES (?, ?, ?) ON CONFLICT(rule) DO UPDATE "
                "SET matched=excluded.matched, injected=excluded.injected",
                (rule_id, matched + 1, injected + int(inject)),
            )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return inject

    def _first(
        self, faults: frozenset[str], accepts: Callable[[FaultRule], bool]
    ) -> tuple[str, FaultRule] | None:
        """The first rule of these kinds that matches and fires (each matching rule counts the match)."""
        for index, rule in enumerate(self.plan.faults):
            if rule.fault in faults and accepts(rule) and self._decide(index):
                return self.ids[index], rule
        return None

    def counts(self) -> dict[str, dict[str, Any]]:
        rows = {r[0]: r[1:] for r in self._db().execute("SELECT rule, matched, injected FROM counts")}
        return {
            rule_id: {
                "fault": rule.fault,
                "matched": rows.get(rule_id, (0, 0))[0],
                "injected": rows.get(rule_id, (0, 0))[1],
            }
            for rule_id, rule in zip(self.ids, self.plan.faults, strict=True)
        }

    def report(self) -> dict[str, Any]:
        return {
            "plan": self.plan.model_dump(mode="json", exclude_none=True),
            "counts": self.counts(),
        }

    # API level (the server's request thread)
    def api_fault(self, operation: str, params: Mapping[str, Any], after: bool) -> InjectedFault | None:
        """The error to answer this call with, if a rule fires: before running it, or (`after`) once it ran."""
        names = [v for k, v in params.items() if k.endswith("Name") and isinstance(v, str)]

        def accepts(rule: FaultRule) -> bool:
            if rule.after != after or not rule.matches_operation(operation):
                return False
            return rule.job is None or any(rule.matches_job(name) for name in names)

        fired = self._first(API_FAULTS, accepts)
        if fired is None:
            return None
        rule = fired[1]
        return InjectedFault(rule.error_code, rule.http_status, rule.error_message)

    # job level (the job's worker process)
    def job_fault(self, kind: str, name: str) -> tuple[str, FaultRule] | None:
        return self._first(JOB_FAULTS, lambda rule: rule.matches_job(name, kind))

    def instrument_s3(self, client: Any, kind: str, name: str) -> None:
        """Make `client` answer the job's S3 reads with the plan's errors (before they reach S3)."""
        if not any(
            rule.fault == "s3_read_error" and rule.matches_job(name, kind) for rule in self.plan.faults
        ):
            return

        def before_send(request: Any, event_name: str = "", **kwargs: Any) -> Any:
            from botocore.awsrequest import AWSResponse

            operation = event_name.rsplit(".", 1)[-1]
            if operation not in S3_READ_OPERATIONS:
                return None

            def accepts(rule: FaultRule) -> bool:
                return rule.matches_job(name, kind) and (
                    rule.operation is None or rule.matches_operation(operation)
                )

            fired = self._first(frozenset({"s3_read_error"}), accepts)
            if fired is None:
                return None
            rule = fired[1]
            body = (
                b""
                if request.method == "HEAD"
                else (
                    f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{escape(rule.error_code)}</Code>"
                    f"<Message>{escape(rule.error_message)}</Message><RequestId>injected-fault</RequestId></Error>"
                ).encode()
            )
            headers: Any = {"Content-Type": "application/xml", "x-amz-request-id": "injected-fault"}
            return AWSResponse(
                request.url,
                rule.http_status,
                headers,
                _S3ErrorBody(body),
            )

        client.meta.events.register("before-send.s3", before_send)

    def run_job_fault(self, runner: Any) -> None:
        """Called as a job starts: inject a job fault if a rule fires for it. `runner` is a JobRunner."""
        fired = self.job_fault(runner.kind.kind, runner.name)
        if fired is None:
            return
        rule_id, rule = fired
        if rule.fault == "algorithm_error":
            from local_sagemaker.job_errors import AlgorithmError

            runner.log.write(f"injected fault: {ENV_VAR} rule {rule_id} fails this job")
            raise AlgorithmError(
                rule.message
                or f"injected fault ({ENV_VAR} rule {rule_id}): the algorithm exited with status 1"
            )
        # crash and hang strike a job that is running, as a dying process or a dead data loader would.
        runner.secondary("Training", "Training image download completed. Training in progress.")
        if rule.fault == "crash":
            runner.log.write(f"injected fault: {ENV_VAR} rule {rule_id} kills this job's process (SIGKILL)")
            runner.log.flush()  # the line must reach the job's log before the process is gone
            os.kill(os.getpid(), signal.SIGKILL)
        if rule.max_runtime_seconds is not None:
            limit = rule.max_runtime_seconds
            runner.store.update(
                runner.kind.kind, runner.name, lambda job, runtime: runtime.update({RUNTIME_LIMIT_KEY: limit})
            )
        runner.log.write(f"injected fault: {ENV_VAR} rule {rule_id} hangs this job until it is stopped")
        while True:
            runner.check_stop()
            time.sleep(0.1)


def effective_max_runtime(limit: int | None, runtime: Mapping[str, Any]) -> int | None:
    """The MaxRuntimeInSeconds the supervisor enforces: a `hang` fault may have shortened it."""
    override = runtime.get(RUNTIME_LIMIT_KEY)
    return int(override) if override is not None else limit


def install(state_dir: Path, plan: FaultPlan | None) -> FaultBook | None:
    """Set the service's faults at start-up: write the plan for the workers, or remove any earlier one."""
    plan_file, counts_file = state_dir / PLAN_FILE, state_dir / COUNTS_FILE
    if plan is None:
        for path in (plan_file, counts_file, Path(f"{counts_file}-wal"), Path(f"{counts_file}-shm")):
            path.unlink(missing_ok=True)
        return None
    text = plan.model_dump_json()
    same = plan_file.exists() and plan_file.read_text() == text
    if not same:
        for path in (counts_file, Path(f"{counts_file}-wal"), Path(f"{counts_file}-shm")):
            path.unlink(missing_ok=True)
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = plan_file.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, plan_file)
    return FaultBook(state_dir, plan)


def installed(state_dir: Path) -> FaultBook | None:
    """The plan the service installed (read by job workers), or None when faults are off."""
    try:
        text = (state_dir / PLAN_FILE).read_text()
    except FileNotFoundError:
        return None
    return FaultBook(state_dir, FaultPlan.model_validate_json(text))
