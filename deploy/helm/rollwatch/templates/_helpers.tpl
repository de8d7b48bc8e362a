{{- define "rollwatch.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "rollwatch.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "rollwatch.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "rollwatch.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "rollwatch.secretName" -}}
{{- if .Values.secrets.create -}}{{ include "rollwatch.fullname" . }}-secrets{{- else -}}{{ required "secrets.existingSecret names the Secret with secret-key and clickhouse-password" .Values.secrets.existingSecret }}{{- end -}}
{{- end -}}

{{/* How a container reaches Kafka: SASL over TLS as `principal` (admin, ingest, tracker, alerts). */}}
{{- define "rollwatch.kafkaEnv" -}}
{{- $k := .root.Values.kafka }}
{{- $p := required (printf "kafka.principals.%s" .principal) (index $k.principals .principal) }}
- name: ROLLWATCH_KAFKA_SECURITY_PROTOCOL
  value: {{ $k.securityProtocol | quote }}
- name: ROLLWATCH_KAFKA_SASL_MECHANISM
  value: {{ $k.saslMechanism | quote }}
- name: ROLLWATCH_KAFKA_USERNAME
  value: {{ $p.username | quote }}
- name: ROLLWATCH_KAFKA_PASSWORD
  valueFrom:
    secretKeyRef: { name: {{ $p.secret }}, key: {{ $p.key }} }
{{- if $k.caSecret.name }}
- name: ROLLWATCH_KAFKA_CA_FILE
  value: /etc/kafka-ca/{{ $k.caSecret.key }}
{{- end }}
{{- end -}}

{{/* The CA's volume and mount, when kafka.caSecret names one. */}}
{{- define "rollwatch.kafkaCaVolume" -}}
{{- with .Values.kafka.caSecret.name }}
- name: kafka-ca
  secret: { secretName: {{ . }} }
{{- end }}
{{- end -}}
{{- define "rollwatch.kafkaCaMount" -}}
{{- if .Values.kafka.caSecret.name }}
- { name: kafka-ca, mountPath: /etc/kafka-ca, readOnly: true }
{{- end }}
{{- end -}}

{{/* The ROLLWATCH_* environment of every container; secrets come from the Secret. */}}
{{- define "rollwatch.env" -}}
- name: ROLLWATCH_ENVIRONMENT
  value: production
- name: ROLLWATCH_KAFKA_BOOTSTRAP
  value: {{ .Values.kafka.bootstrap | quote }}
- name: ROLLWATCH_EVENTS_PARTITIONS
  value: {{ .Values.kafka.eventsPartitions | quote }}
{{- with .Values.kafka.topicReplication }}
- name: ROLLWATCH_TOPIC_REPLICATION
  value: {{ . | quote }}
{{- end }}
{{- with .Values.namespace }}
- name: ROLLWATCH_NAMESPACE
  value: {{ . | quote }}
{{- end }}
- name: ROLLWATCH_SECRET_KEY
  valueFrom:
    secretKeyRef: { name: {{ include "rollwatch.secretName" . }}, key: secret-key }
# Rotation (docs/operations.md, "Rotating secrets"): both optional keys of the same Secret.
- name: ROLLWATCH_PREVIOUS_SECRET_KEYS
  valueFrom:
    secretKeyRef: { name: {{ include "rollwatch.secretName" . }}, key: previous-secret-keys, optional: true }
- name: ROLLWATCH_FINGERPRINT_KEY
  valueFrom:
    secretKeyRef: { name: {{ include "rollwatch.secretName" . }}, key: fingerprint-key, optional: true }
- name: CLICKHOUSE_PASSWORD
  valueFrom:
    secretKeyRef: { name: {{ include "rollwatch.secretName" . }}, key: clickhouse-password }
- name: ROLLWATCH_CLICKHOUSE_URL
  value: {{ printf "%s://%s:$(CLICKHOUSE_PASSWORD)@%s:%v" (ternary "https" "http" .Values.clickhouse.secure) .Values.clickhouse.user .Values.clickhouse.host .Values.clickhouse.port | quote }}
- name: ROLLWATCH_CLICKHOUSE_DATABASE
  value: {{ .Values.clickhouse.database | quote }}
{{- with .Values.clickhouse.cluster }}
- name: ROLLWATCH_CLICKHOUSE_CLUSTER
  value: {{ . | quote }}
{{- end }}
- name: ROLLWATCH_DATA_DIR
  value: /var/lib/rollwatch
- name: ROLLWATCH_HTTP_HOST
  value: 0.0.0.0
- name: ROLLWATCH_HTTP_PORT
  value: {{ .Values.service.port | quote }}
- name: ROLLWATCH_ALERT_CLOCK
  value: {{ .Values.alertClock | quote }}
- name: ROLLWATCH_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: ROLLWATCH_LOG_FORMAT
  value: json
{{- range .Values.secrets.env }}
- name: {{ .name }}
  valueFrom:
    secretKeyRef: { name: {{ include "rollwatch.secretName" $ }}, key: {{ .key }} }
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}
