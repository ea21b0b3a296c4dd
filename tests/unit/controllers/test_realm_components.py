"""Pure planning of spec.keyProviders and spec.components: the Keycloak config per key
provider kind, ownership by derived id, which actual components a field considers,
one-sided equality with secret digests, and the update body."""

from __future__ import annotations

import pytest

from keycloak_controller.api.common import SecretKeySelector
from keycloak_controller.api.realm_components import (
    KEY_PROVIDER_TYPE,
    Component,
    KeyProvider,
)
from keycloak_controller.controllers.childset import Removal
from keycloak_controller.controllers.realm_components import (
    Candidates,
    WantedComponent,
    combined_digest,
    component_set,
    config_equal,
    creation_body,
    owned_id,
    update_body,
    wanted_component,
    wanted_key_provider,
)
from keycloak_controller.controllers.realm_section import RealmScope
from keycloak_controller.controllers.reasons import INVALID_SPEC, Problem
from keycloak_controller.keycloak.adapters import Kind, adapter_for
from keycloak_controller.keycloak.errors import UnsupportedByVersion
from keycloak_controller.keycloak.models import ComponentRepresentation
from keycloak_controller.keycloak.resources.base import to_json
from keycloak_controller.keycloak.secrets import Secret

OWNER = "KeycloakRealm/ns/realm"
REALM_ID = "realm-id"
PEM = SecretKeySelector(name="signing", key="tls.key")


def provider(**fields: object) -> KeyProvider:
    return KeyProvider.model_validate({"name": "k", **fields})


def test_each_key_provider_kind_becomes_its_provider_and_config() -> None:
    rsa = wanted_key_provider(
        provider(priority=100, active=False, rsaGenerated={"keySize": 4096, "algorithm": "PS256"})
    )
    assert rsa.provider_type == KEY_PROVIDER_TYPE and rsa.provider_id == "rsa-generated"
    assert rsa.config == {
        "priority": ["100"],
        "active": ["false"],
        "keySize": ["4096"],
        "algorithm": ["PS256"],
    }
    hmac = wanted_key_provider(provider(hmacGenerated={"secretSize": 64, "algorithm": "HS512"}))
    assert (hmac.provider_id, hmac.config) == (
        "hmac-generated",
        {"secretSize": ["64"], "algorithm": ["HS512"]},
    )
    aes = wanted_key_provider(provider(enabled=True, aesGenerated={}))
    assert (aes.provider_id, aes.config) == ("aes-generated", {"enabled": ["true"]})
    ec = wanted_key_provider(provider(ecdsaGenerated={"curve": "P-384"}))
    assert ec.config == {"ecdsaEllipticCurveKey": ["P-384"]}
    assert wanted_key_provider(provider(rsaEncGenerated={})).provider_id == "rsa-enc-generated"


def test_a_key_from_a_secret_is_never_in_the_compared_config() -> None:
    wanted = wanted_key_provider(provider(rsa={"privateKeySecretRef": PEM.model_dump()}))
    assert wanted.provider_id == "rsa"
    assert wanted.config == {}
    assert wanted.secrets == {"privateKey": PEM}
    # Without a certificate Keycloak makes one, again for a new key.
    assert wanted.regenerated == ("certificate",)
    cert = SecretKeySelector(name="signing", key="tls.crt")
    with_cert = wanted_key_provider(
        provider(rsa={"privateKeySecretRef": PEM.model_dump(), "certificateSecretRef": cert})
    )
    assert with_cert.secrets == {"privateKey": PEM, "certificate": cert}
    assert with_cert.regenerated == ()


def test_components_of_other_fields_are_refused() -> None:
    for provider_type, field in (
        ("org.keycloak.storage.UserStorageProvider", "spec.userFederation"),
        ("org.keycloak.userprofile.UserProfileProvider", "spec.userProfile"),
        (KEY_PROVIDER_TYPE, "spec.keyProviders"),
    ):
        component = Component(name="c", provider_type=provider_type, provider_id="p")
        with pytest.raises(Problem) as refused:
            wanted_component(component)
        assert refused.value.reason == INVALID_SPEC and field in refused.value.message


def test_owned_ids_are_stable_and_differ_per_owner_realm_field_and_name() -> None:
    first = owned_id(OWNER, "demo", "keyProviders", "k")
    assert first == owned_id(OWNER, "demo", "keyProviders", "k")
    others = {
        owned_id("KeycloakRealm/ns/other", "demo", "keyProviders", "k"),
        owned_id(OWNER, "other", "keyProviders", "k"),
        owned_id(OWNER, "demo", "components", "k"),
        owned_id(OWNER, "demo", "keyProviders", "j"),
    }
    assert first not in others and len(others) == 4
    assert len(first) == 36  # fits Keycloak's id column


