"""Fixtures shared by the DAG tests."""

from __future__ import annotations

from typing import Any

import pytest

from scripts.dag_runs import DAGS_FOLDER


@pytest.fixture(scope="module")
def dag_bag() -> Any:
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))
