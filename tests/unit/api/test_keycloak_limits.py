"""Values Keycloak cannot take are refused at admission (found by the fuzzed-spec test,
docs/testing.md):
- fields it stores in VARCHAR(255) columns, past 255 characters: Keycloak answers a
  longer value with an HTTP 500, which the controller can only retry;
- a NUL in a client ID or username: Keycloak refuses a NUL in any query parameter
  (HTTP 400), so the object could not even be looked up to delete it; in a realm
  name: Keycloak creates such a realm part-way and fails every delete of it (500)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from keycloak_controller.api import KeycloakClient, KeycloakRealm, KeycloakUser
from keycloak_controller.api.crd import crd

# (kind, path in the spec schema: names, "[]" for list items, "{}" for map values)
COLUMNS = [
    (KeycloakClient, "rootUrl"),
    (KeycloakClient, "baseUrl"),
    (KeycloakClient, "adminUrl"),
    (KeycloakClient, "redirectUris.[]"),
    (KeycloakClient, "webOrigins.[]"),
    (KeycloakClient, "description"),
    (KeycloakClient, "roles.[].description"),
    (KeycloakClient, "roles.[].attributes.{}.[]"),
    (KeycloakRealm, "roles.[].description"),
    (KeycloakRealm, "roles.[].attributes.{}.[]"),
    (KeycloakRealm, "groups.[].description"),
    (KeycloakRealm, "groups.[].attributes.{}.[]"),
    (KeycloakRealm, "organizations.[].attributes.{}.[]"),
    (KeycloakRealm, "clientScopes.[].description"),
]


def node(kind: type[Any], path: str) -> dict[str, Any]:
    schema: dict[str, Any] = crd(kind)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    found = schema["properties"]["spec"]
    for step in path.split("."):
        if step == "[]":
            found = found["items"]
        elif step == "{}":
            found = found["additionalProperties"]
        else:
            found = found["properties"][step]
    return found


@pytest.mark.parametrize(("kind", "path"), COLUMNS, ids=lambda v: getattr(v, "__name__", v))
def test_varchar_255_columns_are_bounded_in_the_crd(kind: type[Any], path: str) -> None:
    assert node(kind, path)["maxLength"] == 255


def test_a_256_character_web_origin_is_refused_by_the_model() -> None:
    spec = {"realmRef": {"name": "r"}, "clientId": "c"}
    body = {"apiVersion": "keycloak-controller.dev/v1alpha1", "kind": "KeycloakClient"}
    body["metadata"] = {"name": "c", "namespace": "n"}
    ok = "https://a.test/" + "x" * 240
    KeycloakClient.model_validate({**body, "spec": {**spec, "webOrigins": [ok]}})
    with pytest.raises(ValidationError, match="webOrigins"):
        KeycloakClient.model_validate({**body, "spec": {**spec, "webOrigins": [ok + "x"]}})


def test_post_logout_redirect_uris_keep_the_longer_limit() -> None:
    # A client attribute in Keycloak (text), not a VARCHAR(255) column.
    assert node(KeycloakClient, "postLogoutRedirectUris.[]")["maxLength"] == 2048


@pytest.mark.parametrize(
    ("kind", "name_field"), [(KeycloakClient, "clientId"), (KeycloakUser, "username")]
)
def test_a_nul_in_the_name_is_refused(kind: type[Any], name_field: str) -> None:
    assert node(kind, name_field)["pattern"] == "^[^\\x00]+$"
    body = {"apiVersion": "keycloak-controller.dev/v1alpha1", "kind": kind.__name__}
    body["metadata"] = {"name": "o", "namespace": "n"}
    spec = {"realmRef": {"name": "r"}}
    kind.model_validate({**body, "spec": {**spec, name_field: "nul-free"}})
    with pytest.raises(ValidationError, match=name_field):
        kind.model_validate({**body, "spec": {**spec, name_field: "nul\x00byte"}})


def test_a_nul_in_the_realm_name_is_refused() -> None:
    body = {"apiVersion": "keycloak-controller.dev/v1alpha1", "kind": "KeycloakRealm"}
    body["metadata"] = {"name": "o", "namespace": "n"}
    spec = {"keycloakRef": {"name": "k"}}
    KeycloakRealm.model_validate({**body, "spec": {**spec, "realmName": "nul-free"}})
    with pytest.raises(ValidationError, match="realmName"):
        KeycloakRealm.model_validate({**body, "spec": {**spec, "realmName": "nul\x00byte"}})
