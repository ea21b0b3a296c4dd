"""The build options of a Keycloak rebuilt with extra features (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.feature_keycloak import cached_build_args, with_features


def test_features_are_added_to_the_cached_options() -> None:
    args = with_features(["--db=dev-file", "--health-enabled=true"], ["client-secret-rotation"])
    assert args == ["--db=dev-file", "--health-enabled=true", "--features=client-secret-rotation"]


def test_features_merge_into_an_existing_features_option_once() -> None:
    args = with_features(["--features=organization", "--db=dev-file"], ["x", "organization"])
    assert args == ["--db=dev-file", "--features=organization,x"]


def test_the_cached_build_options_are_the_stamp_without_the_java_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = tmp_path / "keycloak" / "25.0.6"
    dist.mkdir(parents=True)
    (dist / ".complete").write_text("--db=dev-file --features=organization /opt/jdk-17\n")
    (dist / "java-home").write_text("/opt/jdk-17\n")
    monkeypatch.setenv("KEYCLOAK_CONTROLLER_CACHE", str(tmp_path))
    assert cached_build_args("25.0.6") == ["--db=dev-file", "--features=organization"]
