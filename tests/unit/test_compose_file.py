"""docker-compose.yaml checked without Docker: Compose schema, references, variables, and the local wiring."""

from __future__ import annotations

import argparse
import fnmatch
import itertools
import json
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yaml"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"
# compose-spec/compose-spec, schema/compose-spec.json (commit 170098ba07d9), vendored: tests stay offline.
SCHEMA_FILE = REPO_ROOT / "tests" / "data" / "compose-spec.json"

AIRFLOW_SERVICES = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-worker": "celery worker",
}
LOCAL_AWS_SERVICES = {"minio", "moto", "local-sagemaker", "create-bucket"}
EXPECTED_SERVICES = {"postgres", "redis", "airflow-init", *AIRFLOW_SERVICES, *LOCAL_AWS_SERVICES}
# What Airflow reads from the mounts, and where the DAGs' own packages are imported from.
PROJECT_MOUNTS = {
    "./dags": "/opt/airflow/dags",
    "./include": "/opt/airflow/include",
    "./plugins": "/opt/airflow/plugins",
}

# Compose's interpolation: $$ escapes, ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error},
# ${NAME?error}, ${NAME:+other}, ${NAME+other}, $NAME. Any other `$` is an error for compose too.
_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<invalid>))"
)


# ---------------------------------------------------------------------------------------------- helpers
def interpolate_text(text: str, env: Mapping[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        if match["invalid"] is not None:
            raise ValueError(f"invalid interpolation at {text[match.start() : match.start() + 20]!r}")
        name = match["braced"] or match["named"]
        value = env.get(name)
        op, arg = match["op"], match["arg"] or ""
        if op is None:
            return value or ""
        is_set = value is not None if op[0] != ":" else bool(value)
        if op.endswith("-"):
            return value if is_set and value is not None else arg
        if op.endswith("?"):
            if not is_set:
                raise ValueError(f"required variable {name} is not set: {arg}")
            return value or ""
        return arg if is_set else ""  # the "+" forms

    return _VARIABLE.sub(substitute, text)


def interpolate(value: Any, env: Mapping[str, str]) -> Any:
    """Compose interpolates values, not keys."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if isinstance(value, str):
        return interpolate_text(value, env)
    return value


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, str):
        yield value


def variable_references(data: Any) -> list[tuple[str, str | None, str]]:
    """(name, operator, argument) of every variable the file interpolates."""
    found = []
    for text in strings(data):
        for match in _VARIABLE.finditer(text):
            if match["invalid"] is not None:
                raise AssertionError(f"invalid interpolation in {text!r}")
            if not match["escaped"]:
                found.append((match["braced"] or match["named"], match["op"], match["arg"] or ""))
    return found


def read_env_file(path: Path) -> dict[str, str]:
    env = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name), f"{path.name}:{number}: not NAME=value"
        assert name not in env, f"{path.name}:{number}: {name} is set twice"
        env[name] = value
    return env


def depends_on(service: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    deps = service.get("depends_on", {})
    if isinstance(deps, list):
        return {name: {"condition": "service_started"} for name in deps}
    return dict(deps)


def volume_mounts(service: Mapping[str, Any]) -> list[tuple[str | None, str]]:
    """(source, target) of each mount; source None for an anonymous volume."""
    mounts: list[tuple[str | None, str]] = []
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            mounts.append((volume.get("source"), volume["target"]))
            continue
        parts = volume.split(":")
        mounts.append((parts[0], parts[1]) if len(parts) > 1 else (None, parts[0]))
    return mounts


def is_bind_source(source: str) -> bool:
    return source.startswith((".", "/", "~"))


def command_options(command: list[str]) -> dict[str, str]:
    return {
        flag: value
        for flag, value in itertools.pairwise(command)
        if flag.startswith("--") and not value.startswith("--")
    }


def env_of(service: Mapping[str, Any]) -> dict[str, str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):
        return dict(item.split("=", 1) for item in environment)
    return {key: str(value) for key, value in environment.items()}


def mapping_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value).union(*(mapping_keys(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(mapping_keys(item) for item in value))
    return set()


def serve_arguments(service: Mapping[str, Any]) -> argparse.Namespace:
    """What `python -m local_sagemaker serve` runs with, given the container's command and environment."""
    from local_sagemaker.__main__ import build_parser

    command = service["command"]
    assert command[:4] == ["python", "-m", "local_sagemaker", "serve"], command
    with mock.patch.dict(os.environ, env_of(service), clear=True):
        return build_parser().parse_args(command[3:])


def one_shot(service: Mapping[str, Any]) -> bool:
    return service.get("restart") == "no"


def duplicate_keys(node: yaml.Node, seen: set[int] | None = None) -> list[str]:
    """PyYAML keeps the last of two equal keys; Compose (go-yaml) rejects the file."""
    seen = set() if seen is None else seen
    if id(node) in seen:
        return []
    seen.add(id(node))
    found = []
    if isinstance(node, yaml.MappingNode):
        keys = [key.value for key, _ in node.value if isinstance(key, yaml.ScalarNode) and key.value != "<<"]
        found += [f"{key!r} (line {node.start_mark.line + 1})" for key in set(keys) if keys.count(key) > 1]
        for key, value in node.value:
            found += duplicate_keys(key, seen) + duplicate_keys(value, seen)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found += duplicate_keys(item, seen)
    return found


# --------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def compose_text() -> str:
    return COMPOSE_FILE.read_text()


@pytest.fixture(scope="module")
def raw(compose_text: str) -> dict[str, Any]:
    """The file as YAML: anchors and merge keys expanded, variables not yet substituted."""
    data = yaml.safe_load(compose_text)
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    return read_env_file(ENV_EXAMPLE)


@pytest.fixture(scope="module")
def compose(raw: dict[str, Any], env_example: dict[str, str]) -> dict[str, Any]:
    """The file as `docker compose config` would see it with .env copied from .env.example."""
    resolved = interpolate(raw, env_example)
    assert isinstance(resolved, dict)
    return resolved


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(compose["services"])


@pytest.fixture(scope="module")
def airflow_env(services: dict[str, dict[str, Any]]) -> dict[str, str]:
    return env_of(services["airflow-scheduler"])


@pytest.fixture(scope="module")
def aws_conn(airflow_env: dict[str, str]) -> dict[str, Any]:
    conn = json.loads(airflow_env["AIRFLOW_CONN_AWS_DEFAULT"])
    assert isinstance(conn, dict)
    return conn


# ----------------------------------------------------------------------------------------------- schema
def test_valid_against_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    errors = sorted(
        jsonschema.Draft7Validator(schema).iter_errors(compose), key=lambda error: list(error.absolute_path)
    )
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


def test_yaml_has_no_duplicate_keys(compose_text: str) -> None:
    duplicates = duplicate_keys(yaml.compose(compose_text))
    assert not duplicates, f"duplicate keys: {', '.join(duplicates)}"


def test_anchors_are_defined_used_and_expanded(compose_text: str, raw: dict[str, Any]) -> None:
    tokens = list(yaml.scan(compose_text))
    anchors = {token.value for token in tokens if isinstance(token, yaml.AnchorToken)}
    aliases = {token.value for token in tokens if isinstance(token, yaml.AliasToken)}
    assert aliases <= anchors, f"aliases without an anchor: {aliases - anchors}"
    assert anchors <= aliases, f"anchors never used: {anchors - aliases}"
    assert "<<" not in mapping_keys(raw), "a merge key was left unexpanded"
    common = raw["x-airflow-common"]
    for name in [*AIRFLOW_SERVICES, "airflow-init"]:
        service = raw["services"][name]
        assert service["image"] == common["image"] and service["build"] == common["build"], name
        assert common["environment"].items() <= service["environment"].items(), name
        assert service["volumes"] == common["volumes"], name
    assert raw["services"]["airflow-init"]["user"] == "0:0"  # to hand the logs volume to AIRFLOW_UID


# ----------------------------------------------------------------------------------- services and refs
def test_has_the_airflow_celery_stack_and_the_local_aws_services(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == EXPECTED_SERVICES
    for name, subcommand in AIRFLOW_SERVICES.items():
        command = services[name]["command"]
        assert subcommand in (command if isinstance(command, str) else " ".join(command)), name


def test_depends_on_names_existing_services_with_sound_conditions(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in services.items():
        for target, spec in depends_on(service).items():
            assert target in services, f"{name} depends on {target}, which is not a service"
            condition = spec.get("condition", "service_started")
            if condition == "service_healthy":
                assert "healthcheck" in services[target], (
                    f"{name} waits for {target} to be healthy; it has no healthcheck"
                )
            elif condition == "service_completed_successfully":
                assert one_shot(services[target]), f"{name} waits for {target} to exit, but it restarts"
            else:
                pytest.fail(f"{name} -> {target}: use service_healthy or service_completed_successfully")


def test_tasks_and_triggers_wait_for_the_local_aws_stack(services: dict[str, dict[str, Any]]) -> None:
    for name in ("airflow-worker", "airflow-triggerer"):
        deps = depends_on(services[name])
        assert deps["local-sagemaker"]["condition"] == "service_healthy", name
        assert deps["create-bucket"]["condition"] == "service_completed_successfully", name
        assert deps["airflow-init"]["condition"] == "service_completed_successfully", name


def test_every_long_running_service_has_a_healthcheck(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        assert "restart" in service, f"{name}: say whether it restarts"
        if one_shot(service):
            assert "healthcheck" not in service and "ports" not in service, f"{name} is a one-shot job"
            continue
        check = service.get("healthcheck")
        assert check and not check.get("disable") and check["test"][0] in ("CMD", "CMD-SHELL"), name
        assert {"interval", "timeout", "retries", "start_period"} <= set(check), name


def test_one_shot_jobs_are_awaited(services: dict[str, dict[str, Any]]) -> None:
    awaited = {
        target
        for service in services.values()
        for target, spec in depends_on(service).items()
        if spec.get("condition") == "service_completed_successfully"
    }
    assert {name for name, service in services.items() if one_shot(service)} == awaited


def test_named_volumes_are_declared_and_used(compose: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    used = set()
    for name, service in compose["services"].items():
        for source, target in volume_mounts(service):
            assert source is not None, f"{name}: anonymous volume at {target}; name it"
            if not is_bind_source(source):
                assert source in declared, f"{name} mounts volume {source!r}, not declared under volumes:"
                used.add(source)
    assert declared == used, f"declared but unused volumes: {declared - used}"


def test_bind_mounts_and_build_inputs_exist(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for source, _ in volume_mounts(service):
            if source and is_bind_source(source):
                assert source.startswith("./"), f"{name}: bind mount {source!r} must be relative to the repo"
                assert (REPO_ROOT / source).exists(), f"{name}: {source} does not exist"
        if "build" in service:
            build = service["build"]
            context = REPO_ROOT / (build if isinstance(build, str) else build.get("context", "."))
            dockerfile = build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile"
            assert context.is_dir() and (context / dockerfile).is_file(), name
    for source in PROJECT_MOUNTS:
        assert (REPO_ROOT / source).is_dir()
    assert (REPO_ROOT / "requirements.txt").is_file()


def test_dockerfile_copies_what_the_build_context_admits() -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def in_context(path: str) -> bool:
        admitted = True
        for pattern in patterns:
            negated = pattern.startswith("!")
            if fnmatch.fnmatch(path, pattern.lstrip("!")):
                admitted = negated
        return admitted

    sources = [
        source
        for line in DOCKERFILE.read_text().splitlines()
        if line.startswith("COPY ") and "--from" not in line
        for source in line.split()[1:-1]
        if not source.startswith("--")
    ]
    assert sources, "the Dockerfile copies nothing?"
    for source in sources:
        assert (REPO_ROOT / source).exists(), f"COPY {source}: no such file"
        assert in_context(source), f"COPY {source}: excluded by .dockerignore"
    for heavy in (".venv", ".local", ".git"):
        assert not in_context(heavy), f"{heavy} would be sent to the Docker daemon"


def test_base_image_matches_the_lock() -> None:
    base = re.search(r"^ARG AIRFLOW_IMAGE=apache/airflow:(\S+)$", DOCKERFILE.read_text(), re.MULTILINE)
    assert base, "the Dockerfile pins its base image in ARG AIRFLOW_IMAGE"
    assert re.search(r"^FROM \$\{AIRFLOW_IMAGE\}$", DOCKERFILE.read_text(), re.MULTILINE)
    requirements = (REPO_ROOT / "requirements.txt").read_text()
    airflow = re.search(r"^apache-airflow==(\S+)$", requirements, re.MULTILINE)
    python = re.search(r"--python-version (\d+\.\d+)", requirements)
    assert airflow and python
    assert base.group(1) == f"{airflow.group(1)}-python{python.group(1)}"


# ---------------------------------------------------------------------------------------------- variables
def test_every_variable_is_in_env_example_with_the_same_default(
    raw: dict[str, Any], env_example: dict[str, str]
) -> None:
    defaults: dict[str, set[str]] = {}
    for name, op, arg in variable_references(raw):
        assert name in env_example, f"${{{name}}} is not in .env.example"
        if op in (":-", "-"):
            defaults.setdefault(name, set()).add(arg)
        else:
            assert op in (None, ":?", "?"), f"${{{name}{op}...}}: keep to :- and :?"
    for name, values in defaults.items():
        assert len(values) == 1, f"{name} has different defaults: {values}"
        assert env_example[name] == values.pop(), f".env.example and the compose default differ for {name}"
    referenced = {name for name, _, _ in variable_references(raw)}
    assert set(env_example) == referenced, f"in .env.example but unused: {set(env_example) - referenced}"


def test_required_secrets_stop_compose_when_missing(raw: dict[str, Any], env_example: dict[str, str]) -> None:
    required = {name for name, op, _ in variable_references(raw) if op in (":?", "?")}
    assert required == {"AIRFLOW_JWT_SECRET", "AIRFLOW_API_SECRET_KEY"}
    with pytest.raises(ValueError, match=r"AIRFLOW_JWT_SECRET|AIRFLOW_API_SECRET_KEY"):
        interpolate(raw, {})
    interpolate(raw, {name: env_example[name] for name in required})  # everything else has a default


def test_published_ports_stay_on_this_machine(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for port in service.get("ports", []):
            assert isinstance(port, str) and port.startswith("127.0.0.1:"), f"{name}: {port} is public"


# ----------------------------------------------------------------------------------------- the wiring
def container_port(services: dict[str, dict[str, Any]], name: str) -> int:
    """The port a local AWS stand-in listens on inside the network, from its own command."""
    options = command_options(services[name]["command"])
    port = int(options["--address"].rsplit(":", 1)[1] if name == "minio" else options["--port"])
    published = {int(mapping.rsplit(":", 1)[1]) for mapping in services[name].get("ports", [])}
    assert port in published, f"{name} listens on {port} but publishes {published}"
    return port


def test_airflow_components_find_each_other(
    services: dict[str, dict[str, Any]], airflow_env: dict[str, str]
) -> None:
    database = urlsplit(airflow_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    postgres = env_of(services["postgres"])
    assert (database.hostname, database.username, database.password, database.path) == (
        "postgres",
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
        "/" + postgres["POSTGRES_DB"],
    )
    assert (
        airflow_env["AIRFLOW__CELERY__RESULT_BACKEND"]
        == "db+" + airflow_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    )
    assert urlsplit(airflow_env["AIRFLOW__CELERY__BROKER_URL"]).hostname == "redis"
    execution_api = urlsplit(airflow_env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
    assert execution_api.hostname == "airflow-apiserver" and execution_api.path == "/execution/"
    assert any(port.endswith(f":{execution_api.port}") for port in services["airflow-apiserver"]["ports"])
    assert airflow_env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert airflow_env["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "true"


def test_dags_and_their_packages_are_mounted_and_importable(services: dict[str, dict[str, Any]]) -> None:
    for name in [*AIRFLOW_SERVICES, "airflow-init"]:
        mounts = dict(volume_mounts(services[name]))
        for source, target in PROJECT_MOUNTS.items():
            assert mounts.get(source) == target, f"{name} does not mount {source} at {target}"
        path = env_of(services[name])["PYTHONPATH"].split(":")
        assert path == ["/opt/airflow/include", "/opt/airflow/plugins"], name
    assert (REPO_ROOT / "include" / "retraining" / "__init__.py").is_file()
    assert (REPO_ROOT / "plugins" / "retraining_airflow" / "__init__.py").is_file()


def test_connection_has_the_shape_the_local_stack_uses(aws_conn: dict[str, Any]) -> None:
    """Same keys as `make local-up`'s aws_default, which the end-to-end tests run the DAGs with."""
    from local_sagemaker.stack import StackConfig, connection_uri_json

    reference = json.loads(connection_uri_json(StackConfig(base_dir=REPO_ROOT / ".local")))
    assert set(aws_conn) == set(reference)
    assert set(aws_conn["extra"]) == set(reference["extra"])
    assert set(aws_conn["extra"]["service_config"]) == set(reference["extra"]["service_config"])
    assert aws_conn["extra"]["config_kwargs"] == reference["extra"]["config_kwargs"]
    assert aws_conn["conn_type"] == "aws"


def test_environment_names_are_the_ones_the_code_reads(
    raw: dict[str, Any], airflow_env: dict[str, str]
) -> None:
    from local_sagemaker.stack import StackConfig, stack_env

    read_by_dags = set(
        re.findall(
            r"os\.environ\.get\(\s*\"(RETRAINING_\w+)\"",
            (REPO_ROOT / "include/retraining/dag_defaults.py").read_text(),
        )
    )
    in_compose = {name for name in airflow_env if name.startswith("RETRAINING_")}
    # Everything compose sets is read; test-only knobs (e.g. the retry delay) need not be set.
    assert in_compose <= read_by_dags, in_compose - read_by_dags
    assert {"RETRAINING_BUCKET", "RETRAINING_ROLE_ARN"} <= in_compose
    endpoint_names = {name for name in stack_env(StackConfig(base_dir=REPO_ROOT)) if "ENDPOINT_URL" in name}
    assert endpoint_names <= set(raw["x-local-aws-env"]), endpoint_names - set(raw["x-local-aws-env"])


def test_local_service_and_airflow_share_endpoints_keys_region_and_bucket(
    services: dict[str, dict[str, Any]], airflow_env: dict[str, str], aws_conn: dict[str, Any]
) -> None:
    service = services["local-sagemaker"]
    args = serve_arguments(service)
    endpoints = {key: value["endpoint_url"] for key, value in aws_conn["extra"]["service_config"].items()}

    # Airflow reaches the SageMaker service by its service name, on the port it binds on all interfaces.
    assert args.host == "0.0.0.0"
    assert endpoints["sagemaker"] == f"http://local-sagemaker:{args.port}"
    assert container_port(services, "local-sagemaker") == args.port
    assert f"127.0.0.1:{args.port}/health" in " ".join(service["healthcheck"]["test"])

    # Airflow and the service's jobs read and write the same S3 and Logs.
    minio_url = f"http://minio:{container_port(services, 'minio')}"
    moto_url = f"http://moto:{container_port(services, 'moto')}"
    assert endpoints["s3"] == args.s3_endpoint_url == minio_url
    assert endpoints["logs"] == args.logs_endpoint_url == moto_url
    assert endpoints["iam"] == endpoints["sts"] == moto_url

    # boto3 and the aws CLI inside the containers see the same as the connection.
    expected_env = {
        "AWS_ENDPOINT_URL_SAGEMAKER": endpoints["sagemaker"],
        "AWS_ENDPOINT_URL_S3": endpoints["s3"],
        "AWS_ENDPOINT_URL_LOGS": endpoints["logs"],
        "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": endpoints["logs"],
        "AWS_ENDPOINT_URL_IAM": endpoints["iam"],
        "AWS_ENDPOINT_URL_STS": endpoints["sts"],
        "AWS_ACCESS_KEY_ID": aws_conn["login"],
        "AWS_SECRET_ACCESS_KEY": aws_conn["password"],
        "AWS_DEFAULT_REGION": aws_conn["extra"]["region_name"],
    }
    for name in ("local-sagemaker", "create-bucket", *AIRFLOW_SERVICES):
        env = env_of(services[name])
        assert {key: env.get(key) for key in expected_env} == expected_env, name

    # One key pair: the service accepts only requests signed with it, and it is MinIO's root user.
    minio = env_of(services["minio"])
    assert aws_conn["login"] == args.access_key_id == minio["MINIO_ROOT_USER"]
    assert aws_conn["password"] == args.secret_access_key == minio["MINIO_ROOT_PASSWORD"]
    assert args.secret_access_key not in service["command"], "keep the secret out of argv (and `ps`)"
    assert len(minio["MINIO_ROOT_USER"]) >= 3, "MinIO wants an access key of 3 characters or more"
    assert len(minio["MINIO_ROOT_PASSWORD"]) >= 8, "MinIO wants a secret key of 8 characters or more"
    assert aws_conn["extra"]["region_name"] == args.region == minio["MINIO_SITE_REGION"]

    # The bucket the DAGs use is the one create-bucket makes.
    bucket = airflow_env["RETRAINING_BUCKET"]
    assert env_of(services["create-bucket"])["RETRAINING_BUCKET"] == bucket
    assert re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket), f"{bucket!r} is not an S3 bucket name"

    # Its state outlives the container, at the directory the service is told to use.
    assert args.state_dir in {target for _, target in volume_mounts(service)}


# ------------------------------------------------------------------ the Celery cluster test runs the same
def test_compose_sets_exactly_the_settings_the_cluster_test_runs(
    services: dict[str, dict[str, Any]], airflow_env: dict[str, str]
) -> None:
    """scripts/cluster_settings.py is the one list: compose's AIRFLOW__* equal it for compose's hosts."""
    from scripts.cluster_settings import LOCAL_ONLY_SETTINGS, Addresses, Secrets, airflow_settings

    database = urlsplit(airflow_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    broker = urlsplit(airflow_env["AIRFLOW__CELERY__BROKER_URL"])
    postgres = env_of(services["postgres"])
    where = Addresses(
        database_host="postgres",
        database_port=5432,
        database_user=postgres["POSTGRES_USER"],
        database_password=postgres["POSTGRES_PASSWORD"],
        database_name=postgres["POSTGRES_DB"],
        broker_host="redis",
        broker_port=6379,
        api_server_host="airflow-apiserver",
        api_server_port=8080,
    )
    assert (database.port, broker.port) == (where.database_port, where.broker_port)
    secrets = Secrets(
        fernet_key=airflow_env["AIRFLOW__CORE__FERNET_KEY"],
        jwt_secret=airflow_env["AIRFLOW__API_AUTH__JWT_SECRET"],
        api_secret_key=airflow_env["AIRFLOW__API__SECRET_KEY"],
    )
    shared = airflow_settings(where, secrets)
    for name in AIRFLOW_SERVICES:
        in_compose = {k: v for k, v in env_of(services[name]).items() if k.startswith("AIRFLOW__")}
        # The api-server alone adds its login settings; the cluster test sets those as local-only.
        extra = set(in_compose) - set(shared)
        assert extra <= set(LOCAL_ONLY_SETTINGS), (name, extra - set(LOCAL_ONLY_SETTINGS))
        assert {k: in_compose.get(k) for k in shared} == shared, name
    assert not set(LOCAL_ONLY_SETTINGS) & set(shared), "a local-only setting may not override a shared one"


def test_compose_runs_the_components_the_cluster_test_runs(services: dict[str, dict[str, Any]]) -> None:
    from scripts.cluster_settings import COMPONENTS, LOCAL_ONLY_ARGUMENTS

    assert set(COMPONENTS) == set(AIRFLOW_SERVICES)
    for name, command in COMPONENTS.items():
        in_compose = services[name]["command"]
        if isinstance(in_compose, str):
            in_compose = in_compose.split()
        if in_compose[:2] == ["bash", "-c"]:  # a set-up step, then `exec airflow <command>`
            assert in_compose[2].rstrip().endswith("exec airflow " + " ".join(command)), name
        else:
            assert in_compose == command, name
    # Local-only arguments only switch off the log servers, which bind every interface.
    assert {arg for args in LOCAL_ONLY_ARGUMENTS.values() for arg in args} == {"--skip-serve-logs"}
