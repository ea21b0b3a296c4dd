# Shared helpers for the hack/ provisioning scripts. Source it; do not run it.
set -euo pipefail

HACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HACK_DIR/.." && pwd)
# shellcheck source=versions.env
source "$HACK_DIR/versions.env"

# Everything downloaded or built lives outside the checkout, keyed by version,
# so a fresh clone on the same machine reuses it.
CACHE_ROOT=${KEYCLOAK_CONTROLLER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keycloak-controller}

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# require TOOL HINT: fail with a message naming the missing tool.
require() {
  command -v "$1" >/dev/null 2>&1 || die "required tool '$1' not found on PATH ($2)"
}
