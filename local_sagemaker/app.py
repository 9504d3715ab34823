"""The HTTP server: SageMaker's API at POST /, a health check, and nothing that runs unasked."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from local_sagemaker.config import ServiceSettings
from local_sagemaker.operations.context import ServiceContext
from local_sagemaker.protocol import handle, response_headers
from local_sagemaker.store import Store
from local_sagemaker.supervisor import Supervisor


def build_context(settings: ServiceSettings) -> ServiceContext:
    settings.save()
    store = Store(settings.state_dir / "state.db")
    return ServiceContext(settings=settings, store=store, supervisor=Supervisor(settings, store))


def create_app(ctx: ServiceContext) -> Starlette:
    async def api(request: Request) -> Response:
        raw = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        status, body = await run_in_threadpool(handle, ctx, headers, raw)
        return Response(json.dumps(body), status_code=status, headers=response_headers())

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "running_jobs": ctx.supervisor.active_count()})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ctx.supervisor.start_watching()
        yield
        ctx.supervisor.shutdown()

    return Starlette(
        routes=[Route("/", api, methods=["POST"]), Route("/health", health, methods=["GET"])],
        lifespan=lifespan,
    )
