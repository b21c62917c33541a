"""OpenTelemetry tracing through the OTLP exporter (HTTP/protobuf), configured by the standard
OTEL_* variables and off unless an OTLP endpoint is set."""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def enabled(env: Mapping[str, str]) -> bool:
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if env.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "none":
        return False
    return any(env.get(name, "").strip() for name in ENDPOINTS)


def configure(service_name: str, env: Mapping[str, str]) -> TracerProvider | None:
    """Installs the global tracer provider when tracing is on; returns it so it can be flushed
    at shutdown. The exporter, sampler and resource read the rest of OTEL_* themselves."""
    if not enabled(env):
        return None
    # OTEL_SERVICE_NAME, when set, names the service; the resource reads it itself.
    attributes = {} if env.get("OTEL_SERVICE_NAME") else {"service.name": service_name}
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider
