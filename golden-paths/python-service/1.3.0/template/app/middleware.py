"""What every request goes through: a request id, a server span, the body-size limit and the
timeout, metrics by route template, one access log line, and a 500 for an unhandled exception.
A Prometheus scrape of /metrics on the traffic's port (METRICS_PORT equal to PORT) goes through
none of it: it is not traffic, and counting it would add a request to every scrape interval."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode, TracerProvider
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import logs
from .metrics import Metrics

log = logging.getLogger("app.access")
errors = logging.getLogger("app.errors")

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
# A caller's request id is kept when it is short and harmless in logs and headers.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Probes are logged at debug: at info they would drown the requests that matter.
QUIET_ROUTES = {"/healthz", "/readyz"}
# The route create_app adds when /metrics shares the traffic's port; scrapes of it are not
# requests of the service (no metrics, span or access log), as on a metrics port of its own.
SCRAPE_ROUTE = "/metrics"


class BodyTooLarge(Exception):
    pass


def route_of(router: Router, scope: Scope) -> str:
    """The route template (`/items/{id}`), never the raw path: one time series per route."""
    for route in router.routes:
        match, _ = route.matches(scope)
        if match != Match.NONE:
            return getattr(route, "path", "unmatched")
    return "unmatched"


class Observability:
    def __init__(
        self,
        app: ASGIApp,
        *,
        router: Router,
        metrics: Metrics,
        timeout_seconds: float,
        max_body_bytes: int,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        self.app = app
        self.router = router
        self.metrics = metrics
        self.timeout = timeout_seconds
        self.max_body = max_body_bytes
        self.tracer = trace.get_tracer("app", tracer_provider=tracer_provider)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = route_of(self.router, scope)
        if route == SCRAPE_ROUTE:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        rid = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        token = logs.request_id.set(rid)
        method = scope["method"] if scope["method"] in METHODS else "OTHER"
        status = 500
        response_started = False

        async def send_wrapped(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge
            return message

        async def answer(code: int, error: str) -> None:
            if response_started:
                return
            body = json.dumps({"error": error, "request_id": rid}).encode()
            await send_wrapped(
                {
                    "type": "http.response.start",
                    "status": code,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send_wrapped({"type": "http.response.body", "body": body})

        self.metrics.in_flight.inc()
        with self.tracer.start_as_current_span(
            f"{method} {route}",
            context=propagate.extract(headers),
            kind=SpanKind.SERVER,
            attributes={
                "http.request.method": method,
                "http.route": route,
                "url.path": scope["path"],
            },
        ) as span:
            try:
                length = headers.get("content-length", "")
                if length.isdigit() and int(length) > self.max_body:
                    raise BodyTooLarge
                async with asyncio.timeout(self.timeout):
                    await self.app(scope, receive_limited, send_wrapped)
            except BodyTooLarge:
                await answer(413, f"request body larger than {self.max_body} bytes")
                status = 413
            except TimeoutError:
                errors.warning("request timed out", extra={"timeout_seconds": self.timeout})
                await answer(504, "request timed out")
                status = 504
            except Exception as e:
                errors.exception("unhandled exception", extra={"method": method, "route": route})
                span.record_exception(e)
                await answer(500, "internal server error")
                status = 500
            finally:
                seconds = time.perf_counter() - started
                self.metrics.in_flight.dec()
                self.metrics.observe(method, route, status, seconds)
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))
                log.log(
                    logging.DEBUG if route in QUIET_ROUTES else logging.INFO,
                    "request",
                    extra={
                        "method": scope["method"],
                        "route": route,
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round(seconds * 1000, 3),
                    },
                )
                logs.request_id.reset(token)
