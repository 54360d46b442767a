{{- define "lib.labels" -}}
app.kubernetes.io/managed-by: {{ .Release.Service }}
chart: {{ .Chart.Name }}
{{- end -}}
