{{- define "rotor.name" -}}{{ .Release.Name | trunc 50 | trimSuffix "-" }}{{- end -}}
{{- define "rotor.server" -}}{{ include "rotor.name" . }}-server{{- end -}}
{{- define "rotor.agent" -}}{{ include "rotor.name" . }}-agent{{- end -}}

{{- define "rotor.labels" -}}
app.kubernetes.io/name: rotor
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{- define "rotor.serverSelector" -}}
app.kubernetes.io/name: rotor
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end -}}

{{- define "rotor.agentSelector" -}}
app.kubernetes.io/name: rotor
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: agent
{{- end -}}

{{- define "rotor.passphraseSecret" -}}{{ .Values.ca.passphraseSecret }}{{- end -}}

{{- define "rotor.securityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The refusals the schema cannot express. */}}
{{- define "rotor.validate" -}}
{{- if and (not .Values.database.url) (gt (int .Values.server.replicas) 1) -}}
{{- fail "database.url is empty, so the server would use its embedded PostgreSQL, which serves one replica only: set database.url to an external PostgreSQL or server.replicas to 1" -}}
{{- end -}}
{{- end -}}
