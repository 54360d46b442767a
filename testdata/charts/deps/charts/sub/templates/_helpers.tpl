{{- define "sub.name" -}}{{ .Chart.Name }}{{- end -}}
