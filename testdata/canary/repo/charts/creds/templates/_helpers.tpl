{{/* Secret data written by a helper: findings map here, and the values must be masked here. */}}
{{- define "creds.secretData" -}}
stringData:
  helperLiteral: CANARY-7f3a9c1e-do-not-print
  helperValue: {{ .Values.token | quote }}
{{- end }}
