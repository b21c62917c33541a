"""Prometheus metrics of the service, in one registry served at /metrics. The alerts in alerts/
and the chart's PrometheusRule query these names; tests/test_alerts.py keeps them in step."""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
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
