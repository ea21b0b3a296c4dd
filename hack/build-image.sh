#!/usr/bin/env bash
# Build the controller image from the Containerfile with docker or podman.
#   hack/build-image.sh [IMAGE]      (default keycloak-controller:dev)
# Exits 1 when neither engine is installed (this development machine has none).
set -euo pipefail

IMAGE="${1:-${IMAGE:-keycloak-controller:dev}}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# An engine counts only if it answers: a docker CLI without a daemon does not.
ENGINE=""
UNUSABLE=()
for candidate in ${CONTAINER_ENGINE:-docker podman}; do
  command -v "$candidate" >/dev/null 2>&1 || continue
  if "$candidate" info >/dev/null 2>&1; then
    ENGINE="$candidate"
    break
  fi
  UNUSABLE+=("$candidate")
done
if [[ -z "$ENGINE" ]]; then
  echo "no container engine (docker or podman) found; this development machine has none" >&2
  if ((${#UNUSABLE[@]})); then
    echo "(installed but not working, e.g. no daemon: ${UNUSABLE[*]})" >&2
  fi
  exit 1
fi

echo "building $IMAGE with $ENGINE"
"$ENGINE" build -f "$ROOT/Containerfile" -t "$IMAGE" "$ROOT"
