"""Every metric the alerts query is one the running service exports."""

import re
from pathlib import Path

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[1]
# Series the alerts may query that Prometheus itself makes.
FROM_PROMETHEUS = {"up"}


def queried_metrics() -> set[str]:
    names = set()
    for rules in sorted((ROOT / "alerts").glob("*.yaml")):
        if rules.name.endswith(".test.yaml"):
            continue
        for name in re.findall(r"\b([a-zA-Z_][a-zA-Z0-9_:]*)\{", rules.read_text()):
            # Recording rules (level:metric:operation) are made by the rules themselves.
            if ":" not in name and name not in FROM_PROMETHEUS:
                names.add(name)
    return names


def exported_metrics(client) -> set[str]:
    client.get("/")
    text = generate_latest(client.app.state.metrics.registry).decode()
    return {s.name for family in text_string_to_metric_families(text) for s in family.samples}


def test_the_alerts_query_only_metrics_the_service_exports(client):
    queried = queried_metrics()
    assert "http_requests_total" in queried
    missing = queried - exported_metrics(client)
    assert not missing, f"the alerts query metrics the service does not export: {sorted(missing)}"
