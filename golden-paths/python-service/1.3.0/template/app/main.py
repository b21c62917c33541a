"""The HTTP application: its routes, and the probes every service of the golden path has; its
metrics are served on a port of their own (`metrics.MetricsServer`), or here when METRICS_PORT
is PORT. Add your routes to `create_app`."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from opentelemetry.trace import TracerProvider
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from . import __version__
from .config import SERVICE_NAME, Settings
from .metrics import Metrics
from .middleware import Observability


@dataclass
class State:
    """Set once SIGTERM arrives: /readyz fails from then on, while requests are still served."""

    draining: threading.Event = field(default_factory=threading.Event)


def create_app(
    settings: Settings,
    state: State | None = None,
    tracer_provider: TracerProvider | None = None,
) -> FastAPI:
    state = state or State()
    metrics = Metrics(__version__)
    app = FastAPI(
        title=SERVICE_NAME, version=__version__, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.metrics = metrics
    app.state.lifecycle = state
    app.add_middleware(
        Observability,
        router=app.router,
        metrics=metrics,
        timeout_seconds=settings.request_timeout_seconds,
        max_body_bytes=settings.max_body_bytes,
        tracer_provider=tracer_provider,
    )

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        # Liveness: the process answers. It never checks dependencies, so an outage of one does
        # not restart every pod.
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> Response:
        if state.draining.is_set():
            return JSONResponse({"status": "shutting down"}, status_code=503)
        return JSONResponse({"status": "ready"})

    @app.get("/")
    def index() -> dict[str, str]:
        return {"service": SERVICE_NAME, "version": __version__}

    @app.post("/echo")
    async def echo(request: Request) -> Response:
        # An example of a route reading a body: the body-size limit applies before it is read.
        return Response(await request.body(), media_type=request.headers.get("content-type"))

    if settings.metrics_port == settings.port:
        # METRICS_PORT equal to PORT: /metrics on the traffic's listener (the chart then scrapes
        # the `http` port), as the service did before metrics had a port of their own.
        @app.get("/metrics")
        def metrics_endpoint() -> Response:
            return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app
