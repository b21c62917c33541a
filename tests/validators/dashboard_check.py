#!/usr/bin/env python3
"""Checks the Grafana dashboards and Prometheus rules of a rendered golden-path project.

Bundle-agnostic: it reads `dashboards/*.json` and the rule files `alerts/*.yaml` (their
`*.test.yaml` promtool tests aside) of the project folder it is given, whatever the language.

    dashboard_check.py check PROJECT [--promtool PATH]
        (a) every dashboard decodes into Grafana's own dashboard model (the grafana-foundation-sdk
            wheel, generated from Grafana's schema) and encodes back without losing or changing
            a field: a misspelled or unknown key, or a value of the wrong shape, shows up as a
            difference; its enums (variable type/hide/refresh/sort, tooltip, threshold mode, link
            type) hold values the model knows; every panel type and datasource type is one
            Grafana ships; every query of a Prometheus panel is typed as a Prometheus query;
            panel ids are unique; every $variable a query or datasource uses is defined;
        (b) every panel and variable query parses as PromQL with Prometheus' own parser: the
            expressions, with Grafana's $variables substituted, go into a rule file that
            `promtool check rules` reads.

    dashboard_check.py metrics PROJECT
        Prints, one a line, the metric names the dashboards and the rules query, less the series
        the rules record themselves and those Prometheus makes when it scrapes (`up`, `scrape_*`):
        the names the running service must export.

    dashboard_check.py exported PROJECT EXPOSITION_FILE
        Compares those names with the samples of a /metrics response saved in EXPOSITION_FILE
        (Prometheus text or OpenMetrics) and fails naming every queried metric the service does
        not export.

Exit codes: 0 when everything holds, 1 when a check fails (each problem on a line of its own,
naming the file and the panel), 2 on bad usage or a missing tool.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import promql_parser
    import yaml
    from grafana_foundation_sdk.cog import plugins as cog_plugins
    from grafana_foundation_sdk.cog import runtime as cog_runtime
    from grafana_foundation_sdk.cog.encoder import JSONEncoder
    from grafana_foundation_sdk.models import dashboard as model
    from grafana_foundation_sdk.models import prometheus as prometheus_model
except ImportError as e:  # pragma: no cover - reported to the caller
    print(
        f"dashboard_check: {e}: run tests/install-validators and use .tools/venv/bin/python",
        file=sys.stderr,
    )
    sys.exit(2)

# Grafana's global variables a query may use without defining them, and a value of the right
# kind for each when a query is parsed.
DURATION_GLOBALS = {"__rate_interval": "5m", "__interval": "1m", "__range": "1h"}
OTHER_GLOBALS = {"__interval_ms": "60000", "__range_s": "3600", "__range_ms": "3600000"}
# Series Prometheus itself adds to every scrape target: never on a /metrics page.
SCRAPE_SERIES = {
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
}
VARIABLE = re.compile(r"\$(?:\{(\w+)(?::\w+)?\}|(\w+))")


def dashboards(project: str) -> list[str]:
    return sorted(glob.glob(os.path.join(project, "dashboards", "*.json")))


def rule_files(project: str) -> list[str]:
    return sorted(
        p
        for p in glob.glob(os.path.join(project, "alerts", "*.yaml"))
        if not p.endswith(".test.yaml")
    )


def rel(project: str, path: str) -> str:
    return os.path.relpath(path, project)


def load_json(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def panels_of(dash: dict) -> list[dict]:
    """Every panel, those nested in collapsed rows included."""
    out = []
    for panel in dash.get("panels") or []:
        out.append(panel)
        out.extend(panel.get("panels") or [])
    return out


def panel_label(panel: dict) -> str:
    return f"panel {panel.get('id')} \"{panel.get('title', '')}\""


def queries(dash: dict) -> list[tuple[str, str]]:
    """(where, PromQL) of every panel target and every query variable."""
    out = []
    for panel in panels_of(dash):
        for target in panel.get("targets") or []:
            if isinstance(target, dict) and target.get("expr"):
                out.append((f"{panel_label(panel)} target {target.get('refId')}", target["expr"]))
    for var in (dash.get("templating") or {}).get("list") or []:
        if var.get("type") != "query":
            continue
        query = var.get("query")
        if isinstance(query, dict):
            query = query.get("query")
        if query:
            out.append((f"variable ${var.get('name')}", query))
    return out


def label_values_inner(query: str) -> str | None:
    """Grafana's `label_values(SELECTOR, label)` and friends are not PromQL: their selector is."""
    m = re.fullmatch(r"\s*label_values\((.*),\s*\w+\s*\)\s*", query, re.S)
    if m:
        return m.group(1)
    if re.fullmatch(r"\s*label_values\(\s*\w+\s*\)\s*", query):
        return None
    m = re.fullmatch(r"\s*(?:query_result|metrics)\((.*)\)\s*", query, re.S)
    return m.group(1) if m else query


