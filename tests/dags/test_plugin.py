"""The retraining plugin: it loads, its links reach serialized SageMaker tasks and resolve to the job, and
its model-history app renders and is mounted behind Airflow's login."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

LOCAL = "http://127.0.0.1:7070"
LOCAL_CONN = {
    "conn_type": "aws",
    "extra": {"region_name": "us-east-1", "service_config": {"sagemaker": {"endpoint_url": LOCAL}}},
}
AWS_CONN = {"conn_type": "aws", "extra": {"region_name": "eu-west-1"}}
CONSOLE = "https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1#/"
PACKAGE_ARN = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/nightly-retrain/7"


@pytest.fixture
def connection(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Point aws_default at AWS or at the local service; the SageMaker endpoint env vars stay out of it."""
    monkeypatch.delenv("AWS_ENDPOINT_URL_SAGEMAKER", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)

    def use(conn: dict[str, Any]) -> None:
        monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", json.dumps(conn))

    return use


@pytest.fixture(scope="module")
def plugin() -> Any:
    from airflow import plugins_manager

    plugins, errors = plugins_manager._get_plugins()
    assert not [source for source in errors if "retraining" in source], errors
    return next(p for p in plugins if p.name == "retraining")


@pytest.fixture(scope="module")
def serialized_tasks(plugin: Any) -> dict[str, Any]:
    """nightly_retrain as the API server holds it: serialized, then deserialized with plugin links."""
    from airflow.dag_processing.dagbag import DagBag
    from airflow.serialization.serialized_objects import DagSerialization

    from scripts.dag_runs import DAGS_FOLDER

    dag = DagBag(dag_folder=str(DAGS_FOLDER)).dags["nightly_retrain"]
    # As the API server does. Airflow flips this class-wide flag off when a scheduler-side reader (such as
    # an earlier dag.test() in this process) loads a serialized DAG, and never flips it back.
    DagSerialization._load_operator_extra_links = True
    restored = DagSerialization.from_dict(DagSerialization.to_dict(dag))
    return {task.task_id: task for task in restored.tasks}


def test_plugin_loads_with_links_page_and_menu_entry(plugin: Any) -> None:
    from airflow import plugins_manager
    from airflow.api_fastapi.app import RESERVED_URL_PREFIXES

    from retraining_airflow.links import ALL_LINKS

    names = {type(link).__name__ for link in plugins_manager.get_operator_extra_links()}
    assert {type(link).__name__ for link in ALL_LINKS} <= names
    (app,) = [a for a in plugin.fastapi_apps if a["name"] == "Model history"]
    assert app["url_prefix"] == "/model-history"
    assert not any(app["url_prefix"].startswith(p) for p in RESERVED_URL_PREFIXES)
    views, _ = plugins_manager._get_ui_plugins()
    (view,) = [v for v in views if v.get("url_route") == "model-history"]
    assert view["destination"] == "nav" and view["href"] == "model-history/"  # relative to the UI's base


def test_plugin_description_is_accepted_by_the_plugins_api(plugin: Any) -> None:
    from airflow import plugins_manager
    from airflow.api_fastapi.core_api.datamodels.plugins import PluginResponse

    from retraining_airflow.links import ALL_LINKS

    (info,) = [p for p in plugins_manager.get_plugin_info() if p["name"] == "retraining"]
    response = PluginResponse.model_validate(info)
    assert response.external_views[0].href == "model-history/"
    assert len(response.operator_extra_links) == len(ALL_LINKS) == 7


def test_every_sagemaker_task_gets_its_link(serialized_tasks: dict[str, Any]) -> None:
    expected = {
        "seed_partition": "SageMaker processing job",
        "await_partition": "SageMaker processing job",
        "train": "SageMaker training job",
        "await_training": "SageMaker training job",
        "evaluate": "SageMaker processing job",
        "await_evaluation": "SageMaker processing job",
        "register_champion": "SageMaker model package",
        "register_rejected": "SageMaker model package",
        "create_model": "SageMaker model",
        "score": "SageMaker transform job",
        "await_scoring": "SageMaker transform job",
    }
    for task_id, link in expected.items():
        assert link in serialized_tasks[task_id].extra_links, task_id
    assert serialized_tasks["plan"].extra_links == []


def ti_key(task_id: str, dag_id: str = "nightly_retrain", run_id: str = "scheduled__2024-01-02") -> Any:
    from airflow.models.taskinstancekey import TaskInstanceKey

    return TaskInstanceKey(dag_id=dag_id, task_id=task_id, run_id=run_id, try_number=1, map_index=-1)


