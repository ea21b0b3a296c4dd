"""Where the provisioned binaries live and which versions are pinned.

`hack/versions.env` is the single source of the pinned versions; the shell
scripts source it and this module parses it, so the two can never disagree.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
VERSIONS_FILE = REPO_ROOT / "hack" / "versions.env"


class ProvisioningError(RuntimeError):
    """A component that `hack/` should have provided is missing."""


@cache
def pinned_versions() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in VERSIONS_FILE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, raw = line.partition("=")
        parts = shlex.split(raw)
        values[key] = " ".join(parts)
    return values


def cache_root() -> Path:
    explicit = os.environ.get("KEYCLOAK_CONTROLLER_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "keycloak-controller"


@dataclass(frozen=True)
class KubeBinaries:
    kube_apiserver: Path
    kubectl: Path
    etcd: Path
    version: str


def kube_binaries() -> KubeBinaries:
    versions = pinned_versions()
    k8s, etcd = versions["KUBERNETES_VERSION"], versions["ETCD_VERSION"]
    bin_dir = cache_root() / "k8s" / f"{k8s}-etcd-{etcd}" / "bin"
    found = KubeBinaries(
        kube_apiserver=bin_dir / "kube-apiserver",
        kubectl=bin_dir / "kubectl",
        etcd=bin_dir / "etcd",
        version=k8s,
    )
    for path in (found.kube_apiserver, found.kubectl, found.etcd):
        if not path.is_file():
            raise ProvisioningError(f"{path} is missing; run `make provision` (hack/build-k8s.sh)")
    return found


def keycloak_versions() -> list[str]:
    return pinned_versions()["KEYCLOAK_VERSIONS"].split()


def canonical_keycloak_version() -> str:
    return pinned_versions()["KEYCLOAK_CANONICAL"]


def keycloak_home(version: str) -> Path:
    home = cache_root() / "keycloak" / version / f"keycloak-{version}"
    if not (home / "bin" / "kc.sh").is_file():
        raise ProvisioningError(
            f"Keycloak {version} is missing at {home}; run `make provision` "
            "(hack/fetch-keycloak.sh)"
        )
    return home
