#!/usr/bin/env bash
# Builds KWOK's kwok controller (the fake kubelet the managed-mode tests use)
# from the Go module proxy with `go install`, into the cache beside the
# Kubernetes binaries. KWOK's go.mod has no replace directives, so a plain
# module install at the pinned tag is reproducible; the module checksums are
# verified against the Go checksum database as for every module download.
# Idempotent: a finished build leaves a stamp and is not redone.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require go "install Go >= 1.26 (KWOK $KWOK_VERSION's go.mod asks for it)"

out="$CACHE_ROOT/kwok/$KWOK_VERSION"
stamp="$out/.complete"

if [[ -f "$stamp" && -x "$out/bin/kwok" && -f "$out/stages.yaml" ]]; then
  log "kwok $KWOK_VERSION already built in $out"
  exit 0
fi

mkdir -p "$out/bin"
log "building kwok $KWOK_VERSION (a first build takes a few minutes)"
# Outside any module, so the wrapper modules in hack/ don't influence it.
(
  cd "$out"
  CGO_ENABLED=0 GOBIN="$out/bin.tmp" go install -trimpath -ldflags "-s -w" \
    "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
)
mv "$out/bin.tmp/kwok" "$out/bin/kwok"
rmdir "$out/bin.tmp"
"$out/bin/kwok" --version >/dev/null 2>&1 || "$out/bin/kwok" --help >/dev/null 2>&1 ||
  die "the built kwok does not run"
# kwok itself ships no stages: it needs the "fast" node and pod stages (and the
# node heartbeat, so the node lifecycle controller keeps the nodes Ready) that
# the module carries as YAML. One file, passed to kwok with --config.
module_dir=$(cd "$out" && go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
[[ -d "$module_dir/kustomize/stage" ]] || die "no stages in the kwok module at '$module_dir'"
stages="$out/stages.yaml"
: > "$stages.tmp"
for file in "$module_dir"/kustomize/stage/node/fast/node-initialize.yaml \
  "$module_dir"/kustomize/stage/node/heartbeat/node-heartbeat.yaml \
  "$module_dir"/kustomize/stage/pod/fast/pod-*.yaml; do
  { echo "---"; cat "$file"; } >> "$stages.tmp"
done
mv "$stages.tmp" "$stages"
echo "$KWOK_VERSION" > "$stamp"
log "built kwok into $out/bin"
