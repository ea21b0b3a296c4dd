#!/usr/bin/env bash
# Fetches each pinned Keycloak distribution from Maven Central, unpacks it into
# the cache and runs `kc.sh build` once, so that tests can start it with
# `--optimized` (one JVM launch instead of two). Idempotent.
#
# Usage: hack/fetch-keycloak.sh [VERSION ...]   (default: every pinned version)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require mvn "install Maven (Debian package 'maven')"
require tar "install tar"

# The JDK per Keycloak line: Java 25 is supported from 26.6 on, so 26.6+ (and
# any later major, which may drop 17) runs on the Temurin JDK (25) when one is
# installed; 24.x, 25.x and 26.0-26.5 are supported on Java 17 and run there.
java_home_for() {
  local version=$1 temurin java17 major minor
  java17=$(ls -d /usr/lib/jvm/java-17-openjdk* 2>/dev/null | head -1 || true)
  major=${version%%.*}
  minor=${version#*.}; minor=${minor%%.*}
  if ((major > 26 || (major == 26 && minor >= 6))); then
    temurin=$(ls -d /usr/lib/jvm/temurin-*-jdk* 2>/dev/null | sort -V | tail -1 || true)
    if [[ -n $temurin && -x $temurin/bin/java ]]; then echo "$temurin"; return; fi
  fi
  if [[ -n $java17 && -x $java17/bin/java ]]; then echo "$java17"; return; fi
  [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]] && { echo "$JAVA_HOME"; return; }
  die "no Java 17 found for Keycloak $version (install 'openjdk-17-jdk-headless')"
}

# Build-time options; tests start it with `start --optimized` and runtime
# options only. 26.0 and 26.7 build with the same options as 25 minus the
# organization preview (GA since 26.0). dev-file is H2 on disk; each instance points it at its own dir.
# A single-node cache: 24.x fixes it at build time, 25+ only at run time, so
# the run-time half is recorded for tests/support/keycloak_server.py to pass.
# Organizations are a preview feature on 25 that must be built in to be tested.
build_args_for() {
  local version=$1
  local args="--db=dev-file --health-enabled=true"
  case $version in
    24.*) args+=" --cache=local" ;;
    25.*) args+=" --features=organization" ;;
  esac
  echo "$args"
}

runtime_args_for() {
  case $1 in 24.*) echo "" ;; *) echo "--cache=local" ;; esac
}

fetch_one() {
  local version=$1
  local dir="$CACHE_ROOT/keycloak/$version"
  local home="$dir/keycloak-$version"
  local stamp="$dir/.complete"
  local build_args java_home
  build_args=$(build_args_for "$version")
  java_home=$(java_home_for "$version")
  # The stamp records how the dist was built; a change of options rebuilds it.
  local wanted="$build_args $java_home"
  if [[ -f $stamp && "$(cat "$stamp")" == "$wanted" ]]; then
    log "Keycloak $version already provisioned in $home"
    return
  fi
  mkdir -p "$dir"
  if [[ ! -x $home/bin/kc.sh ]]; then
    local archive="$dir/keycloak-quarkus-dist-$version.tar.gz"
    if [[ ! -f $archive ]]; then
      log "downloading keycloak-quarkus-dist $version from Maven Central"
      # -C (strict checksums): Maven fails if the download does not match the
      # .sha1 that Maven Central publishes beside it.
      mvn -B -q -C dependency:copy \
        "-Dartifact=org.keycloak:keycloak-quarkus-dist:$version:tar.gz" \
        "-DoutputDirectory=$dir" \
        || die "mvn could not fetch org.keycloak:keycloak-quarkus-dist:$version:tar.gz"
    fi
    log "unpacking $archive"
    tar -xzf "$archive" -C "$dir"
    [[ -x $home/bin/kc.sh ]] || die "$home/bin/kc.sh missing after unpacking"
    rm -f "$archive"
  fi

  log "building Keycloak $version for optimized starts with $java_home ($build_args)"
  # shellcheck disable=SC2086 # build_args is a list of options
  JAVA_HOME=$java_home "$home/bin/kc.sh" build $build_args >"$dir/build.log" 2>&1 \
    || die "kc.sh build failed for $version; log: $dir/build.log"
  echo "$java_home" >"$dir/java-home"
  runtime_args_for "$version" >"$dir/runtime-args"
  echo "$wanted" >"$stamp"
  log "Keycloak $version ready in $home (Java: $java_home)"
}

versions=("$@")
[[ ${#versions[@]} -gt 0 ]] || read -r -a versions <<<"$KEYCLOAK_VERSIONS"
for version in "${versions[@]}"; do fetch_one "$version"; done
