#!/usr/bin/env python3
"""Lints and renders a Helm chart with the Helm Go SDK (helm-python-sdk), without a helm binary.

Usage: helm_check.py CHART_DIR OUT_DIR

1. `helm lint --strict` for Kubernetes 1.30: any warning or error fails.
2. Renders the chart like `helm template`, in scenarios that switch on every optional object, and
   checks what each must (and must not) contain: the restricted Pod Security Standard, probes,
   the PodDisruptionBudget and NetworkPolicy, and the Prometheus Operator objects appearing only
   when the cluster serves monitoring.coreos.com/v1.
   Charts that declare them (older releases do not, and are checked as before) are also checked
   for: a `metricsPort` value (metrics on their own container port `metrics`, exposed by the
   Service, scraped by the ServiceMonitor, never routed to by the Ingress or HTTPRoute, and
   admitted by the NetworkPolicy from the monitoring namespace only, the Gateway's namespace
   being admitted to the HTTP port when the HTTPRoute is on); an `image.digest` value
   (repository@digest); `owner`/`component`/`partOf` values (labels on every object and pod);
   a `dashboard` value (a ConfigMap labelled for Grafana's sidecar holding the dashboard JSON).
   A `metricsPort` equal to `containerPort` (a project upgraded from a release that served
   /metrics on its HTTP port) means one port: no `metrics` port in the Deployment or Service, the
   ServiceMonitor scraping `http`, and the NetworkPolicy admitting the monitoring namespace there.
3. Checks values.schema.json rejects values that would break the chart's guarantees.
4. Writes every rendered object to OUT_DIR/<scenario>/<n>-<kind>-<name>.yaml (one per file) for
   kubernetes-validate and check-jsonschema.

Exits 1 listing every failure.
"""

from __future__ import annotations

import json
import os
import sys

import helm_python as helm
import yaml
from helm_python import _native

KUBE_VERSION = "v1.30.0"
MONITORING = "monitoring.coreos.com/v1"
failures: list[str] = []


def fail(message: str) -> None:
    failures.append(message)


def render(chart: helm.Chart, values: dict, api_versions: list[str]) -> list[dict]:
    # Chart.render() does not expose the API versions a cluster serves (`helm template
    # --api-versions`); the native render options do, so call them directly.
    opts = {
        "name": "release",
        "namespace": "production",
        "kube_version": KUBE_VERSION,
        "api_versions": api_versions,
    }
    out = json.loads(_native.call_string("helm_render", chart._raw(), json.dumps(values), json.dumps(opts)))
    objects = []
    for path in sorted(out):
        if path.endswith("NOTES.txt"):
            continue
        for doc in yaml.safe_load_all(out[path]):
            if doc:
                doc.setdefault("metadata", {}).setdefault("annotations", None)
                if doc["metadata"]["annotations"] is None:
                    del doc["metadata"]["annotations"]
                objects.append(doc)
    return objects


def kinds(objects: list[dict]) -> list[str]:
    return sorted(o["kind"] for o in objects)


def one(objects: list[dict], kind: str, scenario: str) -> dict:
    found = [o for o in objects if o["kind"] == kind]
    if len(found) != 1:
        fail(f"{scenario}: expected one {kind}, found {len(found)}")
        return {}
    return found[0]


