"""Render each overlay once per session."""

from __future__ import annotations

import pytest

from .manifests import DEPLOY, Rendered, kustomize


@pytest.fixture(scope="session")
def default() -> Rendered:
    return kustomize(DEPLOY / "default")


@pytest.fixture(scope="session")
def namespaced() -> Rendered:
    return kustomize(DEPLOY / "namespaced")


@pytest.fixture(scope="session", params=["default", "namespaced"])
def overlay(request: pytest.FixtureRequest) -> Rendered:
    return kustomize(DEPLOY / str(request.param))
