#!/usr/bin/env python3
"""Build the reference golden path as a goldpath bundle in a git repo with two tagged versions.

This is a port of /work/shared/peers/make_copier_template.py (the copier version of the same
service), so goldpath and copier render the same files and the benchmarks compare like with like.

Usage: make_reference_bundle.py DEST [--extra N] [--kickstart]

  v1.0.0: a 23-file service (Dockerfile, Helm chart, CI, alerts, catalog, score, ...)
  v2.0.0: bumps images and actions, adds a PDB, renames alerts/rules.yaml -> alerts/slo-rules.yaml
          (declared as a [[migrations]] rename), drops .dockerignore, adds a readiness probe, adds
          the question min_replicas (default 3).

The bundle sits at the repository root (bundle.toml + template/), so `--from file://DEST` finds it.
--extra N adds N templated filler pages (template/docs/page-K.md.tera) to both versions.

--kickstart instead writes DEST as a plain folder holding v1.0.0 as a kickstart template
(template.toml at the root, no `.tera` suffixes, conditional CI files removed by `cleanup`,
verbatim files listed in `copy_without_render`), for the `new` comparison with kickstart.

Differences from the copier template, all of syntax, none of output:
- `.jinja` -> `.tera`; copier's `_copier_conf.answers_file` template is dropped (goldpath writes
  .goldpath.toml itself);
- jinja `replace('-', '_')` -> tera `replace(from='-', to='_')`;
- `${{ '{{' }} github.sha {{ '}}' }}` -> `{% raw %}${{ github.sha }}{% endraw %}`;
- copier's `validator` (a jinja `regex_search`) -> `validation = { regex, message }`.
Everything else (including `(100 - slo_target) / 100 * 14.4`) is valid in both engines and
renders the same bytes; compare.sh checks that.
"""
import argparse
import json
import os
import subprocess
import textwrap


def w(root, rel, text):
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(textwrap.dedent(text).lstrip("\n"))


def git(root, *a):
    subprocess.run(["git", "-C", root, *a], check=True, capture_output=True)


GITHUB = '{% if ci == "github" %}.github{% endif %}'
GITLAB = '{% if ci == "gitlab" %}.gitlab-ci.yml{% endif %}'

MANIFEST_V1 = """
[bundle]
name = "reference-service"
version = "1.0.0"
description = "Reference service (port of the copier benchmark template): Dockerfile, Helm chart, CI, SLO alerts, catalog"

[[questions]]
name = "service_name"
type = "string"
help = "Service name (DNS label)"
validation = { regex = "^[a-z][a-z0-9-]{1,40}$", message = "must be a DNS label" }

[[questions]]
name = "owner"
type = "string"
default = "team-platform"

[[questions]]
name = "port"
type = "int"
default = 8080

[[questions]]
name = "ci"
type = "choice"
choices = ["github", "gitlab"]
default = "github"

[[questions]]
name = "slo_target"
type = "float"
default = 99.9
"""

