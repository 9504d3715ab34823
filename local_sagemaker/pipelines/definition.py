"""A pipeline definition (schema 2020-12-01) read and checked: parameters, steps, dependencies, branches."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from local_sagemaker.errors import ValidationException

SCHEMA_VERSION = "2020-12-01"
PARAMETER_TYPES = ("String", "Integer", "Float", "Boolean")
# Step types the local service runs; the others are refused by name when the pipeline is created.
JOB_STEP_TYPES = ("Processing", "Training", "Transform", "Tuning")
STEP_TYPES = (*JOB_STEP_TYPES, "Model", "RegisterModel", "Condition", "Fail")
RETRY_EXCEPTION_TYPES = (
    "Step.SERVICE_FAULT",
    "Step.THROTTLING",
    "SageMaker.JOB_INTERNAL_ERROR",
    "SageMaker.CAPACITY_ERROR",
    "SageMaker.RESOURCE_LIMIT",
)
EXECUTION_VARIABLES = (
    "PipelineName",
    "PipelineArn",
    "PipelineExecutionId",
    "PipelineExecutionArn",
    "StartDateTime",
    "CurrentDateTime",
)
_STEP_NAME = re.compile(r"^[A-Za-z0-9\-_]{1,64}$")
_STEP_REFERENCE = re.compile(r"^Steps\.([A-Za-z0-9\-_]+)")
_DURATION = re.compile(
    r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)
_DURATION_UNITS = (365 * 86400, 30 * 86400, 7 * 86400, 86400, 3600, 60, 1)


def seconds_of(duration: str | None) -> float | None:
    """An ISO 8601 duration (CacheConfig.ExpireAfter: `PT1H`, `P30D`) in seconds; None when not given."""
    if duration is None:
        return None
    match = _DURATION.match(duration)
    if match is None or duration in ("P", "PT") or duration.endswith("T"):
        raise ValidationException(
            f"CacheConfig.ExpireAfter: {duration!r} is not an ISO 8601 duration; use e.g. 'PT1H' or 'P30D'"
        )
    return sum(float(v) * unit for v, unit in zip(match.groups(), _DURATION_UNITS, strict=True) if v)


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    default: Any

    def coerce(self, value: Any) -> Any:
        """A value given to StartPipelineExecution (always a string on the wire) as this parameter's type."""
        try:
            if self.type == "Integer":
                return int(value)
            if self.type == "Float":
                return float(value)
            if self.type == "Boolean":
                if isinstance(value, bool):
                    return value
                if str(value).lower() not in ("true", "false"):
                    raise ValueError(value)
                return str(value).lower() == "true"
        except ValueError as exc:
            raise ValidationException(
                f"PipelineParameters: {self.name!r} is a {self.type} parameter; {value!r} is not a valid "
                f"{self.type.lower()} value"
            ) from exc
        return str(value)


@dataclass
class StepDefinition:
    name: str
    type: str
    arguments: Any
    raw: dict[str, Any]
    depends_on: set[str] = field(default_factory=set)
    # (condition step, "IfSteps" | "ElseSteps") when the step sits in a condition's branch.
    branch: tuple[str, str] | None = None

    @property
    def cache(self) -> dict[str, Any] | None:
        cache = self.raw.get("CacheConfig")
        return cache if cache and cache.get("Enabled") else None

    @property
    def retry_policies(self) -> list[dict[str, Any]]:
        return list(self.raw.get("RetryPolicies") or [])

    @property
    def property_files(self) -> dict[str, dict[str, Any]]:
        return {p["PropertyFileName"]: p for p in self.raw.get("PropertyFiles") or []}


@dataclass
class PipelineDefinition:
    parameters: dict[str, Parameter]
    steps: dict[str, StepDefinition]
    experiment_config: dict[str, Any] | None

    def resolve_parameters(self, given: list[dict[str, str]]) -> dict[str, Any]:
        values = {name: p.default for name, p in self.parameters.items()}
        for item in given:
            parameter = self.parameters.get(item["Name"])
            if parameter is None:
                known = ", ".join(self.parameters) or "none"
                raise ValidationException(
                    f"PipelineParameters: {item['Name']!r} is not a parameter of this pipeline "
                    f"(its parameters: {known})"
                )
            values[item["Name"]] = parameter.coerce(item["Value"])
        missing = [name for name, value in values.items() if value is None]
        if missing:
            raise ValidationException(
                f"PipelineParameters: give a value for {', '.join(missing)}; they have no default value"
            )
        return values


