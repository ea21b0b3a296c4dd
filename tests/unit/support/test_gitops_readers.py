"""The GitOps readers helper: what it is built from, and how it reads and reports objects."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support import gitops_readers
from tests.support.config import ProvisioningError


def client(name: str, ready: str = "True", generation: int = 1) -> dict[str, Any]:
    return {
        "apiVersion": "keycloak-controller.dev/v1alpha1",
        "kind": "KeycloakClient",
        "metadata": {"name": name, "namespace": "team-a", "generation": generation},
        "status": {
            "observedGeneration": 1,
            "conditions": [{"type": "Ready", "status": ready, "reason": "R", "message": "m"}],
        },
    }


def test_go_mod_builds_the_versions_that_versions_env_pins() -> None:
    go_mod = (gitops_readers.SOURCE_DIR / "go.mod").read_text()
    cli_utils, gopher_lua = gitops_readers.versions()
    required = dict(re.findall(r"^\s*(\S+) (v\S+)", go_mod, flags=re.MULTILINE))
    assert required["sigs.k8s.io/cli-utils"] == cli_utils
    assert required["github.com/yuin/gopher-lua"] == gopher_lua


def test_one_refused_object_does_not_hide_the_others_verdicts() -> None:
    kindless = {"metadata": {"name": "x"}}
    first, refused, last = gitops_readers.read([client("a"), kindless, client("b", generation=2)])
    assert first.kstatus is not None and first.kstatus.status == "Current"
    assert first.health is not None and first.health.status == "Healthy"
    assert refused.kstatus is None and "Kind" in (refused.kstatus_error or "")
    assert refused.health is None and refused.health_error
    assert last.kstatus is not None and last.kstatus.status == "InProgress"
    assert last.health is not None and last.health.status == "Progressing"


def test_yaml_streams_and_json_files_are_read_in_order(tmp_path: Path) -> None:
    stream = tmp_path / "two.yaml"
    stream.write_text(
        "kind: KeycloakUser\nmetadata: {name: u, generation: 2}\n"
        "status: {observedGeneration: 1}\n"
        "---\n"
        "kind: KeycloakUser\nmetadata: {name: v, deletionTimestamp: '2026-11-21T10:00:00Z'}\n"
    )
    single = tmp_path / "one.json"
    single.write_text('{"kind": "KeycloakUser", "metadata": {"name": "w"}}')
    verdicts = gitops_readers.read_files([stream, single], health_lua=None)
    statuses = [v.kstatus.status if v.kstatus else v.kstatus_error for v in verdicts]
    assert statuses == ["InProgress", "Terminating", "Current"]
    assert all(v.health is None and v.health_error is None for v in verdicts)


def test_a_binary_built_from_other_sources_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edited = tmp_path / "gitops-readers"
    shutil.copytree(gitops_readers.SOURCE_DIR, edited)
    (edited / "main.go").write_text((edited / "main.go").read_text() + "\n// edited\n")
    monkeypatch.setattr(gitops_readers, "SOURCE_DIR", edited)
    with pytest.raises(ProvisioningError, match=r"make provision"):
        gitops_readers.binary.__wrapped__()
