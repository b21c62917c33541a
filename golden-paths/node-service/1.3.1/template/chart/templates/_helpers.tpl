{{/*
Named templates shared by this chart's manifests, as `helm create` makes them. They are prefixed
with the golden path's name (node-service) rather than the chart's, so every chart made from it
reads the same and stays comparable across services.
*/}}

{{/*
Expand the name of the chart.
*/}}
{{- define "node-service.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Create a default fully qualified app name.
We truncate at 63 chars because some Kubernetes name fields are limited to this (by the DNS naming spec).
If release name contains chart name it will be used as a full name.
*/}}
{{- define "node-service.fullname" -}}
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
{{- define "node-service.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels
*/}}
{{- define "node-service.labels" -}}
helm.sh/chart: {{ include "node-service.chart" . }}
{{ include "node-service.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: api
{{- with .Values.partOf }}
app.kubernetes.io/part-of: {{ . }}
{{- end }}
{{- with .Values.owner }}
owner: {{ . }}
{{- end }}
{{- end }}

{{/*
The image reference: by digest when image.digest is set, else by tag (default: appVersion).
*/}}
{{- define "node-service.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end }}

{{/*
Selector labels
*/}}
{{- define "node-service.selectorLabels" -}}
app.kubernetes.io/name: {{ include "node-service.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Create the name of the service account to use
*/}}
{{- define "node-service.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "node-service.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The container port /metrics is served on: `metrics` when it has a port of its own, `http` when
metricsPort is the service's port (projects upgraded from a release that served /metrics there).
*/}}
{{- define "node-service.metricsPortName" -}}
{{- if ne (int .Values.metricsPort) (int .Values.containerPort) }}metrics{{ else }}http{{ end }}
{{- end }}