V1 = {
"bundle.toml": MANIFEST_V1,
"template/README.md.tera": """
# {{ service_name }}

Owned by {{ owner }}. Listens on port {{ port }}.

## Run
    make run
""",
"template/Dockerfile.tera": """
# syntax=docker/dockerfile:1
FROM rust:1.82-slim AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/{{ service_name }} /app
USER nonroot
EXPOSE {{ port }}
ENTRYPOINT ["/app"]
""",
"template/.dockerignore": """
target/
.git/
""",
"template/Makefile.tera": """
run:
\tcargo run
test:
\tcargo test
image:
\tdocker build -t {{ service_name }} .
""",
"template/chart/Chart.yaml.tera": """
apiVersion: v2
name: {{ service_name }}
description: Helm chart for {{ service_name }}
type: application
version: 0.1.0
appVersion: "0.1.0"
""",
"template/chart/values.yaml.tera": """
replicaCount: 2
image:
  repository: ghcr.io/acme/{{ service_name }}
  tag: ""
  pullPolicy: IfNotPresent
service:
  type: ClusterIP
  port: {{ port }}
resources:
  requests: {cpu: 100m, memory: 128Mi}
  limits: {memory: 256Mi}
autoscaling:
  enabled: true
  minReplicas: 2
  maxReplicas: 10
  targetCPUUtilizationPercentage: 75
""",
# Helm templates are not .tera: copied byte for byte, their {{ }} untouched (as in copier).
"template/chart/templates/_helpers.tpl": """
{{- define "svc.fullname" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- define "svc.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
""",
"template/chart/templates/deployment.yaml": """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "svc.fullname" . }}
  labels: {{- include "svc.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels: {{- include "svc.labels" . | nindent 6 }}
  template:
    metadata:
      labels: {{- include "svc.labels" . | nindent 8 }}
    spec:
      securityContext:
        runAsNonRoot: true
      containers:
        - name: app
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
          ports:
            - containerPort: {{ .Values.service.port }}
          resources: {{- toYaml .Values.resources | nindent 12 }}
""",
"template/chart/templates/service.yaml": """
apiVersion: v1
kind: Service
metadata:
  name: {{ include "svc.fullname" . }}
spec:
  type: {{ .Values.service.type }}
  ports:
    - port: {{ .Values.service.port }}
      targetPort: {{ .Values.service.port }}
  selector: {{- include "svc.labels" . | nindent 4 }}
""",
"template/chart/templates/hpa.yaml": """
{{- if .Values.autoscaling.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "svc.fullname" . }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "svc.fullname" . }}
  minReplicas: {{ .Values.autoscaling.minReplicas }}
  maxReplicas: {{ .Values.autoscaling.maxReplicas }}
{{- end }}
""",
"template/chart/templates/serviceaccount.yaml": """
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "svc.fullname" . }}
automountServiceAccountToken: false
""",
f"template/{GITHUB}/workflows/ci.yaml.tera": """
name: ci
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: cargo test --locked
  image:
    needs: test
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: docker build -t ghcr.io/acme/{{ service_name }}:{% raw %}${{ github.sha }}{% endraw %} .
""",
f"template/{GITLAB}.tera": """
stages: [test, image]
test:
  stage: test
  script: [cargo test --locked]
image:
  stage: image
  script: [docker build -t registry.example.com/{{ service_name }}:$CI_COMMIT_SHA .]
""",
"template/alerts/rules.yaml.tera": """
groups:
  - name: {{ service_name }}-slo
    rules:
      - alert: {{ service_name | replace(from='-', to='_') }}_HighErrorRate
        expr: |
          sum(rate(http_requests_total{service="{{ service_name }}",code=~"5.."}[5m]))
          / sum(rate(http_requests_total{service="{{ service_name }}"}[5m])) > {{ (100 - slo_target) / 100 * 14.4 }}
        for: 2m
        labels: {severity: page, team: {{ owner }}}
        annotations: {summary: "{{ service_name }} burns its error budget fast"}
""",
"template/catalog-info.yaml.tera": """
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {{ service_name }}
  annotations:
    backstage.io/source-location: url:./
spec:
  type: service
  lifecycle: production
  owner: {{ owner }}
""",
"template/score.yaml.tera": """
apiVersion: score.dev/v1b1
metadata:
  name: {{ service_name }}
containers:
  app:
    image: ghcr.io/acme/{{ service_name }}:latest
service:
  ports:
    http: {port: {{ port }}}
""",
"template/CODEOWNERS.tera": """
* @{{ owner }}
""",
"template/renovate.json": """
{"extends": ["config:recommended"]}
""",
"template/src/main.rs.tera": """
fn main() {
    println!("{{ service_name }} listening on {{ port }}");
}
""",
"template/Cargo.toml.tera": """
[package]
name = "{{ service_name }}"
version = "0.1.0"
edition = "2021"
""",
"template/docs/runbook.md.tera": """
# {{ service_name }} runbook

## High error rate
1. Check the dashboard.
2. Roll back the last deploy.
""",
}


def v2_changes(files):
    """The same changes as the copier template's v2.0.0, plus the migration that declares the rename."""
    f = dict(files)
    f["bundle.toml"] = (
        textwrap.dedent(f["bundle.toml"]).replace('version = "1.0.0"', 'version = "2.0.0"')
        + textwrap.dedent("""
        [[questions]]
        name = "min_replicas"
        type = "int"
        default = 3

        [[migrations]]
        version = "2.0.0"
        rename = { from = "alerts/rules.yaml", to = "alerts/slo-rules.yaml" }
        """)
    )
    f["template/Dockerfile.tera"] = f["template/Dockerfile.tera"].replace("rust:1.82-slim", "rust:1.86-slim")
    ci = f"template/{GITHUB}/workflows/ci.yaml.tera"
    f[ci] = f[ci].replace("checkout@v4", "checkout@v5")
    f["template/chart/templates/deployment.yaml"] = f["template/chart/templates/deployment.yaml"].replace(
        "          resources:",
        "          readinessProbe:\n            httpGet: {path: /healthz, port: {{ .Values.service.port }}}\n          resources:")
    f["template/chart/values.yaml.tera"] = f["template/chart/values.yaml.tera"].replace(
        "  minReplicas: 2", "  minReplicas: {{ min_replicas }}")
    f["template/chart/templates/pdb.yaml"] = textwrap.dedent("""
    apiVersion: policy/v1
    kind: PodDisruptionBudget
    metadata:
      name: {{ include "svc.fullname" . }}
    spec:
      minAvailable: 1
      selector:
        matchLabels: {{- include "svc.labels" . | nindent 6 }}
    """).lstrip("\n")
    f["template/alerts/slo-rules.yaml.tera"] = f.pop("template/alerts/rules.yaml.tera")
    f.pop("template/.dockerignore")
    return f