def parse_definition(text: str) -> PipelineDefinition:
    """The definition as the service keeps it; anything it cannot run is a ValidationException naming it."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationException(f"PipelineDefinition is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise ValidationException(
            "PipelineDefinition must be a JSON object with Version, Parameters and Steps"
        )
    version = document.get("Version")
    if version != SCHEMA_VERSION:
        raise ValidationException(
            f"PipelineDefinition.Version: {version!r} is not supported; use {SCHEMA_VERSION!r}"
        )
    parameters = {}
    for item in document.get("Parameters") or []:
        kind = item.get("Type")
        if kind not in PARAMETER_TYPES:
            raise ValidationException(
                f"PipelineDefinition.Parameters {item.get('Name')!r}: Type {kind!r} is not one of "
                f"{', '.join(PARAMETER_TYPES)}"
            )
        parameter = Parameter(item["Name"], kind, None)
        default = item.get("DefaultValue")
        parameters[item["Name"]] = Parameter(
            item["Name"], kind, None if default is None else parameter.coerce(default)
        )
    steps: dict[str, StepDefinition] = {}
    top = document.get("Steps")
    if not isinstance(top, list) or not top:
        raise ValidationException("PipelineDefinition.Steps must be a non-empty list of steps")
    _collect(top, None, steps)
    for step in steps.values():
        _check_references(step, steps, parameters)
    _check_acyclic(steps)
    return PipelineDefinition(parameters, steps, document.get("PipelineExperimentConfig"))


def _collect(items: list[Any], branch: tuple[str, str] | None, steps: dict[str, StepDefinition]) -> None:
    for raw in items:
        if not isinstance(raw, dict) or "Name" not in raw or "Type" not in raw:
            raise ValidationException(f"PipelineDefinition: every step needs a Name and a Type, got {raw!r}")
        name, kind = raw["Name"], raw["Type"]
        if not _STEP_NAME.match(name):
            raise ValidationException(
                f"PipelineDefinition step name {name!r} must match [A-Za-z0-9\\-_]{{1,64}}"
            )
        if name in steps:
            raise ValidationException(f"PipelineDefinition: the step name {name!r} is used more than once")
        if kind not in STEP_TYPES:
            raise ValidationException(
                f"PipelineDefinition step {name!r}: Type {kind!r} is not supported by the local service; "
                f"supported step types are {', '.join(STEP_TYPES)}"
            )
        step = StepDefinition(
            name, kind, raw.get("Arguments") or {}, raw, set(raw.get("DependsOn") or []), branch
        )
        steps[name] = step
        if step.cache:
            seconds_of(step.cache.get("ExpireAfter"))
        for policy in step.retry_policies:
            unknown = set(policy.get("ExceptionType") or []) - set(RETRY_EXCEPTION_TYPES)
            if unknown:
                raise ValidationException(
                    f"PipelineDefinition step {name!r}: RetryPolicies ExceptionType {sorted(unknown)} is not "
                    f"one of {', '.join(RETRY_EXCEPTION_TYPES)}"
                )
        if kind == "Condition":
            for key in ("IfSteps", "ElseSteps"):
                _collect(step.arguments.get(key) or [], (name, key), steps)


def references(value: Any) -> tuple[set[str], set[str]]:
    """The steps and the parameters an argument refers to, anywhere inside it."""
    steps: set[str] = set()
    parameters: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            get = node.get("Get")
            if isinstance(get, str) and len(node) == 1:
                if match := _STEP_REFERENCE.match(get):
                    steps.add(match.group(1))
                elif get.startswith("Parameters."):
                    parameters.add(get.split(".", 1)[1])
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(value)
    return steps, parameters


def _check_references(
    step: StepDefinition, steps: dict[str, StepDefinition], parameters: dict[str, Parameter]
) -> None:
    arguments = step.arguments
    if step.type == "Condition":  # the branches are steps of their own
        arguments = {k: v for k, v in arguments.items() if k not in ("IfSteps", "ElseSteps")}
    used_steps, used_parameters = references(arguments)
    for name in sorted(used_parameters - set(parameters)):
        raise ValidationException(
            f"PipelineDefinition step {step.name!r} refers to Parameters.{name}, which the pipeline does not declare"
        )
    for name in sorted((used_steps | step.depends_on) - set(steps)):
        raise ValidationException(
            f"PipelineDefinition step {step.name!r} refers to the step {name!r}, which the pipeline does not have"
        )
    step.depends_on |= used_steps - {step.name}
    if step.branch:
        step.depends_on.add(step.branch[0])


def _check_acyclic(steps: dict[str, StepDefinition]) -> None:
    done: set[str] = set()
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            cycle = " -> ".join([*visiting[visiting.index(name) :], name])
            raise ValidationException(
                f"PipelineDefinition: the steps depend on each other in a cycle: {cycle}"
            )
        visiting.append(name)
        for dependency in sorted(steps[name].depends_on):
            visit(dependency)
        visiting.pop()
        done.add(name)

    for name in steps:
        visit(name)
