"""Prometheus metrics of the service, in one registry served at /metrics on a port of its own
(METRICS_PORT), so the Ingress or HTTPRoute that exposes the service never exposes its metrics.
The alerts in alerts/, the chart's PrometheusRule and the dashboard query these names;
tests/test_alerts.py keeps them in step."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

# 5 ms to ~10 s, doubling: covers fast handlers and slow dependencies alike.
BUCKETS = tuple(0.005 * 2**i for i in range(12))


class Metrics:
    def __init__(self, version: str) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.requests = Counter(
            "http_requests",
            "HTTP requests handled, by method, route template and status code",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time from receiving an HTTP request to the end of its response,"
            " by method, route template and status code",
            ["method", "route", "status"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "http_requests_in_flight",
            "HTTP requests being handled (saturation)",
            registry=self.registry,
        )
        build = Gauge(
            "service_build_info", "The running version", ["version"], registry=self.registry
        )
        build.labels(version=version).set(1)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        labels = {"method": method, "route": route, "status": str(status)}
        self.requests.labels(**labels).inc()
        self.duration.labels(**labels).observe(seconds)


class MetricsServer(ThreadingHTTPServer):
    """GET /metrics on its own listener, in a daemon thread: a scrape never waits behind (or
    counts as) application traffic. `close()` stops it."""

    daemon_threads = True

    def __init__(self, sock: socket.socket, registry: CollectorRegistry) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if urlsplit(self.path).path != "/metrics":
                    self.send_error(404)
                    return
                body = generate_latest(registry)
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPE_LATEST)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                # Scrapes every few seconds would drown the access log; failures show as `up`.
                pass

        # The socket is already bound (`__main__.listen`, IPv6 and IPv4 both): use it as it is.
        super().__init__(sock.getsockname()[:2], Handler, bind_and_activate=False)
        self.socket.close()
        self.socket = sock
        self.server_activate()
        self.thread = threading.Thread(target=self.serve_forever, name="metrics", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.shutdown()
        self.server_close()
