"""The committed generated artifacts match what the scripts produce now."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from keycloak_controller.keycloak.models import (
    ClientRepresentation,
    CredentialRepresentation,
    RealmRepresentation,
)

ROOT = Path(__file__).resolve().parents[3]


def test_regenerating_models_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "generated.py"
    subprocess.run(["bash", str(ROOT / "hack/gen-models.sh"), str(out)], check=True, cwd=ROOT)
    committed = (ROOT / "keycloak_controller/keycloak/models/generated.py").read_text()
    assert out.read_text() == committed, "run `make models` and commit the result"
    assert committed.startswith("# DO NOT EDIT")


def test_api_diff_report_is_current() -> None:
    spec = importlib.util.spec_from_file_location("diff_openapi", ROOT / "hack/diff_openapi.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    report = module.render(module.load_specs(ROOT / "openapi"))
    assert report == (ROOT / "docs/keycloak-api-differences.md").read_text(), "run `make api-diff`"
    assert "removed `oAuth2DeviceCodeLifespan`" in report  # a known 26.0 -> 26.7 change
    assert "## 26.0.7 → 26.7.3" in report


def test_manifest_checksums_match_the_specs() -> None:
    manifest = json.loads((ROOT / "openapi/manifest.json").read_text())
    assert manifest["canonical"] == "26.7.3"
    assert [e["keycloak_version"] for e in manifest["specs"]] == [
        "26.7.3",
        "26.0.7",
        "25.0.4",
        "24.0.3",
    ]
    assert [e["crate_version"] for e in manifest["specs"]][:2] == ["26.7.300", "26.0.700"]
    for entry in manifest["specs"]:
        data = (ROOT / "openapi" / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]


def test_canonical_version_is_the_same_everywhere() -> None:
    pinned = dict(
        line.split("=", 1)
        for line in (ROOT / "hack/versions.env").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    manifest = json.loads((ROOT / "openapi/manifest.json").read_text())
    assert pinned["KEYCLOAK_CANONICAL"] == manifest["canonical"]
    assert pinned["KEYCLOAK_VERSIONS"].strip('"').split()[0] == manifest["canonical"]
    header = (ROOT / "keycloak_controller/keycloak/models/generated.py").read_text()
    assert f"openapi/keycloak-{manifest['canonical']}.json" in header.splitlines()[0]


def test_models_keep_unknown_fields_and_camel_case_aliases() -> None:
    raw = {"realm": "r", "accessTokenLifespan": 60, "someFutureField": {"x": 1}}
    realm = RealmRepresentation.model_validate(raw)
    assert realm.access_token_lifespan == 60
    assert realm.model_dump(by_alias=True, exclude_none=True) == raw
    assert ClientRepresentation(client_id="a").model_dump(by_alias=True, exclude_none=True) == {
        "clientId": "a"
    }


def test_model_reprs_mask_secrets() -> None:
    text = repr(
        ClientRepresentation(client_id="a", secret="s3cr3t-value", attributes={"x": "y"})
    ) + str(CredentialRepresentation(type="password", value="hunter2-pw"))
    assert "s3cr3t-value" not in text and "hunter2-pw" not in text
    assert "clientId" in text or "client_id" in text
