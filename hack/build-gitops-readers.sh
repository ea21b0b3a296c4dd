#!/usr/bin/env bash
# Builds hack/gitops-readers: the health readers GitOps tools apply to our
# custom resources, i.e. kstatus from sigs.k8s.io/cli-utils (Flux, kpt) and
# gopher-lua running Argo CD health scripts. The tests judge the statuses the
# controller writes with it instead of with a re-implementation.
# Idempotent: the build is keyed by the pinned versions and stamped with the
# hash of the helper's sources, so an edit there is rebuilt by `make provision`
# (and tests/support/gitops_readers.py refuses a stale binary).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require go "install Go >= 1.25 (https://go.dev/dl or the distribution's golang package)"

src="$HACK_DIR/gitops-readers"
out="$CACHE_ROOT/gitops-readers/cli-utils-$CLI_UTILS_VERSION-gopher-lua-$GOPHER_LUA_VERSION"
stamp="$out/.complete"
# Same file list and order as tests/support/gitops_readers.py hashes.
sources_hash() {
  (cd "$src" && printf '%s\n' go.mod go.sum *.go | LC_ALL=C sort | xargs cat | sha256sum | cut -d' ' -f1)
}

if [[ -f "$stamp" && -x "$out/bin/gitops-readers" ]] && [[ "$(cat "$stamp")" == "$(sources_hash)" ]]; then
  log "gitops-readers (cli-utils $CLI_UTILS_VERSION, gopher-lua $GOPHER_LUA_VERSION) already built in $out"
  exit 0
fi

cd "$src"
# versions.env is what the docs and the tests name; go.mod is what is built.
for pin in "sigs.k8s.io/cli-utils $CLI_UTILS_VERSION" "github.com/yuin/gopher-lua $GOPHER_LUA_VERSION"; do
  module=${pin% *}; want=${pin#* }
  got=$(go list -m -f '{{.Version}}' "$module")
  [[ "$got" == "$want" ]] || die "hack/gitops-readers/go.mod has $module $got, hack/versions.env pins $want"
done

# `go mod download` checks every module against go.sum, which records the
# checksums the Go checksum database publishes; a mismatch aborts the build.
log "downloading modules (verified against go.sum)"
go mod download
go mod verify >/dev/null

mkdir -p "$out/bin"
log "building gitops-readers (cli-utils $CLI_UTILS_VERSION, gopher-lua $GOPHER_LUA_VERSION)"
CGO_ENABLED=0 nice -n 10 go build -trimpath -ldflags "-s -w" -o "$out/bin/gitops-readers.tmp" .
mv "$out/bin/gitops-readers.tmp" "$out/bin/gitops-readers"
echo '[]' | "$out/bin/gitops-readers" >/dev/null || die "the built gitops-readers does not run"
sources_hash > "$stamp"
log "built gitops-readers into $out/bin"
