#!/usr/bin/env bash
# Makes sure the managed-mode tests have PostgreSQL server binaries. The host's
# Debian `postgresql` package is used when it is installed; otherwise the
# server and client packages are fetched with `apt-get download` and unpacked
# into the cache with `dpkg -x` (no root, nothing installed), and the tests run
# them with LD_LIBRARY_PATH pointing at the unpacked libraries
# (tests/support/postgres.py). Idempotent.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

major=${POSTGRES_MAJOR:-15}
# POSTGRES_FETCH=1 unpacks the packages even where the host has them (to test this).
if [[ -z ${POSTGRES_FETCH:-} ]] && compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; then
  log "PostgreSQL server binaries found in $(dirname /usr/lib/postgresql/*/bin/postgres | head -1)"
  exit 0
fi

require apt-get "a Debian/Ubuntu host with apt (the packages are Debian's)"
require dpkg "dpkg (for dpkg -x)"

dir="$CACHE_ROOT/postgres/$major"
root="$dir/unpacked"
stamp="$dir/.complete"
bin="$root/usr/lib/postgresql/$major/bin"
libdir() { echo "$root/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)"; }
check() { LD_LIBRARY_PATH="$(libdir)" "$bin/postgres" --version 2>&1 | grep -q "PostgreSQL) $major"; }

if [[ -f $stamp ]] && check; then
  log "PostgreSQL $major already provisioned in $root"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
packages=("postgresql-$major" "postgresql-client-$major" libpq5 libllvm14 libxslt1.1 libicu72)
log "downloading ${packages[*]}"
(cd "$work" && apt-get download "${packages[@]}") ||
  die "apt-get download failed (run apt-get update first?)"
rm -rf "$root"
mkdir -p "$root"
for deb in "$work"/*.deb; do
  dpkg -x "$deb" "$root"
done
if ! check; then
  LD_LIBRARY_PATH="$(libdir)" ldd "$bin/postgres" | grep 'not found' >&2 || true
  die "the extracted postgres does not run (missing libraries above?)"
fi
date -u +%FT%TZ > "$stamp"
log "PostgreSQL $major provisioned in $root"
