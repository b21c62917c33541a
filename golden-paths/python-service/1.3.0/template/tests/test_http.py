import asyncio

from fastapi.testclient import TestClient
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from app.config import Settings
from app.main import create_app


def samples(client, name):
    """(labels, value) of every sample named `name` that a scrape of the metrics port reads now."""
    text = generate_latest(client.app.state.metrics.registry).decode()
    return [
        (s.labels, s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    ]


def count(client, **labels):
    return sum(
        v
        for got, v in samples(client, "http_requests_total")
        if all(got.get(k) == w for k, w in labels.items())
    )


def test_probes(client, state):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    state.draining.set()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json() == {"status": "shutting down"}
    # Liveness and traffic are unaffected while draining.
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 200


def test_requests_are_counted_and_timed_by_route_template_and_status(client):
    client.get("/")
    client.get("/")
    client.get("/no/such/page")
    client.post("/")
    assert count(client, route="/", method="GET", status="200") == 2
    assert count(client, route="unmatched", method="GET", status="404") == 1
    assert count(client, route="/", method="POST", status="405") == 1
    buckets = samples(client, "http_request_duration_seconds_count")
    assert ({"method": "GET", "route": "/", "status": "200"}, 2.0) in buckets
    # The raw path never becomes a label value.
    routes = {labels["route"] for labels, _ in samples(client, "http_requests_total")}
    assert "/no/such/page" not in routes


def test_metrics_are_not_served_on_the_http_port(client):
    # The Ingress or HTTPRoute exposes this port; /metrics is on METRICS_PORT only.
    assert client.get("/metrics").status_code == 404


def test_scrapes_on_the_http_port_are_not_counted_as_requests(state):
    # METRICS_PORT equal to PORT (a project upgraded from 1.0.0): /metrics is a route of the app,
    # and a scrape must not count as traffic, or an idle service would show requests.
    settings = Settings(port=8080, metrics_port=8080)
    with TestClient(create_app(settings, state=state)) as client:
        client.get("/")
        for _ in range(3):
            scrape = client.get("/metrics")
            assert scrape.status_code == 200
        assert 'http_requests_total{method="GET",route="/",status="200"} 1.0' in scrape.text
        assert count(client) == 1
        assert count(client, route="/metrics") == 0
        assert samples(client, "http_requests_in_flight") == [({}, 0.0)]


def test_an_unhandled_exception_is_a_counted_and_logged_500(app, client, captured_logs):
    @app.get("/boom")
    def boom():
        raise RuntimeError("the database is on fire")

    response = client.get("/boom", headers={"x-request-id": "req-42"})
    assert response.status_code == 500
    assert response.json() == {"error": "internal server error", "request_id": "req-42"}
    assert count(client, route="/boom", status="500") == 1
    logged = [line for line in captured_logs.lines() if line["message"] == "unhandled exception"]
    assert len(logged) == 1
    assert logged[0]["request_id"] == "req-42"
    assert logged[0]["route"] == "/boom"
    assert "the database is on fire" in logged[0]["exception"]


def test_request_ids_are_kept_or_made_and_logged(client, captured_logs):
    kept = client.get("/", headers={"x-request-id": "abc-123"})
    assert kept.headers["x-request-id"] == "abc-123"
    made = client.get("/", headers={"x-request-id": "not a safe\tid"})
    assert len(made.headers["x-request-id"]) == 32
    access = [
        line
        for line in captured_logs.lines()
        if line["message"] == "request" and line["route"] == "/"
    ]
    assert [line["request_id"] for line in access] == ["abc-123", made.headers["x-request-id"]]
    assert all(line["status"] == 200 and line["level"] == "info" for line in access)


def test_bodies_over_the_limit_are_refused(client):
    assert client.post("/echo", content=b"x" * 1024).status_code == 200
    # Announced by Content-Length: refused before reading.
    assert client.post("/echo", content=b"x" * 1025).status_code == 413

    # Streamed without a length: refused once the limit is crossed.
    def chunks():
        for _ in range(4):
            yield b"y" * 512

    streamed = client.post("/echo", content=chunks())
    assert streamed.status_code == 413
    assert count(client, route="/echo", status="413") == 2


def test_slow_requests_time_out(settings, state):
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from app.main import create_app

    app = create_app(replace(settings, request_timeout_seconds=0.05), state=state)

    @app.get("/slow")
    async def slow():
        await asyncio.sleep(5)

    with TestClient(app) as client:
        assert client.get("/slow").status_code == 504
        assert count(client, route="/slow", status="504") == 1