def extra_pages(n):
    return {f"template/docs/page-{k}.md.tera": f"# Page {k} of {{{{ service_name }}}}\n\nOwner: {{{{ owner }}}}\n"
            + "lorem ipsum dolor sit amet\n" * 20 for k in range(n)}


def kickstart(dest, extra):
    """v1.0.0 as a kickstart template (kickstart 0.6: tera, but every text file is rendered, no
    suffix, no float variables, and a path part that renders empty is not skipped)."""
    os.makedirs(dest, exist_ok=True)
    renames = {
        f"{GITHUB}/workflows/ci.yaml": ".github/workflows/ci.yaml",
        GITLAB: ".gitlab-ci.yml",
    }
    for rel, text in {**V1, **extra_pages(extra)}.items():
        if not rel.startswith("template/"):
            continue
        rel = rel[len("template/"):]
        rel = rel[:-len(".tera")] if rel.endswith(".tera") else rel
        rel = renames.get(rel, rel)
        if rel == "alerts/rules.yaml":
            # kickstart has no float variables: slo_target is a string, converted where used.
            text = text.replace("{{ (100 - slo_target)", "{% set slo_target = slo_target | float %}{{ (100 - slo_target)")
        w(dest, rel, text)
    template_toml = textwrap.dedent("""
    name = "reference-service"
    description = "Reference service (port of the copier benchmark template)"
    kickstart_version = 1
    ignore = ["answers.json"]
    copy_without_render = ["chart/templates/*", ".dockerignore", "renovate.json"]
    cleanup = [
        { name = "ci", value = "github", paths = [".gitlab-ci.yml"] },
        { name = "ci", value = "gitlab", paths = [".github"] },
    ]

    [[variables]]
    name = "service_name"
    default = "my-service"
    prompt = "Service name (DNS label)"
    validation = "^[a-z][a-z0-9-]{1,40}$"

    [[variables]]
    name = "owner"
    default = "team-platform"
    prompt = "Owner"

    [[variables]]
    name = "port"
    default = 8080
    prompt = "Port"

    [[variables]]
    name = "ci"
    default = "github"
    prompt = "CI"
    choices = ["github", "gitlab"]

    [[variables]]
    name = "slo_target"
    default = "99.9"
    prompt = "SLO target (percent)"
    """).lstrip("\n")
    w(dest, "template.toml", template_toml)
    # `kickstart DEST -i DEST/answers.json`: the same answer the other tools get with --set / -d.
    with open(os.path.join(dest, "answers.json"), "w") as f:
        json.dump({"service_name": "orders-api"}, f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dest")
    ap.add_argument("--extra", type=int, default=0, help="add N templated pages under docs/")
    ap.add_argument("--kickstart", action="store_true", help="write v1.0.0 as a kickstart template folder instead")
    a = ap.parse_args()
    if a.kickstart:
        kickstart(a.dest, a.extra)
        return
    os.makedirs(a.dest, exist_ok=True)
    git(a.dest, "init", "-q", "-b", "main")
    git(a.dest, "config", "user.email", "platform@example.com")
    git(a.dest, "config", "user.name", "Platform")
    extra = extra_pages(a.extra)
    for version, files in (("v1.0.0", {**V1, **extra}), ("v2.0.0", {**v2_changes(V1), **extra})):
        subprocess.run(["git", "-C", a.dest, "rm", "-rq", "--ignore-unmatch", "."], check=True)
        for rel, text in files.items():
            w(a.dest, rel, text)
        git(a.dest, "add", "-A")
        git(a.dest, "commit", "-qm", f"release {version}")
        git(a.dest, "tag", version)


if __name__ == "__main__":
    main()
