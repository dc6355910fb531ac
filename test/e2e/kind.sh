#!/usr/bin/env bash
# End-to-end test on a kind cluster, for users and CI systems with Docker. It cannot run on the
# development machines (no container engine); test/helm/kind-script.test.ts shellchecks it.
#
#   test/e2e/kind.sh            create the cluster, run the test, delete the cluster
#   KEEP_CLUSTER=1 test/e2e/kind.sh   leave it running for a look around
#
# Steps: kind cluster -> build and load the agent and operator images -> NATS with JetStream ->
# helm install charts/tapline -> AF_PACKET policy on the worker nodes -> traffic between two pods
# (normal requests and a short SYN flood) -> flow records and an alert must be in the stream.
# Needs: docker, kind, kubectl, helm (3.x). Env: CLUSTER (default tapline-e2e), TIMEOUT (default 300s).
set -euo pipefail

CLUSTER="${CLUSTER:-tapline-e2e}"
TIMEOUT="${TIMEOUT:-300s}"
NS_SYSTEM=tapline-system
NS=tapline
NATS_NS=nats
TAG="e2e-$(date +%s)"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KUBECTL=(kubectl --context "kind-${CLUSTER}")

log() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'kind.sh: %s\n' "$*" >&2; exit 1; }

for tool in docker kind kubectl helm; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done

cleanup() {
  local rc=$?
  if [[ $rc -ne 0 ]]; then
    log "failed; state of the cluster"
    "${KUBECTL[@]}" get pods -A -o wide || true
    "${KUBECTL[@]}" -n "$NS" get snifferpolicies -o yaml || true
    "${KUBECTL[@]}" -n "$NS_SYSTEM" logs deployment/tapline --tail=100 || true
  fi
  if [[ "${KEEP_CLUSTER:-0}" != 1 ]]; then
    kind delete cluster --name "$CLUSTER" || true
  fi
  exit "$rc"
}
trap cleanup EXIT

log "kind cluster $CLUSTER (one control plane, two workers labelled for capture)"
kind create cluster --name "$CLUSTER" --wait 120s --config - <<KIND
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
  - role: worker
    labels:
      tapline.dev/capture: "true"
  - role: worker
    labels:
      tapline.dev/capture: "true"
KIND

log "building and loading the images (tag $TAG)"
docker build -f "$ROOT/Dockerfile.agent" -t "tapline/agent:$TAG" "$ROOT"
docker build -f "$ROOT/Dockerfile.operator" -t "tapline/operator:$TAG" "$ROOT"
kind load docker-image --name "$CLUSTER" "tapline/agent:$TAG" "tapline/operator:$TAG"

log "NATS with JetStream"
"${KUBECTL[@]}" create namespace "$NATS_NS"
"${KUBECTL[@]}" -n "$NATS_NS" apply -f - <<'NATS'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nats
spec:
  replicas: 1
  selector:
    matchLabels: {app: nats}
  template:
    metadata:
      labels: {app: nats}
    spec:
      containers:
        - name: nats
          image: nats:2.11-alpine
          args: ["--jetstream", "--store_dir", "/data", "-m", "8222"]
          ports:
            - {name: client, containerPort: 4222}
            - {name: monitor, containerPort: 8222}
          readinessProbe:
            httpGet: {path: /healthz?js-enabled-only=true, port: monitor}
          volumeMounts:
            - {name: data, mountPath: /data}
      volumes:
        - name: data
          emptyDir: {}
---
apiVersion: v1
kind: Service
metadata:
  name: nats
spec:
  selector: {app: nats}
  ports:
    - {name: client, port: 4222}
NATS
"${KUBECTL[@]}" -n "$NATS_NS" rollout status deployment/nats --timeout "$TIMEOUT"

log "helm install (operator watching namespace $NS)"
helm --kube-context "kind-${CLUSTER}" install tapline "$ROOT/charts/tapline" \
  --namespace "$NS_SYSTEM" --create-namespace --wait --timeout "$TIMEOUT" \
  --set image.repository=tapline/operator --set image.tag="$TAG" --set image.pullPolicy=Never \
  --set agent.image.repository=tapline/agent --set agent.image.tag="$TAG" \
  --set "watchNamespaces={$NS}" --set namespaces.create=true \
  --set 'namespaces.labels.pod-security\.kubernetes\.io/enforce=privileged'