def substitute(expr: str) -> str:
    """Grafana's variables replaced by values of their kind, so Prometheus' parser can read it."""

    def value(m: re.Match) -> str:
        name = m.group(1) or m.group(2)
        if name in DURATION_GLOBALS:
            return DURATION_GLOBALS[name]
        if name in OTHER_GLOBALS:
            return OTHER_GLOBALS[name]
        return "placeholder"

    return VARIABLE.sub(value, expr)


# --- (a) Grafana's model -------------------------------------------------------------------


def differences(before, after, path: str, out: list[str]) -> None:
    """Where `after` (the model's encoding) lost or changed something `before` had."""
    if isinstance(before, dict):
        if not isinstance(after, dict):
            out.append(f"{path}: decoded as {type(after).__name__}, not an object")
            return
        for key, value in before.items():
            if key not in after:
                out.append(f"{path}.{key}: not a field of Grafana's model (dropped)")
            else:
                differences(value, after[key], f"{path}.{key}", out)
    elif isinstance(before, list):
        if not isinstance(after, list) or len(after) != len(before):
            out.append(f"{path}: list changed shape in Grafana's model")
            return
        for i, (b, a) in enumerate(zip(before, after)):
            differences(b, a, f"{path}[{i}]", out)
    elif before != after and not (
        isinstance(before, (int, float)) and isinstance(after, (int, float)) and before == after
    ):
        out.append(f"{path}: {before!r} became {after!r} in Grafana's model")


def enum_values(enum) -> set:
    return {member.value for member in enum}


