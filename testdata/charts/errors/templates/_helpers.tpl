{{- define "errors.nested" -}}
value: {{ .Values.deep.missing.key }}
{{- end -}}
{{- define "errors.nestedFail" -}}
{{ fail "failed inside a helper" }}
{{- end -}}
