"""The Argo CD health checks in deploy/argocd, run in gopher-lua as Argo CD runs them.

The script goes through tests/support/gitops_readers.py: the Go helper that
`make provision` builds runs it in gopher-lua (the Lua VM Argo CD embeds, the
version Argo CD pins) with the libraries, globals and result handling Argo CD
uses, so a script that works here works there. Each test judges all its
objects in one helper call.
"""

from __future__ import annotations

import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from keycloak_controller.api import KINDS as KIND_MODELS
from tests.support.gitops_readers import Health, argocd_health, read, read_files

from .manifests import DEPLOY, REPO

ARGOCD = DEPLOY / "argocd"
GROUP = "keycloak-controller.dev"
KINDS = tuple(kind.names.kind for kind in KIND_MODELS)
CASES: list[dict[str, Any]] = yaml.safe_load((ARGOCD / "health_test.yaml").read_text())["tests"]

HEALTH_LUA = ARGOCD / "health.lua"
SCRIPT = HEALTH_LUA.read_text()  # one script for every kind


@cache
def recorded_health() -> dict[str, Health]:
    """health.lua on every testdata file, read by the helper from the files themselves."""
    paths = [ARGOCD / case["inputPath"] for case in CASES]
    verdicts = read_files(paths, health_lua=HEALTH_LUA)
    assert len(verdicts) == len(paths), "one object per testdata file"
    out = {}
    for case, verdict in zip(CASES, verdicts, strict=True):
        assert verdict.health is not None, verdict.health_error
        out[case["inputPath"]] = verdict.health
    return out


@pytest.mark.parametrize("case", CASES, ids=[Path(c["inputPath"]).stem for c in CASES])
def test_recorded_statuses(case: dict[str, Any]) -> None:
    obj = yaml.safe_load((ARGOCD / case["inputPath"]).read_text())
    assert obj["kind"] in KINDS
    expected = case["healthStatus"]
    assert recorded_health()[case["inputPath"]] == Health(expected["status"], expected["message"])


def test_cases_cover_every_health_and_kind() -> None:
    statuses = {c["healthStatus"]["status"] for c in CASES}
    assert statuses == {"Healthy", "Progressing", "Degraded"}
    kinds = {yaml.safe_load((ARGOCD / c["inputPath"]).read_text())["kind"] for c in CASES}
    assert kinds == set(KINDS)
    listed = {Path(c["inputPath"]).name for c in CASES}
    assert listed == {p.name for p in (ARGOCD / "testdata").glob("*.yaml")}


READY_FALSE_REASONS = {
    "Progressing": "Progressing",
    "ProgressingWithRetry": "Progressing",
    "DependencyNotReady": "Progressing",
    "OwnershipConflict": "Degraded",
    "AuthenticationFailed": "Degraded",
    "BadRequest": "Degraded",
    "": "Degraded",
}


def client_ready_false(reason: str) -> dict[str, Any]:
    return {
        "kind": "KeycloakClient",
        "metadata": {"name": "c", "generation": 1},
        "status": {
            "observedGeneration": 1,
            "conditions": [{"type": "Ready", "status": "False", "reason": reason, "message": "m"}],
        },
    }


@cache
def ready_false_health() -> dict[str, str]:
    reasons = list(READY_FALSE_REASONS)
    verdicts = argocd_health([client_ready_false(r) for r in reasons], HEALTH_LUA)
    return {reason: health.status for reason, health in zip(reasons, verdicts, strict=True)}


@pytest.mark.parametrize(("reason", "expected"), READY_FALSE_REASONS.items())
def test_ready_false_reasons(reason: str, expected: str) -> None:
    assert ready_false_health()[reason] == expected


def test_the_vm_offers_what_argocd_offers_and_no_more(tmp_path: Path) -> None:
    # Argo CD opens only the base, table and package libraries (and a reduced os):
    # a script that calls string.* would work under a stock Lua and fail in Argo CD.
    uses_string = tmp_path / "uses_string.lua"
    uses_string.write_text('return {status = string.upper("healthy"), message = ""}')
    uses_base = tmp_path / "uses_base.lua"
    uses_base.write_text(
        "local t = {}\n"
        "table.insert(t, obj.metadata.name)\n"
        'return {status = "Healthy", message = tostring(obj.metadata.generation) .. t[1]}'
    )
    invalid = tmp_path / "invalid.lua"
    invalid.write_text('return {status = "Fine", message = "x"}')
    obj = client_ready_false("")

    [refused] = read([obj], health_lua=uses_string)
    assert refused.health is None and "string" in (refused.health_error or "")
    # Generation 1 is a Lua number that prints as an integer, as in Argo CD.
    assert argocd_health([obj], uses_base) == [Health("Healthy", "1c")]
    assert argocd_health([obj], invalid) == [
        Health("Unknown", "Lua returned an invalid health status")
    ]


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
