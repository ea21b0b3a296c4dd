#!/usr/bin/env bash
# Fetches MIT Kerberos' KDC, admin tools and clients from Debian packages and
# unpacks them into the cache, without root and without installing anything
# (`apt-get download`, then `dpkg -x`), for the Kerberos (SPNEGO) federation
# test (tests/support/kdc.py). The host's own libkrb5 (which curl links for
# --negotiate) serves the rest. Idempotent.
#
# Usage: hack/fetch-krb5.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require apt-get "a Debian/Ubuntu host with apt (the packages are Debian's)"
require dpkg "dpkg (for dpkg -x)"

version=$KRB5_VERSION
dir="$CACHE_ROOT/krb5/$version"
root="$dir/root"
stamp="$dir/.complete"
# The KDC, kadmin.local/kdb5_util, kinit, and the libraries they need that a
# host with only libkrb5 lacks (found with ldd).
packages=("krb5-kdc=$version" "krb5-admin-server=$version" "krb5-user=$version"
  "libkadm5srv-mit12=$version" "libkadm5clnt-mit12=$version" "libkdb5-10=$version"
  "libgssrpc4=$version" libverto1 libverto-libev1 libev4)

libdir() { echo "$root/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)"; }

check() {
  local tool missing
  for tool in usr/sbin/krb5kdc usr/sbin/kdb5_util usr/sbin/kadmin.local usr/bin/kinit; do
    [[ -x $root/$tool ]] || return 1
    missing=$(LD_LIBRARY_PATH="$(libdir)" ldd "$root/$tool" | grep 'not found' || true)
    [[ -z $missing ]] || { echo "$tool: $missing" >&2; return 1; }
  done
}

if [[ -f $stamp ]] && check; then
  log "krb5 $version already provisioned in $root"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log "downloading ${packages[*]}"
(cd "$work" && apt-get download "${packages[@]}") ||
  die "apt-get download failed; is '$version' still the candidate? (apt-cache policy krb5-kdc)"

rm -rf "$root"
mkdir -p "$root"
for deb in "$work"/*.deb; do
  dpkg -x "$deb" "$root"
done
check || die "the extracted Kerberos tools miss libraries (listed above)"
date -u +%FT%TZ > "$stamp"
log "krb5 $version provisioned in $root"
