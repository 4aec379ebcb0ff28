{{/* Chart name, cut to the 63 characters of a DNS label. */}}
{{- define "irsa-sentinel.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: the release name, with the chart name unless the release name contains it. */}}
{{- define "irsa-sentinel.fullname" -}}
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

{{- define "irsa-sentinel.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "irsa-sentinel.selectorLabels" -}}
app.kubernetes.io/name: {{ include "irsa-sentinel.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "irsa-sentinel.labels" -}}
helm.sh/chart: {{ include "irsa-sentinel.chart" . }}
{{ include "irsa-sentinel.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "irsa-sentinel.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "irsa-sentinel.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "irsa-sentinel.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/* The agent's HTTP port: the config's server.port (8080 when unset). */}}
{{- define "irsa-sentinel.port" -}}
{{- $server := .Values.config.server | default (dict) }}
{{- $server.port | default 8080 }}
{{- end }}

{{/*
The container's environment: the agent's own AWS identity (awsIdentity), variables from Secret keys (secretEnv),
then extraEnv. Secret values are referenced (secretKeyRef), never rendered.
*/}}
{{- define "irsa-sentinel.env" -}}
{{- $id := .Values.awsIdentity }}
{{- if eq $id.type "openshiftSts" }}
- name: AWS_ROLE_ARN
  value: {{ $id.roleArn | quote }}
- name: AWS_WEB_IDENTITY_TOKEN_FILE
  value: {{ printf "%s/token" $id.openshiftSts.mountPath | quote }}
{{- else if eq $id.type "staticKeys" }}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ $id.staticKeys.secretName | quote }}
      key: {{ $id.staticKeys.accessKeyIdKey | quote }}
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $id.staticKeys.secretName | quote }}
      key: {{ $id.staticKeys.secretAccessKeyKey | quote }}
{{- end }}
{{- range $name, $ref := .Values.secretEnv }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.secretName | quote }}
      key: {{ $ref.key | quote }}
      {{- if hasKey $ref "optional" }}
      optional: {{ $ref.optional }}
      {{- end }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The service-account annotations: the IRSA role (awsIdentity.type irsa) and serviceAccount.annotations. */}}
{{- define "irsa-sentinel.serviceAccountAnnotations" -}}
{{- $annotations := deepCopy .Values.serviceAccount.annotations }}
{{- if eq .Values.awsIdentity.type "irsa" }}
{{- $_ := set $annotations "eks.amazonaws.com/role-arn" .Values.awsIdentity.roleArn }}
{{- end }}
{{- with $annotations }}
{{- toYaml . }}
{{- end }}
{{- end }}