@pytest.fixture
def task_xcoms(monkeypatch: pytest.MonkeyPatch) -> dict[tuple[str, str], Any]:
    """Links resolved inside a task process: XComs come from the Task SDK's XCom.get_value (patched)."""
    from airflow.sdk.execution_time.xcom import XCom

    from retraining_airflow import links

    values: dict[tuple[str, str], Any] = {}

    def get_value(*, ti_key: Any, key: str) -> Any:
        return values.get((ti_key.task_id, key))

    monkeypatch.setattr(links, "_in_task_context", lambda: True)
    monkeypatch.setattr(XCom, "get_value", staticmethod(get_value))
    return values


def link_of(task: Any, name: str, task_id: str | None = None) -> str:
    (link,) = [link for link in task.operator_extra_links if link.name == name]
    return str(link.get_link(task, ti_key=ti_key(task_id or task.task_id)))


def test_links_point_at_the_local_service_pages(
    serialized_tasks: dict[str, Any], task_xcoms: dict[tuple[str, str], Any], connection: Any
) -> None:
    connection(LOCAL_CONN)
    task_xcoms[("train", "job_name")] = "nightly-train-20240102-ab12"
    task_xcoms[("seed_partition", "job_name")] = "nightly-seed-20240102"
    task_xcoms[("score", "job_name")] = "nightly-score-20240102-a2"
    task_xcoms[("create_model", "return_value")] = {"Model": {"ModelName": "nightly-model-20240102"}}
    task_xcoms[("register_champion", "return_value")] = PACKAGE_ARN
    tasks = serialized_tasks
    train_page = f"{LOCAL}/jobs/training-job/nightly-train-20240102-ab12"
    assert link_of(tasks["train"], "SageMaker training job") == train_page
    # The sensor has no job_name XCom of its own: it follows its template to the operator's.
    assert link_of(tasks["await_training"], "SageMaker training job") == train_page
    assert link_of(tasks["await_partition"], "SageMaker processing job") == (
        f"{LOCAL}/jobs/processing-job/nightly-seed-20240102"
    )
    assert link_of(tasks["await_scoring"], "SageMaker transform job") == (
        f"{LOCAL}/jobs/transform-job/nightly-score-20240102-a2"
    )
    assert link_of(tasks["create_model"], "SageMaker model") == f"{LOCAL}/models/nightly-model-20240102"
    assert link_of(tasks["register_champion"], "SageMaker model package") == (
        f"{LOCAL}/model-package-groups/nightly-retrain#version-7"
    )


def test_links_point_at_the_aws_console_in_production(
    serialized_tasks: dict[str, Any], task_xcoms: dict[tuple[str, str], Any], connection: Any
) -> None:
    connection(AWS_CONN)
    task_xcoms[("train", "job_name")] = "nightly-train-20240102-ab12"
    task_xcoms[("evaluate", "job_name")] = "nightly-eval-20240102"
    task_xcoms[("register_champion", "return_value")] = PACKAGE_ARN
    tasks = serialized_tasks
    assert link_of(tasks["train"], "SageMaker training job") == CONSOLE + "jobs/nightly-train-20240102-ab12"
    assert link_of(tasks["await_evaluation"], "SageMaker processing job") == (
        CONSOLE + "processing-jobs/nightly-eval-20240102"
    )
    assert link_of(tasks["register_champion"], "SageMaker model package") == (
        CONSOLE + "model-packages/nightly-retrain/7"
    )


