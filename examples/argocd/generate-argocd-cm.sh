#!/usr/bin/env bash
# Prints argocd-cm.yaml: health.lua embedded once per Tollgate kind. Regenerate after editing the script:
#   bash examples/argocd/generate-argocd-cm.sh > examples/argocd/argocd-cm.yaml
# (e2e/helm/argocd.test.ts fails when the file and the script disagree.)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cat <<'HEAD'
# Argo CD health checks for Tollgate's kinds, generated from health.lua by generate-argocd-cm.sh:
# edit health.lua, not this file. Apply it server-side so only these keys are merged into your
# existing argocd-cm (other keys keep their owners):
#   kubectl apply --server-side --field-manager=tollgate -f examples/argocd/argocd-cm.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  namespace: argocd
  labels:
    app.kubernetes.io/name: argocd-cm
    app.kubernetes.io/part-of: argocd
data:
HEAD
for kind in Gateway Registry Consumer Policy; do
  echo "  resource.customizations.health.tollgate.dev_$kind: |"
  sed -e '/./s/^/    /' "$here/health.lua"
done
