"""The HTTP server: SageMaker's API at POST /, a health check, and nothing that runs unasked."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from local_sagemaker import workdirs
from local_sagemaker.build import build_id
from local_sagemaker.config import SETTINGS_FILE, ServiceSettings
from local_sagemaker.faults import FaultBook
from local_sagemaker.operations.context import ServiceContext
from local_sagemaker.pipelines import engine as pipeline_engine
from local_sagemaker.protocol import (
    IncomingRequest,
    body_too_large,
    error_json,
    handle,
    response_headers,
)
from local_sagemaker.store import Store
from local_sagemaker.supervisor import Supervisor
from local_sagemaker.web import routes as web_routes

log = logging.getLogger(__name__)


def build_context(settings: ServiceSettings) -> ServiceContext:
    settings.save()
    # The settings file holds the secret key the workers sign their S3/Logs calls with: owner-only.
    (settings.state_dir / SETTINGS_FILE).chmod(0o600)
    store = Store(settings.state_dir / "state.db")
    return ServiceContext(settings=settings, store=store, supervisor=Supervisor(settings, store))


async def read_body(request: Request, limit: int) -> tuple[bytes, int]:
    """The body if it fits in `limit`, else b"" and its size; an oversized body is drained, never held."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        elif chunks:
            chunks.clear()  # keep reading so the client gets our answer, but hold nothing
    return (b"".join(chunks), size) if size <= limit else (b"", size)


def create_app(ctx: ServiceContext, faults: FaultBook | None = None) -> Starlette:
    limit = ctx.settings.max_body_bytes

    async def api(request: Request) -> Response:
        body, size = await read_body(request, limit)
        if size > limit:
            error = body_too_large(size, limit)
            return Response(
                error_json(error.code, error.message), status_code=error.status, headers=response_headers()
            )
        incoming = IncomingRequest(
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
            method=request.method,
            path=request.scope.get("raw_path", b"/").decode("latin-1") or "/",
            query=request.scope.get("query_string", b"").decode("latin-1"),
        )
        status, payload = await run_in_threadpool(handle, ctx, incoming, faults)
        return Response(payload, status_code=status, headers=response_headers())

    async def health(request: Request) -> Response:
        # Unauthenticated on purpose (load balancers, `make local-up`); it reveals nothing but liveness.
        return JSONResponse(
            {"status": "ok", "running_jobs": ctx.supervisor.active_count(), "build": build_id()}
        )

    async def fault_counts(request: Request) -> Response:
        # Only routed while a fault plan is on (tests): the plan and how often each rule fired.
        assert faults is not None
        return JSONResponse(await run_in_threadpool(faults.report))

    async def internal_failure(request: Request, exc: Exception) -> Response:
        log.error("unhandled error serving %s %s", request.method, request.url.path, exc_info=exc)
        return Response(
            error_json("InternalFailure", "The local service failed on this request."),
            status_code=500,
            headers=response_headers(),
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ctx.supervisor.start_watching()
        pipeline_engine.recover(ctx)
        workdirs.sweep(ctx.settings.state_dir / "jobs")  # failed jobs' folders kept past their time
        yield
        ctx.supervisor.shutdown()

    routes = [Route("/", api, methods=["POST"]), Route("/health", health, methods=["GET"])]
    routes += web_routes(ctx)  # read-only HTML pages: GET /, /jobs/<kind>/<name>, ... (web.py)
    if faults is not None:
        routes.append(Route("/_faults", fault_counts, methods=["GET"]))
    return Starlette(
        routes=routes,
        exception_handlers={Exception: internal_failure},
        lifespan=lifespan,
    )
