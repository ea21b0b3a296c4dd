"""The Argo CD health checks in deploy/argocd, executed as Lua 5.1 (Argo CD's dialect)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import lupa.lua51
import pytest
import yaml

from keycloak_controller.api import KINDS as KIND_MODELS

from .manifests import DEPLOY, REPO

ARGOCD = DEPLOY / "argocd"
GROUP = "keycloak-controller.dev"
KINDS = tuple(kind.names.kind for kind in KIND_MODELS)
CASES: list[dict[str, Any]] = yaml.safe_load((ARGOCD / "health_test.yaml").read_text())["tests"]


SCRIPT = (ARGOCD / "health.lua").read_text()  # one script for every kind


def run_health(lua_source: str, obj: dict[str, Any]) -> dict[str, str]:
    """Run a health script the way Argo CD does: `obj` global in, `hs` table returned."""
    lua = lupa.lua51.LuaRuntime(unpack_returned_tuples=True)
    # Argo CD's sandbox has no os/io/module loading: make any use of them fail here too.
    lua.execute("os, io, require, dofile, loadfile, load, loadstring = nil")
    lua.globals().obj = lua.table_from(obj, recursive=True)
    result = lua.execute(lua_source)
    assert result is not None, "the script returned nothing"
    out = dict(result.items())
    assert set(out) <= {"status", "message"}, out
    return {k: str(v) for k, v in out.items()}


@pytest.mark.parametrize("case", CASES, ids=[Path(c["inputPath"]).stem for c in CASES])
def test_recorded_statuses(case: dict[str, Any]) -> None:
    obj = yaml.safe_load((ARGOCD / case["inputPath"]).read_text())
    assert obj["kind"] in KINDS
    assert run_health(SCRIPT, obj) == case["healthStatus"]


def test_cases_cover_every_health_and_kind() -> None:
    statuses = {c["healthStatus"]["status"] for c in CASES}
    assert statuses == {"Healthy", "Progressing", "Degraded"}
    kinds = {yaml.safe_load((ARGOCD / c["inputPath"]).read_text())["kind"] for c in CASES}
    assert kinds == set(KINDS)
    listed = {Path(c["inputPath"]).name for c in CASES}
    assert listed == {p.name for p in (ARGOCD / "testdata").glob("*.yaml")}


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("Progressing", "Progressing"),
        ("ProgressingWithRetry", "Progressing"),
        ("DependencyNotReady", "Progressing"),
        ("OwnershipConflict", "Degraded"),
        ("AuthenticationFailed", "Degraded"),
        ("BadRequest", "Degraded"),
        ("", "Degraded"),
    ],
)
def test_ready_false_reasons(reason: str, expected: str) -> None:
    obj = {
        "kind": "KeycloakClient",
        "metadata": {"name": "c", "generation": 1},
        "status": {
            "observedGeneration": 1,
            "conditions": [{"type": "Ready", "status": "False", "reason": reason, "message": "m"}],
        },
    }
    assert run_health(SCRIPT, obj)["status"] == expected


def test_argocd_cm_embeds_the_script_exactly_for_every_kind() -> None:
    config_map = yaml.safe_load((ARGOCD / "argocd-cm.yaml").read_text())
    assert config_map["metadata"]["name"] == "argocd-cm"
    expected = {f"resource.customizations.health.{GROUP}_{kind}": SCRIPT for kind in KINDS}
    assert config_map["data"] == expected


def test_argocd_cm_is_what_the_generator_writes() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "hack" / "gen_argocd_cm.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
