#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and
# etcd from the Go module proxy, through the wrapper module in hack/k8sbin.
# Idempotent: a finished build leaves a stamp and is not redone.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require go "install Go >= 1.25 (https://go.dev/dl or the distribution's golang package)"

out="$CACHE_ROOT/k8s/$KUBERNETES_VERSION-etcd-$ETCD_VERSION"
stamp="$out/.complete"
binaries=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd)

if [[ -f "$stamp" ]] && [[ "$(cat "$stamp")" == "$(sha256sum "$HACK_DIR/k8sbin/go.sum" | cut -d' ' -f1)" ]]; then
  log "Kubernetes $KUBERNETES_VERSION and etcd $ETCD_VERSION already built in $out"
  exit 0
fi

mkdir -p "$out/bin"
cd "$HACK_DIR/k8sbin"

# `go mod download` checks every module against go.sum, which records the
# checksums the Go checksum database publishes; a mismatch aborts the build.
log "downloading modules (verified against go.sum)"
go mod download
go mod verify >/dev/null

major=${KUBERNETES_VERSION#v}; major=${major%%.*}
minor=${KUBERNETES_VERSION#v*.}; minor=${minor%%.*}
build_date=$(date -u -d "@${SOURCE_DATE_EPOCH:-0}" +%Y-%m-%dT%H:%M:%SZ)
ldflags="-s -w"
# Stamp the version the way upstream's hack/lib/version.sh does, so that
# /version and `kubectl version` report the real release, not v0.0.0-master.
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date -X $pkg.gitCommit=module-proxy"
done

export CGO_ENABLED=0
for bin in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  log "building $bin $KUBERNETES_VERSION (a first build takes several minutes)"
  go build -trimpath -tags selinux,notest,grpcnotrace -ldflags "$ldflags" \
    -o "$out/bin/$bin.tmp" "k8s.io/kubernetes/cmd/$bin"
  mv "$out/bin/$bin.tmp" "$out/bin/$bin"
done
log "building etcd $ETCD_VERSION"
go build -trimpath -ldflags "-s -w" -o "$out/bin/etcd.tmp" ./cmd/etcd
mv "$out/bin/etcd.tmp" "$out/bin/etcd"

for bin in "${binaries[@]}"; do [[ -x "$out/bin/$bin" ]] || die "$bin was not built"; done
sha256sum "$HACK_DIR/k8sbin/go.sum" | cut -d' ' -f1 > "$stamp"
log "built ${binaries[*]} into $out/bin"