def actual(
    name: str, *, owned: bool, provider_id: str = "hmac-generated", **config: list[str]
) -> ComponentRepresentation:
    component_id = owned_id(OWNER, "demo", "keyProviders", name) if owned else f"other-{name}"
    return ComponentRepresentation(
        id=component_id,
        name=name,
        provider_type=KEY_PROVIDER_TYPE,
        provider_id=provider_id,
        parent_id=REALM_ID,
        config=config,
    )


def is_owned(item: ComponentRepresentation) -> bool:
    return item.id == owned_id(OWNER, "demo", "keyProviders", item.name or "")


def wanted(name: str, **config: list[str]) -> WantedComponent:
    return WantedComponent("keyProviders", name, KEY_PROVIDER_TYPE, "hmac-generated", config)


def test_a_field_considers_its_own_and_the_listed_names_an_owned_one_first() -> None:
    default = actual("rsa-generated", owned=False, provider_id="rsa-generated")
    duplicate = actual("listed", owned=False)
    mine = actual("listed", owned=True)
    gone = actual("gone", owned=True)
    picked = Candidates(REALM_ID, is_owned).pick(
        [default, duplicate, mine, gone], [wanted("listed")]
    )
    assert picked == [mine, gone]


def test_owned_only_removes_what_this_resource_created_and_compares_one_sided() -> None:
    children = component_set(
        "keyProviders", Removal.OWNED_ONLY, is_owned, REALM_ID, lambda _w: None, lambda _a: None
    )
    have = [
        actual("same", owned=True, priority=["5"], secretSize=["64"]),
        actual("drifted", owned=False, priority=["1"]),
        actual("gone", owned=True),
        actual("foreign", owned=False),
    ]
    plan = children.plan([wanted("same", priority=["5"]), wanted("drifted", priority=["5"])], have)
    assert [w.name for w, _ in plan.update] == ["drifted"]
    assert [a.name for a in plan.delete] == ["gone"]
    assert config_equal({"x": []}, {}) and not config_equal({"x": ["1"]}, {"x": ["2"]})


def test_a_changed_secret_digest_is_drift() -> None:
    stored = {"digest": "old"}
    children = component_set(
        "keyProviders",
        Removal.OWNED_ONLY,
        is_owned,
        REALM_ID,
        lambda _w: "new",
        lambda _a: stored["digest"],
    )
    have = [actual("k", owned=True)]
    assert children.plan([wanted("k")], have).update
    stored["digest"] = "new"
    assert not children.plan([wanted("k")], have)


def test_digests_are_salted_and_cover_every_secret_value() -> None:
    scope = RealmScope(admin=None, realm="demo", owner_tag=OWNER, salt="uid-1")  # type: ignore[arg-type]
    other = RealmScope(admin=None, realm="demo", owner_tag=OWNER, salt="uid-2")  # type: ignore[arg-type]
    values = {"privateKey": Secret("pem"), "certificate": Secret("cert")}
    digest = combined_digest(scope, values)
    assert digest != combined_digest(other, values)
    assert digest != combined_digest(scope, {**values, "certificate": Secret("new")})
    assert "pem" not in digest


def test_bodies_send_secrets_at_creation_and_again_only_when_rotated() -> None:
    want = WantedComponent(
        "keyProviders",
        "k",
        KEY_PROVIDER_TYPE,
        "rsa",
        {"priority": ["9"]},
        {"privateKey": PEM},
        regenerated=("certificate",),
    )
    body = creation_body(want, "the-id", REALM_ID, {"privateKey": Secret("pem")})
    assert body.id == "the-id" and body.parent_id == REALM_ID
    assert body.config == {"priority": ["9"], "privateKey": ["pem"]}
    have = actual("k", owned=True, provider_id="rsa")
    have.config = {"privateKey": ["**********"], "certificate": ["old"], "priority": ["1"]}
    same = update_body(want, have, None)
    # The masked value goes back as it came (Keycloak keeps the stored key).
    assert same.config == {"privateKey": ["**********"], "certificate": ["old"], "priority": ["9"]}
    rotated = update_body(want, have, {"privateKey": Secret("new-pem")})
    assert rotated.config == {"privateKey": ["new-pem"], "certificate": [], "priority": ["9"]}


@pytest.mark.parametrize(
    ("version", "refused"),
    [("24.0.5", True), ("26.0.7", True), ("26.3.0", True), ("26.4.0", False)],
)
def test_a_3072_bit_generated_rsa_key_is_refused_before_26_4(version: str, refused: bool) -> None:
    adapter = adapter_for(version)
    want = wanted_key_provider(provider(rsaGenerated={"keySize": 3072}))
    payload = to_json(creation_body(want, "id", REALM_ID, {}))
    if refused:
        with pytest.raises(UnsupportedByVersion, match="3072-bit"):
            adapter.require_valid(Kind.COMPONENT, payload)
    else:
        adapter.require_valid(Kind.COMPONENT, payload)
    small = to_json(
        creation_body(
            wanted_key_provider(provider(rsaGenerated={"keySize": 4096})), "id", REALM_ID, {}
        )
    )
    adapter.require_valid(Kind.COMPONENT, small)