def test_environment_endpoint_applies_when_the_connection_has_none(
    serialized_tasks: dict[str, Any],
    task_xcoms: dict[tuple[str, str], Any],
    connection: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connection({"conn_type": "aws", "extra": {"region_name": "us-east-1"}})
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", "http://127.0.0.1:7171")
    task_xcoms[("train", "job_name")] = "t-1"
    assert link_of(serialized_tasks["train"], "SageMaker training job") == (
        "http://127.0.0.1:7171/jobs/training-job/t-1"
    )


def test_no_job_yet_means_an_empty_link(
    serialized_tasks: dict[str, Any], task_xcoms: dict[tuple[str, str], Any], connection: Any
) -> None:
    connection(LOCAL_CONN)
    assert link_of(serialized_tasks["train"], "SageMaker training job") == ""
    assert link_of(serialized_tasks["await_training"], "SageMaker training job") == ""
    assert link_of(serialized_tasks["create_model"], "SageMaker model") == ""


@pytest.fixture
def metadata_xcom(airflow_db: Any) -> Iterator[Any]:
    """Write XComs into the metadata DB the way the Execution API stores them (a JSON document as text)."""
    from airflow.utils.session import create_session
    from sqlalchemy import text

    dag_id = f"links_test_{uuid.uuid4().hex[:8]}"

    def put(task_id: str, key: str, value: Any) -> None:
        with create_session() as session:
            session.execute(text("PRAGMA foreign_keys=OFF"))  # no task instance rows for this test
            run = session.execute(
                text("SELECT id FROM dag_run WHERE dag_id = :d AND run_id = 'r1'"), {"d": dag_id}
            ).scalar()
            if run is None:
                session.execute(
                    text(
                        "INSERT INTO dag_run (dag_id, run_id, run_type, run_after) "
                        "VALUES (:d, 'r1', 'manual', '2024-01-02 00:00:00')"
                    ),
                    {"d": dag_id},
                )
                run = session.execute(
                    text("SELECT id FROM dag_run WHERE dag_id = :d AND run_id = 'r1'"), {"d": dag_id}
                ).scalar()
            session.execute(
                text(
                    "INSERT INTO xcom (dag_run_id, task_id, map_index, key, dag_id, run_id, value, timestamp, "
                    "dag_result) VALUES (:run, :t, -1, :k, :d, 'r1', :v, '2024-01-02 00:00:00', 0)"
                ),
                {"run": run, "t": task_id, "k": key, "d": dag_id, "v": json.dumps(json.dumps(value))},
            )

    put.dag_id = dag_id  # type: ignore[attr-defined]
    yield put
    with create_session() as session:
        session.execute(text("DELETE FROM xcom WHERE dag_id = :d"), {"d": dag_id})
        session.execute(text("DELETE FROM dag_run WHERE dag_id = :d"), {"d": dag_id})


def test_links_in_the_api_server_read_xcom_from_the_metadata_db(
    serialized_tasks: dict[str, Any], metadata_xcom: Any, connection: Any
) -> None:
    from retraining_airflow import links

    assert not links._in_task_context()  # as in the API server
    connection(LOCAL_CONN)
    metadata_xcom("train", "job_name", "nightly-train-20240102-ab12")
    metadata_xcom("create_model", "return_value", {"Model": {"ModelName": "m-1"}})
    dag_id = metadata_xcom.dag_id
    for task_id, name, expected in (
        ("train", "SageMaker training job", f"{LOCAL}/jobs/training-job/nightly-train-20240102-ab12"),
        (
            "await_training",
            "SageMaker training job",
            f"{LOCAL}/jobs/training-job/nightly-train-20240102-ab12",
        ),
        ("create_model", "SageMaker model", f"{LOCAL}/models/m-1"),
        ("evaluate", "SageMaker processing job", ""),
    ):
        task = serialized_tasks[task_id]
        (link,) = [link for link in task.operator_extra_links if link.name == name]
        assert link.get_link(task, ti_key=ti_key(task_id, dag_id=dag_id, run_id="r1")) == expected, task_id


RECORDS = [
    {
        "version": 1,
        "data_date": "2024-01-01",
        "training_mode": "full",
        "mse": 0.05,
        "champion_mse": None,
        "approval": "Approved",
        "training_job": "nightly-train-20240101",
    },
    {
        "version": 2,
        "data_date": "2024-01-02",
        "training_mode": "incremental",
        "mse": 0.07,
        "champion_mse": 0.05,
        "approval": "Rejected",
        "training_job": "nightly-train-20240102",
    },
]


def test_model_history_app_renders_a_group() -> None:
    from fastapi.testclient import TestClient

    from retraining_airflow.history_app import create_app

    asked: list[str] = []

    def reader(group: str) -> list[dict[str, Any]]:
        asked.append(group)
        return RECORDS

    client = TestClient(create_app(read_records=reader, require_login=False))
    answer = client.get("/")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert asked == ["nightly-retrain"]  # the default group
    assert "<svg" in answer.text and "nightly-train-20240102" in answer.text and "Rejected" in answer.text
    assert client.get("/", params={"group": "other-group"}).status_code == 200 and asked[-1] == "other-group"


def test_model_history_app_refuses_bad_names_and_reports_registry_errors() -> None:
    from fastapi.testclient import TestClient

    from retraining_airflow.history_app import create_app

    def failing(group: str) -> list[dict[str, Any]]:
        raise ConnectionError("<b>registry down</b>")

    client = TestClient(create_app(read_records=failing, require_login=False))
    bad = client.get("/", params={"group": "<script>x</script>"})
    assert bad.status_code == 400 and "<script>" not in bad.text and "&lt;script&gt;" in bad.text
    down = client.get("/", params={"group": "nightly-retrain"})
    assert down.status_code == 502 and "&lt;b&gt;registry down&lt;/b&gt;" in down.text


def test_model_history_is_mounted_by_airflow_and_needs_a_login(plugin: Any) -> None:
    from airflow.api_fastapi.app import init_plugins
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    app = FastAPI()
    init_plugins(app)  # what the API server does with plugin apps
    answer = TestClient(app).get("/model-history/")
    assert answer.status_code == 401  # the page reads the registry: Airflow users only