def check_deployment(deploy: dict, scenario: str, values: dict) -> None:
    selector = deploy.get("spec", {}).get("selector", {}).get("matchLabels", {})
    spec = deploy.get("spec", {}).get("template", {}).get("spec", {})
    constraints = spec.get("topologySpreadConstraints", [])
    if len(constraints) != len(values.get("topologySpreadConstraints") or []):
        fail(f"{scenario}: Deployment has {len(constraints)} topology spread constraints, values {values.get('topologySpreadConstraints')}")
    for t in constraints:
        if t.get("labelSelector", {}).get("matchLabels") != selector:
            fail(f"{scenario}: topology spread constraint {t} must select the Deployment's pods {selector}")
    pod_sc = spec.get("securityContext", {})
    where = f"{scenario}: Deployment"
    if pod_sc.get("runAsNonRoot") is not True:
        fail(f"{where}: pod securityContext.runAsNonRoot must be true")
    if pod_sc.get("seccompProfile", {}).get("type") not in ("RuntimeDefault", "Localhost"):
        fail(f"{where}: pod seccompProfile must be RuntimeDefault")
    if spec.get("automountServiceAccountToken") is not False:
        fail(f"{where}: the service account token must not be mounted")
    for c in spec.get("containers", []):
        sc = c.get("securityContext", {})
        cw = f"{where} container {c.get('name')}"
        if sc.get("allowPrivilegeEscalation") is not False:
            fail(f"{cw}: allowPrivilegeEscalation must be false")
        if "ALL" not in sc.get("capabilities", {}).get("drop", []):
            fail(f"{cw}: must drop ALL capabilities")
        if sc.get("readOnlyRootFilesystem") is not True:
            fail(f"{cw}: root filesystem must be read-only")
        for probe in ("livenessProbe", "readinessProbe") + (("startupProbe",) if "startupProbe" in values else ()):
            if probe not in c:
                fail(f"{cw}: has no {probe}")
        if "memory" not in c.get("resources", {}).get("limits", {}):
            fail(f"{cw}: has no memory limit")
        if "startupProbe" in c and "livenessProbe" in c:
            startup = c["startupProbe"]
            window = startup.get("periodSeconds", 10) * startup.get("failureThreshold", 3)
            if window < 10:
                fail(f"{cw}: the startup probe allows only {window}s to start")
        ports = [(p.get("name"), p.get("containerPort")) for p in c.get("ports", [])]
        expected = [("http", values["containerPort"])]
        if "metricsPort" in values and not shared_port(values):
            expected.append(("metrics", values["metricsPort"]))
        if [port for _, port in ports] != [port for _, port in expected] or (
            "metricsPort" in values and ports != expected
        ):
            fail(f"{cw}: ports {ports}, expected {expected}")
        if values.get("image", {}).get("digest"):
            want = f"{values['image']['repository']}@{values['image']['digest']}"
            if c.get("image") != want:
                fail(f"{cw}: image {c.get('image')}, expected {want}")


LABELS = {
    "owner": "owner",
    "component": "app.kubernetes.io/component",
    "partOf": "app.kubernetes.io/part-of",
}


def check_labels(objects: list[dict], scenario: str, values: dict) -> None:
    """Every object, and the pods of the Deployment, carry the values' ownership labels."""
    wanted = {label: str(values[key]) for key, label in LABELS.items() if values.get(key)}
    if not wanted:
        return
    for o in objects:
        labels = o.get("metadata", {}).get("labels", {}) or {}
        where = f"{scenario}: {o.get('kind')} {o.get('metadata', {}).get('name')}"
        for label, value in wanted.items():
            if labels.get(label) != value:
                fail(f"{where}: label {label} is {labels.get(label)!r}, expected {value!r}")
        if o.get("kind") == "Deployment":
            pod_labels = o["spec"]["template"]["metadata"].get("labels", {})
            for label, value in wanted.items():
                if pod_labels.get(label) != value:
                    fail(f"{where}: pod label {label} is {pod_labels.get(label)!r}, expected {value!r}")


