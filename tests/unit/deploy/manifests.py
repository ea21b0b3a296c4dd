"""Rendering deploy/ with the real kubectl (its built-in kustomize), and looking things up."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.config import ProvisioningError, kube_binaries

REPO = Path(__file__).resolve().parents[3]
DEPLOY = REPO / "deploy"

Document = dict[str, Any]


@dataclass(frozen=True)
class Rendered:
    """The documents `kubectl kustomize` produced for one directory."""

    documents: list[Document]

    def find(self, kind: str, name: str | None = None) -> list[Document]:
        return [
            d
            for d in self.documents
            if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)
        ]

    def one(self, kind: str, name: str | None = None) -> Document:
        found = self.find(kind, name)
        assert len(found) == 1, f"expected exactly one {kind} {name or ''}, got {len(found)}"
        return found[0]

    @property
    def kinds(self) -> set[str]:
        return {d["kind"] for d in self.documents}


def kubectl() -> Path:
    try:
        return kube_binaries().kubectl
    except ProvisioningError as error:
        # `make unit` provisions first; a missing kubectl is a broken setup, not a skip.
        pytest.fail(f"kubectl is not built: {error}")


def kustomize(directory: Path) -> Rendered:
    done = subprocess.run(
        [str(kubectl()), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return Rendered([d for d in yaml.safe_load_all(done.stdout) if d])
