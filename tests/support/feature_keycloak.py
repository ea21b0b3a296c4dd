"""A Keycloak built with extra build-time features (e.g. a preview feature).

The shared dists in the cache are built once and used by running servers and
other tests, so this never rebuilds them: it copies one into its own work
directory, runs `kc.sh build` there with the cache's build options plus the
features, and starts that copy `--optimized` like any `KeycloakServer`.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from .config import cache_root, keycloak_home
from .keycloak_server import KeycloakEndpoint, KeycloakServer
from .process import StartError, log_tail

# A Quarkus re-augmentation on a busy 2-core machine.
_BUILD_TIMEOUT = 600.0


def cached_build_args(version: str) -> list[str]:
    """The options hack/fetch-keycloak.sh built the cached dist with.

    Its stamp records "<build args> <java home>" (the java home is also in its own
    file), so the build args are the stamp without that suffix.
    """
    dist = cache_root() / "keycloak" / version
    stamp = (dist / ".complete").read_text().strip()
    java_home = (dist / "java-home").read_text().strip()
    return stamp.removesuffix(java_home).split()


def with_features(args: Sequence[str], features: Sequence[str]) -> list[str]:
    """`args` with `features` merged into its --features option (one is allowed)."""
    wanted = list(features)
    rest: list[str] = []
    for arg in args:
        if arg.startswith("--features="):
            wanted = [*arg.removeprefix("--features=").split(","), *wanted]
        else:
            rest.append(arg)
    return [*rest, f"--features={','.join(dict.fromkeys(wanted))}"]


class FeatureKeycloak(KeycloakServer):
    """A private Keycloak of `version` built with `features`, from a copy of the dist."""

    def __init__(self, version: str, workdir: Path, features: Sequence[str]) -> None:
        super().__init__(version, workdir)
        self.features = list(features)
        self.home = workdir / f"keycloak-{version}"
        self.build_seconds: float | None = None

    def build(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.home.exists():
            shutil.rmtree(self.home)
        # symlinks=True: the dist has none we rely on, but never follow out of it.
        shutil.copytree(keycloak_home(self.version), self.home, symlinks=True)
        args = with_features(cached_build_args(self.version), self.features)
        log = self.workdir / "build.log"
        began = time.monotonic()
        with log.open("wb") as out:
            done = subprocess.run(
                [str(self.home / "bin" / "kc.sh"), "build", *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.environment(),
                cwd=self.workdir,
                timeout=_BUILD_TIMEOUT,
                check=False,
            )
        self.build_seconds = time.monotonic() - began
        if done.returncode != 0:
            raise StartError(f"kc.sh build {' '.join(args)} failed; {log}:\n{log_tail(log)}")

    def start(self) -> KeycloakEndpoint:
        self.build()
        return super().start()

    def stop(self) -> None:
        super().stop()
        # The copied dist is 190 MB; the log and database stay for debugging.
        shutil.rmtree(self.home, ignore_errors=True)
