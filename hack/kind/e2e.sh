#!/usr/bin/env bash
# End to end on a real cluster, for machines with Docker (or podman) and kind.
# Not run in CI here: this development machine has no container engine.
#
#   hack/kind/e2e.sh            create the cluster, deploy, wait for the samples
#   KEEP_CLUSTER=1 hack/kind/e2e.sh   leave the cluster running afterwards
#
# Steps: create a kind cluster -> build and load the controller image -> run a
# Keycloak Deployment in the cluster -> kubectl apply -k deploy/default (with
# the local image) -> apply deploy/samples against that Keycloak -> wait until
# every sample is Ready -> a managed Keycloak (dev-file) and a realm on it, Ready.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CLUSTER="${CLUSTER:-keycloak-controller-e2e}"
IMAGE="${IMAGE:-keycloak-controller:e2e}"
KEYCLOAK_VERSION="${KEYCLOAK_VERSION:-$(. "$ROOT/hack/versions.env" && echo "$KEYCLOAK_CANONICAL")}"
KEYCLOAK_IMAGE="quay.io/keycloak/keycloak:${KEYCLOAK_VERSION}"
NAMESPACE="${NAMESPACE:-e2e}"
TIMEOUT="${TIMEOUT:-300s}"

die() { echo "e2e: $*" >&2; exit 1; }

# --- fail fast on missing tools ---------------------------------------------------
ENGINE=""
for candidate in ${CONTAINER_ENGINE:-docker podman}; do
  command -v "$candidate" >/dev/null 2>&1 || continue
  "$candidate" info >/dev/null 2>&1 && { ENGINE="$candidate"; break; }
  echo "e2e: $candidate is installed but not usable (is its daemon running?)" >&2
done
[[ -n "$ENGINE" ]] || die "needs a working docker or podman; none found (this development machine has none)"
command -v kind >/dev/null 2>&1 || die "needs kind (https://kind.sigs.k8s.io); not found on PATH"
command -v kubectl >/dev/null 2>&1 || die "needs kubectl on PATH"
if [[ "$ENGINE" == podman ]]; then
  export KIND_EXPERIMENTAL_PROVIDER=podman
fi