log "AF_PACKET policy (examples/afpacket.yaml, with a low SYN-flood threshold)"
# kind nodes name their interface eth0; the flood below is a few thousand SYNs.
sed -e 's/filter: not port 22/filter: tcp or udp/' "$ROOT/examples/afpacket.yaml" \
  | "${KUBECTL[@]}" -n "$NS" apply --server-side -f -
"${KUBECTL[@]}" -n "$NS" patch snifferpolicy edge-afpacket --type merge -p \
  '{"spec":{"detectors":{"synFlood":{"enabled":true,"synsPerSecond":100,"halfOpenPercent":50,"windowSeconds":5},"cooldownSeconds":60},"flows":{"idleTimeoutSeconds":5}}}'
"${KUBECTL[@]}" -n "$NS" wait snifferpolicy/edge-afpacket --for condition=Ready --timeout "$TIMEOUT"

log "traffic between two pods on different capture nodes"
"${KUBECTL[@]}" -n "$NS" apply -f - <<'PODS'
apiVersion: v1
kind: Pod
metadata:
  name: server
  labels: {app: server}
spec:
  affinity:
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        - labelSelector: {matchLabels: {app: client}}
          topologyKey: kubernetes.io/hostname
  nodeSelector: {tapline.dev/capture: "true"}
  containers:
    - name: web
      image: nginx:1.27-alpine
      ports: [{containerPort: 80}]
---
apiVersion: v1
kind: Pod
metadata:
  name: client
  labels: {app: client}
spec:
  affinity:
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        - labelSelector: {matchLabels: {app: server}}
          topologyKey: kubernetes.io/hostname
  nodeSelector: {tapline.dev/capture: "true"}
  containers:
    - name: tools
      image: nicolaka/netshoot:v0.13
      command: ["sleep", "infinity"]
PODS
"${KUBECTL[@]}" -n "$NS" wait pod/server pod/client --for condition=Ready --timeout "$TIMEOUT"
SERVER_IP="$("${KUBECTL[@]}" -n "$NS" get pod server -o jsonpath='{.status.podIP}')"
[[ -n "$SERVER_IP" ]] || die "server pod has no IP"
for _ in $(seq 1 50); do
  "${KUBECTL[@]}" -n "$NS" exec client -- curl -s -o /dev/null "http://$SERVER_IP/"
done
# A short SYN flood to a closed port: SYNs that never complete the handshake.
"${KUBECTL[@]}" -n "$NS" exec client -- timeout 10 hping3 -S -p 81 --faster "$SERVER_IP" >/dev/null 2>&1 || true

log "flow records and an alert in JetStream"
# The NATS CLI in a pod: count the messages on the policy's flow and alert subjects.
count() {
  "${KUBECTL[@]}" -n "$NATS_NS" run "nats-box-$1-$RANDOM" --rm -i --restart=Never --quiet --image natsio/nats-box:0.16.0 -- \
    nats --server nats://nats.nats.svc:4222 stream subjects TAPLINE "tapline.$NS.edge-afpacket.$1.>" --json 2>/dev/null \
    | tr -d ' \n' | grep -o ':[0-9]*' | tr -d ':' | paste -sd+ - | bc 2>/dev/null || echo 0
}
deadline=$((SECONDS + 180))
flows=0
alerts=0
while (( SECONDS < deadline )); do
  flows="$(count flows)"
  alerts="$(count alerts)"
  if (( flows > 0 && alerts > 0 )); then break; fi
  sleep 10
done
log "flow records: $flows, alerts: $alerts"
(( flows > 0 )) || die "no flow records reached JetStream"
(( alerts > 0 )) || die "no alert reached JetStream"
"${KUBECTL[@]}" -n "$NS" get snifferpolicies
log "passed"
