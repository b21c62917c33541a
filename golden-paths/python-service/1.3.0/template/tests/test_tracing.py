from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app import tracing
from app.main import create_app

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_tracing_is_off_unless_an_otlp_endpoint_is_set():
    assert not tracing.enabled({})
    assert tracing.enabled({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert tracing.enabled(
        {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}
    )
    assert not tracing.enabled(
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}
    )
    assert not tracing.enabled(
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"}
    )
    assert tracing.configure("svc", {}) is None


def test_requests_continue_the_callers_trace_and_log_its_ids(settings, state, captured_logs):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = create_app(settings, state=state, tracer_provider=provider)
    with TestClient(app) as client:
        client.get("/", headers={"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"})
    (span,) = exporter.get_finished_spans()
    assert span.name == "GET /"
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert span.attributes["http.response.status_code"] == 200
    (access,) = [line for line in captured_logs.lines() if line["message"] == "request"]
    assert access["trace_id"] == TRACE_ID
    assert access["span_id"] == format(span.context.span_id, "016x")
