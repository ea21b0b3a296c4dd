"""The pinned versions and cache layout the hack/ scripts and Python share."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support import config


def test_versions_env_parses_quoted_lists() -> None:
    versions = config.pinned_versions()
    assert versions["KUBERNETES_VERSION"].startswith("v1.")
    assert config.canonical_keycloak_version() == config.keycloak_versions()[0]
    # The list the hack/ scripts see when they source the file.
    sourced = subprocess.run(
        [
            "bash",
            "-c",
            'source "$0" && printf "%s\\n" $KEYCLOAK_VERSIONS',
            str(config.VERSIONS_FILE),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert config.keycloak_versions() == sourced
    assert {v.split(".")[0] for v in config.keycloak_versions()} >= {"24", "25", "26"}


def test_cache_root_honours_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KEYCLOAK_CONTROLLER_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert config.cache_root() == tmp_path / "xdg" / "keycloak-controller"
    monkeypatch.setenv("KEYCLOAK_CONTROLLER_CACHE", str(tmp_path / "explicit"))
    assert config.cache_root() == tmp_path / "explicit"


def test_missing_binaries_name_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KEYCLOAK_CONTROLLER_CACHE", str(tmp_path))
    with pytest.raises(config.ProvisioningError, match="make provision"):
        config.kube_binaries()
    with pytest.raises(config.ProvisioningError, match=r"Keycloak 26\.5\.2 is missing"):
        config.keycloak_home("26.5.2")
