"""The API models: wire form, defaults, strictness and the helpers reconcilers use."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from keycloak_controller.api import (
    KINDS,
    AccessType,
    DeletionPolicy,
    Keycloak,
    KeycloakClient,
    KeycloakRealm,
)
from keycloak_controller.api.common import LabelSelector, NamespaceSelection

SAMPLES = Path(__file__).resolve().parents[3] / "deploy" / "samples"


def client_object(**spec: Any) -> dict[str, Any]:
    """A KeycloakClient as the apiserver returns it (after defaulting)."""
    return {
        "apiVersion": "keycloak-controller.dev/v1alpha1",
        "kind": "KeycloakClient",
        "metadata": {
            "name": "shop",
            "namespace": "team-a",
            "uid": "0b7c4a52-1111-2222-3333-444455556666",
            "generation": 3,
            "resourceVersion": "812",
            "creationTimestamp": "2026-01-01T12:00:00Z",
            "managedFields": [{"manager": "kubectl"}],
        },
        "spec": {
            "realmRef": {"name": "demo"},
            "clientId": "shop",
            "redirectUris": ["https://shop.example.com/*"],
            **spec,
        },
        "status": {
            "observedGeneration": 2,
            "clientUuid": "9d2b",
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "observedGeneration": 2,
                    "lastTransitionTime": "2026-01-01T12:00:05Z",
                    "reason": "Succeeded",
                    "message": "",
                }
            ],
        },
    }


def test_apiserver_object_round_trips_unchanged() -> None:
    raw = client_object(accessType="Public", pkceMethod="S256")
    parsed = KeycloakClient.model_validate(raw)
    assert parsed.model_dump(mode="json", exclude_unset=True) == raw
    assert KeycloakClient.model_validate(parsed.model_dump(mode="json")) == parsed


def test_dump_fills_in_the_crd_defaults() -> None:
    dumped = KeycloakClient.model_validate(client_object()).model_dump(
        mode="json", exclude_none=True
    )
    spec = dumped["spec"]
    assert spec["accessType"] == "Confidential"
    assert spec["deletionPolicy"] == "Delete"
    assert spec["managementPolicy"] == "Manage"
    assert "roles" not in spec
    assert dumped["status"]["conditions"][0]["lastTransitionTime"] == "2026-01-01T12:00:05Z"


def test_python_names_are_snake_case_and_wire_names_camel_case() -> None:
    parsed = KeycloakClient.model_validate(client_object())
    assert parsed.spec.realm_ref.name == "demo"
    assert parsed.spec.redirect_uris == ["https://shop.example.com/*"]
    assert parsed.metadata.resource_version == "812"
    assert "realmRef" in parsed.spec.model_dump()
    assert parsed.status.condition("Ready") is not None


def test_spec_defaults_match_the_documented_ones() -> None:
    spec = KeycloakClient.model_validate(client_object()).spec
    assert spec.access_type is AccessType.CONFIDENTIAL
    assert spec.enabled is True
    assert spec.protocol == "openid-connect"
    assert spec.deletion_policy is DeletionPolicy.DELETE
    assert spec.adopt_existing is False
    # Unset means "not managed", not "empty".
    assert spec.roles is None
    assert spec.default_client_scopes is None


def test_unknown_spec_field_is_rejected() -> None:
    raw = client_object(redirectUri=["typo"])
    with pytest.raises(ValidationError, match="redirectUri"):
        KeycloakClient.model_validate(raw)


def test_unknown_status_field_is_kept() -> None:
    raw = client_object()
    raw["status"]["rotatedAt"] = "2026-02-01T00:00:00Z"
    parsed = KeycloakClient.model_validate(raw)
    assert parsed.model_dump(mode="json")["status"]["rotatedAt"] == "2026-02-01T00:00:00Z"


def test_missing_status_gives_an_empty_one() -> None:
    raw = client_object()
    del raw["status"]
    status = KeycloakClient.model_validate(raw).status
    assert status.conditions == []
    assert status.observed_generation is None
    assert not status.is_ready()


def test_is_ready_checks_the_generation() -> None:
    status = KeycloakClient.model_validate(client_object()).status
    assert status.is_ready()
    assert status.is_ready(generation=2)
    assert not status.is_ready(generation=3)


def test_invalid_enum_is_rejected() -> None:
    with pytest.raises(ValidationError, match="accessType"):
        KeycloakClient.model_validate(client_object(accessType="Secret"))


def test_wrong_kind_is_rejected() -> None:
    raw = client_object()
    raw["kind"] = "KeycloakRealm"
    with pytest.raises(ValidationError, match="kind"):
        KeycloakClient.model_validate(raw)


def test_smtp_from_uses_the_reserved_word_on_the_wire() -> None:
    realm = KeycloakRealm.model_validate(
        {
            "metadata": {"name": "r"},
            "spec": {
                "keycloakRef": {"name": "local"},
                "realmName": "r",
                "smtp": {
                    "host": "mail",
                    "from": "no-reply@example.com",
                    "auth": {
                        "username": "u",
                        "passwordSecretRef": {"name": "smtp", "key": "password"},
                    },
                },
            },
        }
    )
    assert realm.spec.smtp is not None
    assert realm.spec.smtp.from_ == "no-reply@example.com"
    assert realm.spec.smtp.port == 25
    assert realm.model_dump(mode="json")["spec"]["smtp"]["from"] == "no-reply@example.com"


@pytest.mark.parametrize(
    ("access_type", "flows", "expected"),
    [
        ("Confidential", None, (True, False, False, False, False)),
        ("Public", {"directAccessGrants": True}, (True, False, True, False, False)),
        ("BearerOnly", None, (False, False, False, False, False)),
        (
            "Confidential",
            {"standard": False, "serviceAccounts": True},
            (False, False, False, True, False),
        ),
    ],
)
def test_effective_flows_apply_access_type_defaults(
    access_type: str, flows: dict[str, bool] | None, expected: tuple[bool, ...]
) -> None:
    extra: dict[str, Any] = {"accessType": access_type}
    if flows is not None:
        extra["flows"] = flows
    effective = KeycloakClient.model_validate(client_object(**extra)).spec.effective_flows()
    assert (
        effective.standard,
        effective.implicit,
        effective.direct_access_grants,
        effective.service_accounts,
        effective.device_authorization,
    ) == expected


def test_credentials_secret_name_defaults_to_object_name() -> None:
    spec = KeycloakClient.model_validate(client_object()).spec
    assert spec.credentials_secret_name("shop") == "shop-credentials"
    named = KeycloakClient.model_validate(client_object(credentialsSecret={"name": "oidc"}))
    assert named.spec.credentials_secret_name("shop") == "oidc"


def test_namespace_selection_by_name_and_labels() -> None:
    selection = NamespaceSelection.model_validate(
        {
            "namespaces": ["team-a"],
            "namespaceSelector": {
                "matchLabels": {"tenant": "shop"},
                "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["test"]}],
            },
        }
    )
    assert selection.matches("team-a", {})
    assert selection.matches("team-b", {"tenant": "shop"})
    assert selection.matches("team-b", {"tenant": "shop", "tier": "prod"})
    assert not selection.matches("team-b", {"tenant": "shop", "tier": "test"})
    assert not selection.matches("team-c", {"tenant": "other"})


def test_empty_label_selector_matches_everything() -> None:
    assert LabelSelector().matches({"anything": "x"})
    assert NamespaceSelection.model_validate({"namespaceSelector": {}}).matches("x", {})
    assert not NamespaceSelection().matches("x", {})


def test_realm_grants() -> None:
    realm = KeycloakRealm.model_validate(
        {
            "metadata": {"name": "demo", "namespace": "iam"},
            "spec": {
                "keycloakRef": {"name": "local"},
                "realmName": "demo",
                "clientAuthorizationGrants": [
                    {"namespaces": ["team-a"]},
                    {"namespaces": ["platform"], "allowAdminRoles": True},
                ],
            },
        }
    )
    spec = realm.spec
    assert spec.allows_client("iam", {}, own_namespace="iam")
    assert spec.allows_client("team-a", {}, own_namespace="iam")
    assert not spec.allows_client("team-b", {}, own_namespace="iam")
    assert spec.allows_admin_roles("platform", {})
    assert not spec.allows_admin_roles("team-a", {})
    assert not spec.allows_admin_roles("iam", {})


def test_keycloak_defaults() -> None:
    keycloak = Keycloak.model_validate(
        {
            "metadata": {"name": "local"},
            "spec": {
                "external": {"url": "https://kc.example.com"},
                "auth": {
                    "passwordGrant": {
                        "usernameSecretRef": {"name": "admin", "key": "username"},
                        "passwordSecretRef": {"name": "admin", "key": "password"},
                    }
                },
            },
        }
    )
    assert keycloak.spec.insecure_skip_verify is False
    assert keycloak.spec.auth.realm == "master"
    assert keycloak.spec.auth.password_grant is not None
    assert keycloak.spec.auth.password_grant.client_id == "admin-cli"


def test_every_sample_parses_as_its_kind() -> None:
    by_kind = {kind.names.kind: kind for kind in KINDS}
    seen = set()
    for path in sorted(SAMPLES.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for document in yaml.safe_load_all(path.read_text()):
            if document["apiVersion"] == "v1":  # a Secret that a sample refers to
                assert document["kind"] == "Secret", path
                continue
            by_kind[document["kind"]].model_validate(copy.deepcopy(document))
            seen.add(document["kind"])
    assert seen == set(by_kind)


def test_samples_are_listed_in_the_kustomization() -> None:
    listed = yaml.safe_load((SAMPLES / "kustomization.yaml").read_text())["resources"]
    on_disk = sorted(p.name for p in SAMPLES.glob("*.yaml") if p.name != "kustomization.yaml")
    assert sorted(listed) == on_disk
