{{/* Labels shared by every object of the chart. */}}
{{- define "web.labels" -}}
app.kubernetes.io/name: web
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The container security context, from a values section passed as the dot. */}}
{{- define "web.securityContext" -}}
privileged: {{ .privileged }}
{{- with .capabilities }}
capabilities:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
