{{/*
Names. Objects are called <fullname>-<component>: the controller's flags default to the same
names (<release>-controller, <release>-controller-tls, <release>-ca), so the chart passes them
explicitly anyway. fullname is the release name unless fullnameOverride is set.
*/}}
{{- define "tollgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tollgate.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 42 | trimSuffix "-" -}}
{{- end -}}

{{- define "tollgate.controller.fullname" -}}
{{- printf "%s-controller" (include "tollgate.fullname" .) -}}
{{- end -}}

{{- define "tollgate.dataplane.fullname" -}}
{{- printf "%s-dataplane" (include "tollgate.fullname" .) -}}
{{- end -}}

{{- define "tollgate.controller.tlsSecretName" -}}
{{- default (printf "%s-controller-tls" (include "tollgate.fullname" .)) .Values.controller.tlsSecretName -}}
{{- end -}}

{{- define "tollgate.caConfigMapName" -}}
{{- default (printf "%s-ca" (include "tollgate.fullname" .)) .Values.discovery.caConfigMapName -}}
{{- end -}}

{{- define "tollgate.controller.leaseName" -}}
{{- default (include "tollgate.controller.fullname" .) .Values.controller.leaseName -}}
{{- end -}}

{{- define "tollgate.controller.serviceAccountName" -}}
{{- if .Values.controller.serviceAccount.create -}}
{{- default (include "tollgate.controller.fullname" .) .Values.controller.serviceAccount.name -}}
{{- else -}}
{{- required "controller.serviceAccount.name is required when controller.serviceAccount.create is false" .Values.controller.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "tollgate.dataplane.serviceAccountName" -}}
{{- if .Values.dataplane.serviceAccount.create -}}
{{- default (include "tollgate.dataplane.fullname" .) .Values.dataplane.serviceAccount.name -}}
{{- else -}}
{{- required "dataplane.serviceAccount.name is required when dataplane.serviceAccount.create is false" .Values.dataplane.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The controller's discovery address as the proxies dial it (a name in its serving certificate). */}}
{{- define "tollgate.discoveryAddress" -}}
{{- printf "%s.%s.svc:%d" (include "tollgate.controller.fullname" .) .Release.Namespace (int .Values.discovery.port) -}}
{{- end -}}

{{/* Labels. */}}
{{- define "tollgate.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "tollgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tollgate
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "controller"). */}}
{{- define "tollgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tollgate.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "tollgate.componentLabels" -}}
{{ include "tollgate.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Image reference: (dict "root" $ "image" .Values.controller.image). */}}
{{- define "tollgate.image" -}}
{{- if .image.digest -}}
{{- printf "%s@%s" .image.repository .image.digest -}}
{{- else -}}
{{- printf "%s:%s" .image.repository (default .root.Chart.AppVersion .image.tag) -}}
{{- end -}}
{{- end -}}

{{/*
The restricted Pod Security Standard, for every pod and container of the chart. The images run as
uid/gid 65532 (Dockerfile.*: USER 65532:65532); the root filesystem is read-only and /tmp is an
emptyDir.
*/}}
{{- define "tollgate.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "tollgate.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Fails unless Kubernetes' grace outlasts the process's own: (dict "name" "controller" "values" .Values.controller). */}}
{{- define "tollgate.checkGrace" -}}
{{- if le (int .values.terminationGracePeriodSeconds) (int .values.gracePeriodSeconds) -}}
{{- fail (printf "%s.terminationGracePeriodSeconds (%d) must be larger than %s.gracePeriodSeconds (%d)" .name (int .values.terminationGracePeriodSeconds) .name (int .values.gracePeriodSeconds)) -}}
{{- end -}}
{{- end -}}

{{/* PodDisruptionBudget spec fields: (dict "name" "controller" "pdb" .Values.controller.podDisruptionBudget). */}}
{{- define "tollgate.pdbSpec" -}}
{{- $min := toString .pdb.minAvailable -}}
{{- $max := toString .pdb.maxUnavailable -}}
{{- if and (ne $min "") (ne $max "") -}}
{{- fail (printf "%s.podDisruptionBudget: set minAvailable or maxUnavailable, not both" .name) -}}
{{- else if ne $min "" -}}
minAvailable: {{ if kindIs "string" .pdb.minAvailable }}{{ .pdb.minAvailable | quote }}{{ else }}{{ int .pdb.minAvailable }}{{ end }}
{{- else if ne $max "" -}}
maxUnavailable: {{ if kindIs "string" .pdb.maxUnavailable }}{{ .pdb.maxUnavailable | quote }}{{ else }}{{ int .pdb.maxUnavailable }}{{ end }}
{{- else -}}
{{- fail (printf "%s.podDisruptionBudget: set minAvailable or maxUnavailable" .name) -}}
{{- end -}}
{{- end -}}