WORK="$(mktemp -d)"
cleanup() {
  rm -rf "$WORK"
  if [[ -z "${KEEP_CLUSTER:-}" ]]; then
    kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

# --- cluster and image ------------------------------------------------------------
if ! kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  kind create cluster --name "$CLUSTER" --config "$ROOT/hack/kind/kind-config.yaml" --wait 120s
fi
kubectl config use-context "kind-$CLUSTER" >/dev/null

CONTAINER_ENGINE="$ENGINE" "$ROOT/hack/build-image.sh" "$IMAGE"
if [[ "$ENGINE" == podman ]]; then
  "$ENGINE" save "$IMAGE" -o "$WORK/image.tar"
  kind load image-archive "$WORK/image.tar" --name "$CLUSTER"
else
  kind load docker-image "$IMAGE" --name "$CLUSTER"
fi

# --- Keycloak in the cluster -------------------------------------------------------
ADMIN_PASSWORD="$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)"
kubectl create namespace "$NAMESPACE" --dry-run=client -o yaml | kubectl apply -f -
kubectl -n "$NAMESPACE" create secret generic keycloak-admin \
  --from-literal=username=admin --from-literal=password="$ADMIN_PASSWORD" \
  --dry-run=client -o yaml | kubectl apply -f -
kubectl -n "$NAMESPACE" apply -f - <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: keycloak
spec:
  replicas: 1
  selector:
    matchLabels: {app: keycloak}
  template:
    metadata:
      labels: {app: keycloak}
    spec:
      containers:
        - name: keycloak
          image: ${KEYCLOAK_IMAGE}
          args: [start-dev, --http-port=8080, --health-enabled=true]
          env:
            - name: KC_BOOTSTRAP_ADMIN_USERNAME
              valueFrom: {secretKeyRef: {name: keycloak-admin, key: username}}
            - name: KC_BOOTSTRAP_ADMIN_PASSWORD
              valueFrom: {secretKeyRef: {name: keycloak-admin, key: password}}
            # Keycloak 24 and 25 read the older variable names.
            - name: KEYCLOAK_ADMIN
              valueFrom: {secretKeyRef: {name: keycloak-admin, key: username}}
            - name: KEYCLOAK_ADMIN_PASSWORD
              valueFrom: {secretKeyRef: {name: keycloak-admin, key: password}}
          ports:
            - {name: http, containerPort: 8080}
          readinessProbe:
            httpGet: {path: /realms/master, port: http}
            periodSeconds: 5
            failureThreshold: 60
---
apiVersion: v1
kind: Service
metadata:
  name: keycloak
spec:
  selector: {app: keycloak}
  ports:
    - {name: http, port: 8080, targetPort: http}
YAML
kubectl -n "$NAMESPACE" rollout status deployment/keycloak --timeout="$TIMEOUT"

# --- the controller, from deploy/default with the image just built -----------------
mkdir -p "$WORK/install"
cat > "$WORK/install/kustomization.yaml" <<YAML
resources:
  - $(python3 -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$ROOT/deploy/default" "$WORK/install")
images:
  - name: keycloak-controller
    newName: ${IMAGE%:*}
    newTag: ${IMAGE##*:}
patches:
  - target: {kind: Deployment, name: keycloak-controller}
    patch: |-
      - op: replace
        path: /spec/template/spec/containers/0/imagePullPolicy
        value: Never
YAML
kubectl apply -k "$WORK/install"
kubectl -n keycloak-controller-system rollout status deployment/keycloak-controller --timeout="$TIMEOUT"

# --- samples against the in-cluster Keycloak --------------------------------------
mkdir -p "$WORK/samples"
cat > "$WORK/samples/kustomization.yaml" <<YAML
resources:
  - $(python3 -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$ROOT/deploy/samples" "$WORK/samples")
patches:
  - target: {kind: Keycloak, name: local}
    patch: |-
      - op: replace
        path: /spec/external/url
        value: http://keycloak.${NAMESPACE}.svc:8080
YAML
kubectl -n "$NAMESPACE" apply -k "$WORK/samples"
kubectl -n "$NAMESPACE" wait --for=condition=Ready --timeout="$TIMEOUT" \
  keycloaks/local keycloakrealms/demo keycloakclients/demo-backend keycloakclients/demo-spa
kubectl -n "$NAMESPACE" get keycloak
kubectl -n "$NAMESPACE" get secret demo-backend-credentials >/dev/null

# --- managed mode: the controller runs a Keycloak itself ---------------------------
# dev-file H2 keeps this step free of a database; the controller reaches the
# Service in-cluster and logs in as the bootstrap admin it generated.
kubectl -n "$NAMESPACE" apply -f - <<YAML
apiVersion: keycloak-controller.dev/v1alpha1
kind: Keycloak
metadata:
  name: managed
spec:
  managed:
    image: ${KEYCLOAK_IMAGE}
    database: {dev: true}
    resources: {requests: {cpu: 100m, memory: 512Mi}, limits: {memory: 1Gi}}
---
apiVersion: keycloak-controller.dev/v1alpha1
kind: KeycloakRealm
metadata:
  name: on-managed
spec:
  keycloakRef: {name: managed}
  realmName: on-managed
YAML
kubectl -n "$NAMESPACE" rollout status statefulset/managed --timeout="$TIMEOUT"
kubectl -n "$NAMESPACE" wait --for=condition=Ready --timeout="$TIMEOUT" \
  keycloaks/managed keycloakrealms/on-managed
kubectl -n "$NAMESPACE" get secret managed-admin >/dev/null

echo "e2e: all samples Ready on kind cluster $CLUSTER"
