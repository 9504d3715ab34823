"""The model-history page as a FastAPI app, mounted in Airflow's API server by the retraining plugin.

GET /?group=<model package group> renders retraining.history_page for that group's registry records,
read through the provider's SageMakerHook (the `aws_default` connection, so AWS or the local service).
Plugin apps are not protected by Airflow on their own: the page requires an Airflow login (the UI's
token cookie, which the iframe sends) unless built with `require_login=False` (tests)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import Depends, FastAPI, Query
from fastapi.responses import HTMLResponse

from retraining.history_page import DEFAULT_GROUP, render_page

AWS_CONN_ID = "aws_default"
URL_PREFIX = "/model-history"
# SageMaker's ModelPackageGroupName pattern and length.
GROUP_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")

RecordReader = Callable[[str], list[dict[str, Any]]]


def read_from_registry(group: str) -> list[dict[str, Any]]:
    from retraining_airflow.registry import group_records

    return group_records(AWS_CONN_ID, group)


def _login_dependencies(require_login: bool) -> list[Any]:
    if not require_login:
        return []
    from airflow.api_fastapi.core_api.security import requires_authenticated

    return [Depends(requires_authenticated())]


def create_app(read_records: RecordReader = read_from_registry, require_login: bool = True) -> FastAPI:
    app = FastAPI(
        title="Model history",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=_login_dependencies(require_login),
    )

    @app.get("/", response_class=HTMLResponse)
    def model_history(group: str = Query(DEFAULT_GROUP, max_length=200)) -> HTMLResponse:
        # A plain `def`: FastAPI runs it in a worker thread, so the boto3 calls never block the event loop.
        if not GROUP_PATTERN.match(group):
            message = (
                f"{group!r} is not a model package group name (letters, digits and hyphens, at most 63)."
            )
            return HTMLResponse(render_page(group, [], error=message), status_code=400)
        try:
            records = read_records(group)
        except Exception as error:  # the registry is unreachable or refuses: say so on the page
            message = f"Could not read model package group {group}: {type(error).__name__}: {error}"
            return HTMLResponse(render_page(group, [], error=message), status_code=502)
        return HTMLResponse(render_page(group, records))

    return app


_APP: FastAPI | None = None


def shared_app() -> FastAPI:
    """The one app the plugin mounts, built on first use (the API server), never at plugin import."""
    global _APP
    if _APP is None:
        _APP = create_app()
    return _APP
