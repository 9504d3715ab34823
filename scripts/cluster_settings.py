"""The Airflow settings and component commands of the Celery topology, in one list compose and the test share.

docker-compose.yaml's x-airflow-common sets exactly `airflow_settings(...)` for its host names
(tests/unit/test_cluster_settings.py checks it), and the Celery cluster test (scripts/celery_cluster.py)
runs the same settings for 127.0.0.1 and free ports, so compose runs what the test ran. What only the
no-Docker cluster needs (where files are, binding 127.0.0.1, faster polling) is `LOCAL_ONLY_SETTINGS`
and may never override a shared setting.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Addresses:
    """Where the metadata database, the broker and the API server are, as the components see them."""

    database_host: str
    database_port: int
    database_user: str
    database_password: str
    database_name: str
    broker_host: str
    broker_port: int
    api_server_host: str
    api_server_port: int


@dataclass(frozen=True)
class Secrets:
    """Shared by every component: each would otherwise invent its own and reject the others' tokens."""

    fernet_key: str
    jwt_secret: str
    api_secret_key: str


def airflow_settings(where: Addresses, secrets: Secrets) -> dict[str, str]:
    """Every AIRFLOW__* setting the compose topology gives all its Airflow components."""
    database = (
        f"{where.database_user}:{where.database_password}@{where.database_host}:{where.database_port}/"
        f"{where.database_name}"
    )
    return {
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{database}",
        # Celery's database result backend speaks SQLAlchemy too, under its own db+ scheme. The driver is
        # named: SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3, which is not installed.
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql+psycopg2://{database}",
        "AIRFLOW__CELERY__BROKER_URL": f"redis://:@{where.broker_host}:{where.broker_port}/0",
        # Airflow 3 workers talk to the database only through the API server's Execution API.
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": (
            f"http://{where.api_server_host}:{where.api_server_port}/execution/"
        ),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "true",
        "AIRFLOW__CORE__FERNET_KEY": secrets.fernet_key,
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.jwt_secret,
        "AIRFLOW__API__SECRET_KEY": secrets.api_secret_key,
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "true",
    }


# compose service -> the `airflow` command it runs (compose's api-server wraps it in a password-file step).
COMPONENTS: dict[str, list[str]] = {
    "airflow-scheduler": ["scheduler"],
    "airflow-dag-processor": ["dag-processor"],
    "airflow-triggerer": ["triggerer"],
    "airflow-apiserver": ["api-server"],
    "airflow-worker": ["celery", "worker"],
}

# Arguments only the no-Docker cluster adds to a component's command, and why.
LOCAL_ONLY_ARGUMENTS: dict[str, list[str]] = {
    # The log servers bind every interface (not configurable); the components share one log folder, as
    # compose's airflow-logs volume does, so the API server reads task logs from it and none is needed.
    # (Two workers on one host also get distinct Celery node names: scripts/celery_cluster.py.)
    "airflow-worker": ["--skip-serve-logs"],
    "airflow-triggerer": ["--skip-serve-logs"],
    "airflow-scheduler": ["--skip-serve-logs"],
}

# Settings only the no-Docker cluster sets (the image or the compose network provide the rest).
LOCAL_ONLY_SETTINGS = (
    "AIRFLOW_HOME",
    "AIRFLOW__CORE__DAGS_FOLDER",
    "AIRFLOW__CORE__PLUGINS_FOLDER",
    "AIRFLOW__API__HOST",
    "AIRFLOW__API__PORT",
    "AIRFLOW__API__BASE_URL",
    "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST",
    "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE",
    "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL",
    "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME",
    "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE",
)
