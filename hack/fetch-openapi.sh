#!/usr/bin/env bash
# Fetches the pinned Keycloak Admin REST API OpenAPI specs into openapi/ and
# writes openapi/manifest.json (source crate, Keycloak version, sha256).
#
# No official Keycloak artifact on a registry we can reach carries the classic
# Admin API spec; the crates.io crate `keycloak` ships the official
# openapi.json as api/openapi.json, so we take it from there with cargo.
# Crate versions X.Y.Z00 correspond to Keycloak X.Y.Z (25.0.400 = 25.0.4).
#
# Idempotent: re-running rewrites identical files.
# Usage: hack/fetch-openapi.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require cargo "install Rust's cargo (rustup or Debian package 'cargo'); it fetches the spec crate"
require sha256sum "install coreutils"

# crate-version:keycloak-version, canonical first. 24.0.301 and 24.0.300 ship a
# byte-identical api/openapi.json (the .301 release only changed Rust code);
# we pin the later crate release. 26.7.3 is the canonical version (dist and
# spec both exist); 26.0.7, the last 26.0, is what Keycloak260Adapter is
# written and tested against.
SPECS=(
  "26.7.300:26.7.3"
  "26.0.700:26.0.7"
  "25.0.400:25.0.4"
  "24.0.301:24.0.3"
)
CRATE=keycloak

OUT_DIR="$REPO_ROOT/openapi"
mkdir -p "$OUT_DIR"
CARGO_HOME_DIR=${CARGO_HOME:-$HOME/.cargo}

# Locate an already unpacked crate source in cargo's registry cache.
find_crate_src() {
  local crate_version=$1
  local d
  for d in "$CARGO_HOME_DIR"/registry/src/*/"$CRATE-$crate_version"; do
    if [[ -f $d/api/openapi.json ]]; then echo "$d"; return 0; fi
  done
  return 1
}

# Download one crate version with cargo. `cargo info` downloads and unpacks only
# that crate; older cargo lacks it, so fall back to `cargo fetch` in a
# throwaway project that depends on the exact version.
fetch_crate() {
  local crate_version=$1 tmp
  tmp=$(mktemp -d)
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" RETURN
  if (cd "$tmp" && cargo info --quiet "$CRATE@$crate_version" >/dev/null 2>&1); then
    return 0
  fi
  log "cargo info unavailable or failed; falling back to cargo fetch"
  mkdir -p "$tmp/p/src"
  printf '[package]\nname = "spec-fetch"\nversion = "0.0.0"\nedition = "2021"\n\n[dependencies]\n%s = { version = "=%s", default-features = false }\n' \
    "$CRATE" "$crate_version" >"$tmp/p/Cargo.toml"
  : >"$tmp/p/src/lib.rs"
  (cd "$tmp/p" && cargo fetch --quiet) || die "cargo could not fetch crate $CRATE@$crate_version"
}

entries=()
for spec in "${SPECS[@]}"; do
  crate_version=${spec%%:*}
  kc_version=${spec##*:}
  if ! src=$(find_crate_src "$crate_version"); then
    log "fetching crate $CRATE@$crate_version (Keycloak $kc_version)"
    fetch_crate "$crate_version"
    src=$(find_crate_src "$crate_version") \
      || die "crate $CRATE@$crate_version has no api/openapi.json after fetching"
  fi
  dest="$OUT_DIR/keycloak-$kc_version.json"
  cp "$src/api/openapi.json" "$dest.tmp"
  mv "$dest.tmp" "$dest"
  sum=$(sha256sum "$dest" | cut -d' ' -f1)
  log "keycloak-$kc_version.json sha256 $sum"
  entries+=("$(printf '    {\n      "keycloak_version": "%s",\n      "file": "keycloak-%s.json",\n      "source": "crates.io crate %s %s, file api/openapi.json",\n      "crate": "%s",\n      "crate_version": "%s",\n      "sha256": "%s"\n    }' \
    "$kc_version" "$kc_version" "$CRATE" "$crate_version" "$CRATE" "$crate_version" "$sum")")
done

{
  printf '{\n  "canonical": "%s",\n  "specs": [\n' "${SPECS[0]##*:}"
  for i in "${!entries[@]}"; do
    if ((i + 1 < ${#entries[@]})); then printf '%s,\n' "${entries[$i]}"; else printf '%s\n' "${entries[$i]}"; fi
  done
  printf '  ]\n}\n'
} >"$OUT_DIR/manifest.json.tmp"
mv "$OUT_DIR/manifest.json.tmp" "$OUT_DIR/manifest.json"
log "wrote $OUT_DIR/manifest.json"
