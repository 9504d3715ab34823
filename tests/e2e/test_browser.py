"""A person's path through the UI, in headless Chromium: sign in, trigger `train_and_transform` from its form,
watch it succeed, follow the training task's link to its job, open the model-history page.

Runs when Debian's Chromium is installed (`make test` installs it where it can); screenshots go to
test-artifacts/browser/.
"""

from __future__ import annotations

import shutil
import time
import urllib.error
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scripts.airflow_ui import LOGIN, AirflowUI

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("airflow-ui")]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
# Without the background-networking switches Chromium keeps dialling Google's hosts on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (make test installs Debian's chromium where apt-get can)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 900})
        finally:
            browser.close()


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def wait_for_run(ui: AirflowUI, dag_id: str, timeout: float = 420) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            runs = ui.get(f"/api/v2/dags/{dag_id}/dagRuns?order_by=-run_after&limit=1")["dag_runs"]
        except (urllib.error.URLError, TimeoutError):  # one API worker, busy on a 2-core machine
            runs = []
        if runs and runs[0]["state"] in ("success", "failed"):
            return dict(runs[0])
        time.sleep(3)
    raise TimeoutError(f"{dag_id} did not finish within {timeout}s")


def test_trigger_follow_and_inspect(airflow_ui: AirflowUI, sagemaker: Any, page: Any) -> None:
    ui = airflow_ui
    page.goto(f"{ui.url}/")
    page.get_by_label("Username").fill(LOGIN[0])
    page.get_by_label("Password").fill(LOGIN[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{ui.url}/")
    shot(page, "01-home")

    # The trigger form, with the DAG's Params as fields; its defaults are valid as they stand.
    page.goto(f"{ui.url}/dags/train_and_transform")
    page.get_by_role("button", name="Trigger").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("S3 bucket").wait_for()
    shot(page, "02-trigger-form")
    dialog.get_by_role("button", name="Trigger").last.click()

    run = wait_for_run(ui, "train_and_transform")
    page.goto(f"{ui.url}/dags/train_and_transform/runs/{run['dag_run_id']}")
    page.wait_for_timeout(2000)
    shot(page, "03-run")
    assert run["state"] == "success", run

    # The training task's extra link points at its job's page on the local service.
    links = ui.get(f"/api/v2/dags/train_and_transform/dagRuns/{run['dag_run_id']}/taskInstances/train/links")
    job_link = next(url for url in links["extra_links"].values() if url and "/jobs/" in url)
    page.goto(job_link)
    job = page.url.rstrip("/").rsplit("/", 1)[-1]
    assert sagemaker.describe_training_job(TrainingJobName=job)["TrainingJobStatus"] == "Completed"
    assert job in page.content()
    shot(page, "04-job-page")

    # The model-history page served by the plugin.
    page.goto(f"{ui.url}/model-history/")
    page.wait_for_timeout(1000)
    assert "Model history" in page.content()
    shot(page, "05-model-history")