def peers(rule: dict) -> list[str]:
    """The namespaces a NetworkPolicy ingress rule admits (`*` for a peer without one)."""
    out = []
    for peer in rule.get("from", []) or [{}]:
        ns = (peer.get("namespaceSelector") or {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
        out.append(ns if ns else ("<own namespace>" if "podSelector" in peer and "namespaceSelector" not in peer else "*"))
    return out


def shared_port(values: dict) -> bool:
    """/metrics served on the HTTP port: metricsPort is containerPort."""
    return "metricsPort" in values and values["metricsPort"] == values.get("containerPort")


def check_metrics_port(objects: list[dict], scenario: str, values: dict) -> None:
    """Metrics on their own port: exposed to Prometheus, never routed, admitted from monitoring only.
    On the HTTP port (shared_port): scraped there, and monitoring admitted there."""
    if "metricsPort" not in values:
        return
    service = next((o for o in objects if o["kind"] == "Service"), None)
    if service is None:
        return
    ports = {p.get("name"): p for p in service["spec"].get("ports", [])}
    shared = shared_port(values)
    scraped = "http" if shared else "metrics"
    if shared:
        if list(ports) != ["http"]:
            fail(f"{scenario}: metricsPort is containerPort, so the Service must have only the `http` port: {list(ports)}")
    elif ports.get("metrics", {}).get("targetPort") != "metrics":
        fail(f"{scenario}: the Service exposes no `metrics` port targeting the container's: {list(ports)}")
    metrics_port = ports.get("metrics", {}).get("port")
    http_port = ports.get("http", {}).get("port")
    for o in objects:
        if o["kind"] == "Ingress":
            for r in o["spec"].get("rules", []):
                for path in r.get("http", {}).get("paths", []):
                    port = path["backend"]["service"]["port"]
                    if port.get("number") != http_port or port.get("name") == "metrics":
                        fail(f"{scenario}: the Ingress routes to port {port}, not the HTTP port {http_port}")
        if o["kind"] == "HTTPRoute":
            for r in o["spec"].get("rules", []):
                for ref in r.get("backendRefs", []):
                    if ref.get("port") != http_port:
                        fail(f"{scenario}: the HTTPRoute routes to port {ref.get('port')}, not the HTTP port {http_port}")
        if o["kind"] == "ServiceMonitor":
            endpoints = o["spec"].get("endpoints", [])
            if [e.get("port") for e in endpoints] != [scraped]:
                fail(f"{scenario}: the ServiceMonitor scrapes {endpoints}, expected the `{scraped}` port")
        if o["kind"] == "NetworkPolicy":
            rules = o["spec"].get("ingress", [])
            by_port: dict[str, list[str]] = {}
            for rule in rules:
                for port in rule.get("ports", []) or [{"port": "*"}]:
                    by_port.setdefault(str(port.get("port")), []).extend(peers(rule))
            monitoring = values.get("networkPolicy", {}).get("monitoring", {}).get("namespace")
            if shared:
                if "metrics" in by_port or monitoring not in by_port.get("http", []):
                    fail(f"{scenario}: metricsPort is containerPort, so the NetworkPolicy must admit {monitoring!r} to the HTTP port, and have no metrics port: {by_port}")
            elif by_port.get("metrics") != [monitoring]:
                fail(f"{scenario}: the NetworkPolicy admits {by_port.get('metrics')} to the metrics port, expected only {monitoring!r}")
            if "*" in by_port:
                fail(f"{scenario}: the NetworkPolicy has a rule for every port")
            gateway = values.get("networkPolicy", {}).get("gateway", {}).get("namespace")
            routed = any(x["kind"] == "HTTPRoute" for x in objects)
            if gateway and routed != (gateway in by_port.get("http", [])):
                fail(f"{scenario}: the Gateway namespace {gateway!r} must be admitted to the HTTP port exactly when the HTTPRoute is on: {by_port.get('http')}")
    if metrics_port is not None and metrics_port == http_port:
        fail(f"{scenario}: the Service's metrics and HTTP ports are the same")


def check_dashboard(objects: list[dict], scenario: str, values: dict) -> None:
    """The dashboard ConfigMap: labelled for Grafana's sidecar, holding one dashboard's JSON."""
    if not values.get("dashboard", {}).get("enabled"):
        return
    maps = [o for o in objects if o["kind"] == "ConfigMap"]
    if len(maps) != 1:
        fail(f"{scenario}: expected one dashboard ConfigMap, found {len(maps)}")
        return
    cm = maps[0]
    labels = cm["metadata"].get("labels", {})
    for k, v in values["dashboard"].get("labels", {}).items():
        if labels.get(k) != v:
            fail(f"{scenario}: the dashboard ConfigMap lacks the sidecar label {k}={v!r}")
    data = cm.get("data", {})
    if len(data) != 1 or not next(iter(data)).endswith(".json"):
        fail(f"{scenario}: the dashboard ConfigMap holds {list(data)}, expected one .json key")
        return
    try:
        dash = json.loads(next(iter(data.values())))
    except ValueError as e:
        fail(f"{scenario}: the dashboard ConfigMap's JSON does not parse: {e}")
        return
    if not dash.get("uid") or not dash.get("panels"):
        fail(f"{scenario}: the dashboard in the ConfigMap has no uid or no panels")


def main(chart_dir: str, out_dir: str) -> int:
    report = helm.lint(chart_dir, strict=True, kube_version=KUBE_VERSION)
    for m in report.get("messages", []):
        line = f"helm lint: [{m['severity']}] {m['path']}: {m['error']}"
        print(line)
        if m["severity"] >= 2:
            fail(line)
    for e in report.get("errors", []):
        fail(f"helm lint: {e}")

    chart = helm.Chart.load(chart_dir)
    values = chart.values
    templates = {t["name"] for t in chart.templates}
    operator = "templates/servicemonitor.yaml" in templates
    if operator != ("templates/prometheusrule.yaml" in templates):
        fail("servicemonitor.yaml and prometheusrule.yaml must come together")

    scenarios = {
        # Defaults, on a cluster without the Prometheus Operator: its objects must not render.
        "default": ({}, []),
        # Every optional object on, on a cluster that serves the Operator's CRDs.
        "full": (
            {
                "autoscaling": {"enabled": True},
                "ingress": {
                    "enabled": True,
                    "className": "nginx",
                    "tls": [{"secretName": "web-tls", "hosts": ["web.example.com"]}],
                },
            },
            [MONITORING],
        ),
        # The Gateway API route instead of the Ingress.
        "gateway": ({"httpRoute": {"enabled": True}}, []),
    }
    if "digest" in values.get("image", {}):
        # The image by digest: what CI built and signed, whatever the tag points at now.
        scenarios["gateway"][0]["image"] = {"digest": "sha256:" + "ab" * 32}
    rendered = {}
    for name, (overrides, api_versions) in scenarios.items():
        try:
            rendered[name] = render(chart, overrides, api_versions)
        except helm.HelmError as e:
            fail(f"{name}: render failed: {e}")
            rendered[name] = []

    base = ["Deployment", "NetworkPolicy", "Pod", "PodDisruptionBudget", "Service", "ServiceAccount"]
    if values.get("dashboard", {}).get("enabled"):
        base = sorted(base + ["ConfigMap"])
    expect = {
        "default": base,
        "full": sorted(base + ["HorizontalPodAutoscaler", "Ingress"] + (["PrometheusRule", "ServiceMonitor"] if operator else [])),
        "gateway": sorted(base + ["HTTPRoute"]),
    }
    for name, objects in rendered.items():
        if kinds(objects) != expect[name]:
            fail(f"{name}: rendered {kinds(objects)}, expected {expect[name]}")
        deploy = one(objects, "Deployment", name)
        scenario_values = {**values, "image": {**values.get("image", {}), **scenarios[name][0].get("image", {})}}
        if deploy:
            check_deployment(deploy, name, scenario_values)
        check_labels(objects, name, values)
        check_metrics_port(objects, name, values)
        check_dashboard(objects, name, values)
        test_pod = one(objects, "Pod", name)
        if test_pod and test_pod.get("metadata", {}).get("annotations", {}).get("helm.sh/hook") != "test":
            fail(f"{name}: the Pod must be the `helm test` hook")
    default_deploy = one(rendered.get("default", []), "Deployment", "default")
    if default_deploy and default_deploy["spec"].get("replicas") != values.get("replicaCount"):
        fail("default: Deployment replicas do not follow values.replicaCount")
    full = rendered.get("full", [])
    if one(full, "Deployment", "full").get("spec", {}).get("replicas") is not None:
        fail("full: with autoscaling on, the Deployment must leave replicas to the HPA")
    hpa = one(full, "HorizontalPodAutoscaler", "full")
    if hpa and hpa["spec"]["minReplicas"] != values["autoscaling"]["minReplicas"]:
        fail("full: HPA minReplicas does not follow values")
    if operator:
        rule = one(full, "PrometheusRule", "full")
        groups = [g["name"] for g in rule.get("spec", {}).get("groups", [])]
        if len(groups) < 2:
            fail(f"full: PrometheusRule has groups {groups}, expected recording and alerting groups")
        monitor = one(full, "ServiceMonitor", "full")
        endpoints = monitor.get("spec", {}).get("endpoints", [])
        if [e.get("path") for e in endpoints] != ["/metrics"]:
            fail(f"full: ServiceMonitor endpoints {endpoints}, expected one scraping /metrics")

    # The schema must reject values that break the chart's guarantees, and typos.
    bad_values = {
        "privilege escalation": {"securityContext": {"allowPrivilegeEscalation": True, "capabilities": {"drop": ["ALL"]}}},
        "running as root": {"podSecurityContext": {"runAsNonRoot": False, "seccompProfile": {"type": "RuntimeDefault"}}},
        "a misspelled key": {"replicaCont": 3},
        "a port below 1024": {"containerPort": 80},
    }
    if "digest" in values.get("image", {}):
        bad_values["a digest that is no sha256 digest"] = {"image": {"digest": "latest"}}
    if "owner" in values:
        bad_values["an owner label ending with -"] = {"owner": "team-"}
    if "metricsPort" in values:
        bad_values["a metrics port below 1024"] = {"metricsPort": 80}
    for what, overrides in bad_values.items():
        try:
            chart.validate_schema(chart.merge_values(overrides))
        except helm.HelmError:
            continue
        fail(f"values.schema.json accepts {what}: {overrides}")
    try:
        chart.validate_schema(values)
    except helm.HelmError as e:
        fail(f"values.schema.json rejects the chart's own values.yaml: {e}")

    for name, objects in rendered.items():
        folder = os.path.join(out_dir, name)
        os.makedirs(folder, exist_ok=True)
        for i, o in enumerate(objects):
            file = os.path.join(folder, f"{i:02d}-{o['kind'].lower()}-{o['metadata']['name']}.yaml")
            with open(file, "w") as f:
                yaml.safe_dump(o, f, sort_keys=False)
        print(f"{name}: {', '.join(kinds(objects))}")

    for f in failures:
        print(f"FAIL {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