def check_model(name: str, dash: dict, problems: list[str]) -> None:
    decoded = model.Dashboard.from_json(dash)
    encoded = json.loads(json.dumps(decoded, cls=JSONEncoder))
    found: list[str] = []
    differences(dash, encoded, "$", found)
    problems.extend(f"{name}: {p}" for p in found)

    for key in ("uid", "title", "schemaVersion", "panels", "templating"):
        if key not in dash:
            problems.append(f"{name}: no `{key}`")
    if len(str(dash.get("uid", ""))) > 40:
        problems.append(f"{name}: uid longer than Grafana's 40 characters")
    if "graphTooltip" in dash and dash["graphTooltip"] not in enum_values(model.DashboardCursorSync):
        problems.append(f"{name}: graphTooltip {dash['graphTooltip']!r} is not a DashboardCursorSync")
    for link in dash.get("links") or []:
        if link.get("type") not in enum_values(model.DashboardLinkType):
            problems.append(f"{name}: link type {link.get('type')!r} is not a DashboardLinkType")

    variables = (dash.get("templating") or {}).get("list") or []
    defined = set()
    for var in variables:
        vname = var.get("name")
        defined.add(vname)
        for key, enum in (
            ("type", model.VariableType),
            ("hide", model.VariableHide),
            ("refresh", model.VariableRefresh),
            ("sort", model.VariableSort),
        ):
            if key in var and var[key] not in enum_values(enum):
                problems.append(f"{name}: variable ${vname}: {key} {var[key]!r} is not a {enum.__name__}")
    if not any(v.get("type") == "datasource" for v in variables):
        problems.append(f"{name}: no datasource variable: the data source is hard-coded")

    panel_types = set(cog_runtime.Runtime().panelcfg_variants) | {"row"}
    datasource_types = set(cog_runtime.Runtime().dataquery_variants)
    ids: dict = {}
    for panel in panels_of(dash):
        label = panel_label(panel)
        if panel.get("id") in ids:
            problems.append(f"{name}: {label}: id also used by {ids[panel.get('id')]}")
        ids[panel.get("id")] = label
        if panel.get("type") not in panel_types:
            problems.append(f"{name}: {label}: type {panel.get('type')!r} is no Grafana panel")
        grid = panel.get("gridPos") or {}
        if not grid or grid.get("x", 0) + grid.get("w", 0) > 24:
            problems.append(f"{name}: {label}: gridPos missing or wider than 24 columns")
        mode = (((panel.get("fieldConfig") or {}).get("defaults") or {}).get("thresholds") or {}).get("mode")
        if mode is not None and mode not in enum_values(model.ThresholdsMode):
            problems.append(f"{name}: {label}: thresholds mode {mode!r}")
        if panel.get("type") == "row":
            continue
        ds = panel.get("datasource") or {}
        if ds.get("type") not in datasource_types:
            problems.append(f"{name}: {label}: datasource type {ds.get('type')!r} is no Grafana datasource")
        if not panel.get("targets"):
            problems.append(f"{name}: {label}: no query")
    for panel in decoded.panels or []:
        for target in getattr(panel, "targets", None) or []:
            ds = (getattr(panel, "datasource", None) and panel.datasource.type_val) or ""
            if ds == "prometheus" and not isinstance(target, prometheus_model.Dataquery):
                problems.append(f"{name}: panel {panel.id_val}: a target is not a Prometheus query")

    # Every variable used is defined (or one of Grafana's globals).
    used = []
    for where, expr in queries(dash):
        used += [(where, m.group(1) or m.group(2)) for m in VARIABLE.finditer(expr)]
    for panel in panels_of(dash):
        uid = str((panel.get("datasource") or {}).get("uid", ""))
        used += [(panel_label(panel), m.group(1) or m.group(2)) for m in VARIABLE.finditer(uid)]
    for where, var in used:
        if var not in defined and var not in DURATION_GLOBALS and var not in OTHER_GLOBALS:
            problems.append(f"{name}: {where}: ${var} is not a variable of the dashboard")


# --- (b) PromQL, by Prometheus' own parser ---------------------------------------------------


def check_promql(project: str, promtool: str, problems: list[str]) -> int:
    exprs = []
    for path in dashboards(project):
        for where, expr in queries(load_json(path)):
            inner = label_values_inner(expr)
            if inner is not None:
                exprs.append((f"{rel(project, path)}: {where}", substitute(inner)))
    if not exprs:
        return 0
    rules = {
        "groups": [
            {
                "name": "dashboard-queries",
                "rules": [
                    {"record": f"dashboard:query_{i}", "expr": expr}
                    for i, (_, expr) in enumerate(exprs)
                ],
            }
        ]
    }
    with tempfile.TemporaryDirectory() as tmp:
        file = os.path.join(tmp, "dashboard-queries.yaml")
        with open(file, "w", encoding="utf-8") as f:
            yaml.safe_dump(rules, f, sort_keys=False)
        out = subprocess.run([promtool, "check", "rules", file], capture_output=True, text=True)
    if out.returncode != 0:
        # promtool names the rule by its index: map it back to the panel.
        text = out.stdout + out.stderr
        for i, (where, expr) in enumerate(exprs):
            if re.search(rf"\bdashboard:query_{i}\b|rule {i + 1}\b", text):
                problems.append(f"{where}: not PromQL: {expr}")
        problems.append(f"promtool check rules failed:\n{text.strip()}")
    return len(exprs)


# --- (c) metric names --------------------------------------------------------------------------


