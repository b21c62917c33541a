{{/*
Named templates shared by this chart's manifests, as `helm create` makes them. They are prefixed
with the golden path's name (rust-service) rather than the chart's, so every chart made from it
reads the same and stays comparable across services.
*/}}

{{/*
Expand the name of the chart.
*/}}
{{- define "rust-service.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Create a default fully qualified app name.
We truncate at 63 chars because some Kubernetes name fields are limited to this (by the DNS naming spec).
If release name contains chart name it will be used as a full name.
*/}}
{{- define "rust-service.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Create chart name and version as used by the chart label.
*/}}
{{- define "rust-service.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels
*/}}
{{- define "rust-service.labels" -}}
helm.sh/chart: {{ include "rust-service.chart" . }}
{{ include "rust-service.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.component }}
app.kubernetes.io/component: {{ . | quote }}
{{- end }}
{{- with .Values.partOf }}
app.kubernetes.io/part-of: {{ . | quote }}
{{- end }}
{{- with .Values.owner }}
owner: {{ . | quote }}
{{- end }}
{{- end }}

{{/*
The container image: repository@digest when a digest is set (the exact image CI built and
signed), otherwise repository:tag, the tag defaulting to the chart's appVersion.
*/}}
{{- define "rust-service.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/*
Selector labels
*/}}
{{- define "rust-service.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rust-service.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Create the name of the service account to use
*/}}
{{- define "rust-service.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "rust-service.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The container port /metrics is served on: `metrics` when it has a port of its own, `http` when
metricsPort is the service's port (projects upgraded from a release that served /metrics there).
*/}}
{{- define "rust-service.metricsPortName" -}}
{{- if ne (int .Values.metricsPort) (int .Values.containerPort) }}metrics{{ else }}http{{ end }}
{{- end }}
