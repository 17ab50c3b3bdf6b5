{{- define "t.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- define "t.labels" -}}
app: {{ include "t.name" . }}
release: {{ .Release.Name }}
{{- end -}}
{{- define "t.echo" -}}[{{ . }}]{{- end -}}
{{- define "t.empty" -}}{{- end -}}
{{- define "t.recurse" -}}{{ if gt (int .) 0 }}{{ . }},{{ include "t.recurse" (sub (int .) 1) }}{{ end }}{{- end -}}
{{- define "t.fail" -}}{{ fail "helper failed" }}{{- end -}}
{{- define "t.dict" -}}{{ .a }}-{{ .b }}{{- end -}}
{{- define "t.nilfield" -}}{{ .x.y }}{{- end -}}