def selector_names(expr) -> set[str]:
    """Metric names of every vector selector in a parsed PromQL expression."""
    names: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            if node.name:
                names.add(node.name)
            for m in node.matchers.matchers:
                if m.name == "__name__" and m.op == promql_parser.MatchOp.Equal:
                    names.add(m.value)
        elif isinstance(node, promql_parser.MatrixSelector):
            walk(node.vector_selector)
        elif isinstance(node, promql_parser.BinaryExpr):
            walk(node.lhs)
            walk(node.rhs)
        elif isinstance(node, (promql_parser.AggregateExpr,)):
            walk(node.expr)
            if node.param is not None:
                walk(node.param)
        elif isinstance(node, promql_parser.Call):
            for arg in node.args:
                if arg is not None:
                    walk(arg)
        elif isinstance(node, (promql_parser.ParenExpr, promql_parser.UnaryExpr, promql_parser.SubqueryExpr)):
            walk(node.expr)

    walk(expr)
    return names


def parse(where: str, expr: str, problems: list[str]):
    try:
        return promql_parser.parse(expr)
    except Exception as e:  # the parser raises its own error types
        problems.append(f"{where}: not PromQL ({e}): {expr}")
        return None


def queried_metrics(project: str, problems: list[str]) -> set[str]:
    queried: set[str] = set()
    recorded: set[str] = set()
    for path in rule_files(project):
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f) or {}
        for group in doc.get("groups") or []:
            for rule in group.get("rules") or []:
                if "record" in rule:
                    recorded.add(rule["record"])
                tree = parse(f"{rel(project, path)}: {rule.get('record') or rule.get('alert')}", str(rule.get("expr", "")), problems)
                if tree is not None:
                    queried |= selector_names(tree)
    for path in dashboards(project):
        for where, expr in queries(load_json(path)):
            inner = label_values_inner(expr)
            if inner is None:
                continue
            tree = parse(f"{rel(project, path)}: {where}", substitute(inner), problems)
            if tree is not None:
                queried |= selector_names(tree)
    return queried - recorded - SCRAPE_SERIES


def exported_metrics(exposition: str) -> set[str]:
    """Sample names of a Prometheus text or OpenMetrics exposition."""
    names = set()
    for line in exposition.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)", line)
        if m:
            names.add(m.group(1))
    return names


# --- entry points ------------------------------------------------------------------------------


def fail(problems: list[str]) -> int:
    for p in problems:
        print(f"dashboard_check: {p}", file=sys.stderr)
    return 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check")
    check.add_argument("project")
    check.add_argument("--promtool", default=shutil.which("promtool"))
    metrics = sub.add_parser("metrics")
    metrics.add_argument("project")
    exported = sub.add_parser("exported")
    exported.add_argument("project")
    exported.add_argument("exposition")
    args = parser.parse_args()

    problems: list[str] = []
    if args.command == "check":
        if not args.promtool:
            print("dashboard_check: promtool is not on PATH", file=sys.stderr)
            return 2
        found = dashboards(args.project)
        if not found:
            return fail([f"{args.project}: no dashboards/*.json"])
        cog_plugins.register_default_plugins()
        for path in found:
            check_model(rel(args.project, path), load_json(path), problems)
        count = check_promql(args.project, args.promtool, problems)
        if problems:
            return fail(problems)
        print(f"dashboard_check: {len(found)} dashboard(s) and {count} queries are valid")
        return 0

    queried = queried_metrics(args.project, problems)
    if problems:
        return fail(problems)
    if args.command == "metrics":
        for name in sorted(queried):
            print(name)
        return 0
    with open(args.exposition, encoding="utf-8") as f:
        have = exported_metrics(f.read())
    missing = sorted(queried - have)
    if missing:
        return fail(
            [f"{name}: queried by the dashboards or rules, not exported on /metrics" for name in missing]
        )
    print(f"dashboard_check: all {len(queried)} queried metrics are exported: {', '.join(sorted(queried))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
