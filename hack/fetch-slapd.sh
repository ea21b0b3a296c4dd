#!/usr/bin/env bash
# Fetches OpenLDAP's slapd and the ldap-utils clients from Debian packages and
# unpacks them into the cache, without root and without installing anything:
# `apt-get download` fetches the .debs as any user, `dpkg -x` only extracts
# them. The tests run the extracted slapd with LD_LIBRARY_PATH pointing at the
# extracted libraries (tests/support/ldap_server.py). Idempotent.
#
# Usage: hack/fetch-slapd.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require apt-get "a Debian/Ubuntu host with apt (the packages are Debian's)"
require dpkg "dpkg (for dpkg -x)"

version=$SLAPD_VERSION
dir="$CACHE_ROOT/slapd/$version"
root="$dir/root"
stamp="$dir/.complete"
# slapd and the clients, plus the libraries ldd reports missing on a host
# without slapd installed (libslapi comes with the slapd package itself).
packages=("slapd=$version" "ldap-utils=$version" libltdl7 libwrap0)

libdir() { echo "$root/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)"; }

check() {
  LD_LIBRARY_PATH="$(libdir)" "$root/usr/sbin/slapd" -VV 2>&1 | grep -q "slapd ${version%%+*}"
}

if [[ -f $stamp ]] && check; then
  log "slapd $version already provisioned in $root"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log "downloading ${packages[*]}"
(cd "$work" && apt-get download "${packages[@]}") ||
  die "apt-get download failed; is '$version' still the candidate? (apt-cache policy slapd)"

rm -rf "$root"
mkdir -p "$root"
for deb in "$work"/*.deb; do
  dpkg -x "$deb" "$root"
done

if ! check; then
  LD_LIBRARY_PATH="$(libdir)" ldd "$root/usr/sbin/slapd" | grep 'not found' >&2 || true
  die "the extracted slapd does not run (missing libraries above?)"
fi
date -u +%FT%TZ > "$stamp"
log "slapd $version provisioned in $root"
