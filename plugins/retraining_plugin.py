"""The retraining Airflow plugin: SageMaker job links on every SageMaker task, and the model-history page.

- operator_extra_links: a link from each SageMaker operator and sensor to its job (training, processing,
  transform, tuning), model or model package: the AWS console, or the local service's page when the
  `aws_default` connection points SageMaker at the local service (retraining_airflow.links).
- fastapi_apps + external_views: the model-history page at /model-history/ in the API server, listed in
  the UI's Browse menu (retraining_airflow.history_app).

Every Airflow process and task run loads the plugins folder, so this module stays light: the FastAPI app
is built only when the API server asks for `fastapi_apps`."""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin

from retraining_airflow.links import ALL_LINKS

MODEL_HISTORY_PREFIX = "/model-history"


class RetrainingPlugin(AirflowPlugin):
    name = "retraining"
    operator_extra_links = list(ALL_LINKS)
    external_views = [
        {
            "name": "Model history",
            # Relative, no leading slash: the UI resolves it against its base URL and shows it in an iframe.
            "href": MODEL_HISTORY_PREFIX.lstrip("/") + "/",
            "url_route": "model-history",
            "destination": "nav",
            "category": "browse",
        }
    ]

    @property
    def fastapi_apps(self) -> list[dict[str, Any]]:  # type: ignore[override]  # built on first use
        from retraining_airflow.history_app import shared_app

        return [{"app": shared_app(), "url_prefix": MODEL_HISTORY_PREFIX, "name": "Model history"}]
