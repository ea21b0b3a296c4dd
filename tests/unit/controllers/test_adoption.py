"""Adoption writes nothing on its own: the ownership stamp (and this controller's
records of Secret digests) is no change while the object is unowned and adopted by
opt-in, and rides along with the first write the object needs. Everywhere else the
stamp is compared as before. Two resources never both claim one object."""

from __future__ import annotations

from typing import Any, cast

import pytest

from keycloak_controller.api.client import KeycloakClientSpec
from keycloak_controller.api.realm import KeycloakRealmSpec
from keycloak_controller.api.realm_identity_providers import IdentityProvider
from keycloak_controller.api.roles import Role
from keycloak_controller.controllers import client_plan, realm_plan
from keycloak_controller.controllers.childset import ChildSet, Removal
from keycloak_controller.controllers.claims import earlier_claimant, refuse
from keycloak_controller.controllers.client_reconciler import ClientReconciler, ObservedClient
from keycloak_controller.controllers.context import Context
from keycloak_controller.controllers.kinds import CLIENTS
from keycloak_controller.controllers.ownership import (
    MANAGED_BY,
    OWNER_UID,
    Adoption,
    Claimant,
    Owner,
    Ownership,
    adopting,
    claim,
    first_claimant,
    stamp_only,
)
from keycloak_controller.controllers.realm_identity_providers import (
    DIGEST_PREFIX,
    DesiredProvider,
    desired_config,
    new_provider,
    provider_set,
)
from keycloak_controller.controllers.realm_reconciler import RealmReconciler
from keycloak_controller.controllers.reasons import OWNERSHIP_CONFLICT, Problem
from keycloak_controller.controllers.roles import ROLE_OWNER, role_set
from keycloak_controller.keycloak.models import (
    ClientRepresentation,
    IdentityProviderRepresentation,
    RealmRepresentation,
    RoleRepresentation,
)
from keycloak_controller.keycloak.resources.client_cache import CachedClient
from keycloak_controller.keycloak.secrets import Secret
from keycloak_controller.runtime.objects import KubeObject

OWNER = Owner("KeycloakRealm", "team", "demo", "uid-1")
TAG = "KeycloakRealm/team/demo"
SEED = {"io.kubernetes.managed-by": "keycloak-operator", "io.kubernetes.cr-name": "demo"}


# --- the decision ---------------------------------------------------------------------


def test_claim_returns_the_decision_and_refuses_foreign_or_unasked() -> None:
    assert claim(OWNER, "realm", OWNER.attributes(), adopt=False) is Ownership.OWNED
    assert claim(OWNER, "realm", SEED, adopt=True) is Ownership.UNOWNED
    with pytest.raises(Problem) as unasked:
        claim(OWNER, "realm 'demo'", SEED, adopt=False)
    assert unasked.value.reason == OWNERSHIP_CONFLICT
    assert "adoptExisting" in unasked.value.message
    other = Owner("KeycloakRealm", "team", "other", "uid-9").attributes()
    with pytest.raises(Problem, match="KeycloakRealm team/other"):
        claim(OWNER, "realm 'demo'", other, adopt=True)


def test_only_an_unowned_object_is_spared_a_stamp_only_write() -> None:
    assert stamp_only(Ownership.UNOWNED, needed_without_stamp=False)
    assert not stamp_only(Ownership.UNOWNED, needed_without_stamp=True)
    # Owned with a stale stamp (an old uid): re-stamped as before.
    assert not stamp_only(Ownership.OWNED, needed_without_stamp=False)


def test_the_first_claimant_keeps_the_object() -> None:
    first = Claimant("2026-01-01T00:00:00Z", "team", "a")
    same_time = Claimant("2026-01-01T00:00:00Z", "team", "b")
    later = Claimant("2026-02-01T00:00:00Z", "other", "c")
    assert first_claimant(later, [first, same_time]) == first
    assert first_claimant(same_time, [first, later]) == first  # the name breaks the tie
    assert first_claimant(first, [same_time, later]) is None
    assert first_claimant(first, [first]) is None  # itself is no rival


# --- the realm ------------------------------------------------------------------------


def realm_spec(**fields: Any) -> KeycloakRealmSpec:
    return KeycloakRealmSpec.model_validate(
        {"keycloakRef": {"name": "kc"}, "realmName": "demo", **fields}
    )


SMTP = {
    "host": "smtp.example.test",
    "from": "no-reply@example.test",
    "starttls": True,
    "auth": {"username": "mailer", "passwordSecretRef": {"name": "s", "key": "p"}},
}


def hand_made_realm(**fields: Any) -> RealmRepresentation:
    """As made by hand: the seed operator's attributes, SMTP switches left out."""
    smtp = {
        "host": "smtp.example.test",
        "port": "25",
        "from": "no-reply@example.test",
        "starttls": "true",
        "auth": "true",
        "user": "mailer",
        "password": "**********",
    }
    body = {"realm": "demo", "enabled": True, "displayName": "Demo", "smtpServer": smtp}
    return RealmRepresentation.model_validate({**body, "attributes": SEED, **fields})


def test_an_adopted_realm_that_matches_needs_no_write_though_the_stamp_differs() -> None:
    spec = realm_spec(displayName="Demo", smtp=SMTP)
    actual = hand_made_realm()
    password = Secret("hunter2")
    digest = realm_plan.smtp_password_digest(password, "uid-1")
    stamped = realm_plan.desired_realm(spec, OWNER.attributes(), digest)
    # With the stamp and the password digest the realm differs ...
    assert realm_plan.realm_update(stamped, actual, password) is not None
    # ... without them it does not: adoption takes it as it is.
    assert not RealmReconciler._needed_unstamped(spec, actual, password, digest, {})
    # A real difference is a write, and that write carries the stamp and the password.
    other = realm_spec(displayName="Changed", smtp=SMTP)
    assert RealmReconciler._needed_unstamped(other, actual, password, digest, {})
    update = realm_plan.realm_update(
        realm_plan.desired_realm(other, OWNER.attributes(), digest), actual, password
    )
    assert update is not None
    assert (update.attributes or {})[MANAGED_BY] == "keycloak-controller"
    assert (update.smtp_server or {})["password"] == "hunter2"


def test_a_recorded_smtp_digest_is_still_compared_on_an_unstamped_realm() -> None:
    spec = realm_spec(smtp=SMTP)
    old = realm_plan.smtp_password_digest(Secret("old"), "uid-1")
    actual = hand_made_realm(attributes={**SEED, realm_plan.SMTP_PASSWORD_DIGEST: old})
    new = Secret("new")
    digest = realm_plan.smtp_password_digest(new, "uid-1")
    assert RealmReconciler._needed_unstamped(spec, actual, new, digest, {})


def test_absent_smtp_switches_read_as_false() -> None:
    spec = realm_spec(smtp={"host": "smtp.example.test", "from": "a@example.test"})
    desired = realm_plan.desired_realm(spec, {})
    smtp = {"host": "smtp.example.test", "port": "25", "from": "a@example.test"}
    actual = RealmRepresentation.model_validate(
        {"realm": "demo", "enabled": True, "smtpServer": smtp}
    )
    assert realm_plan.realm_update(desired, actual, None) is None
    on = actual.model_copy(update={"smtp_server": {**smtp, "ssl": "true"}})
    assert realm_plan.realm_update(desired, on, None) is not None


# --- clients --------------------------------------------------------------------------


def client_spec(**fields: Any) -> KeycloakClientSpec:
    return KeycloakClientSpec.model_validate(
        {"realmRef": {"name": "demo"}, "clientId": "app", **fields}
    )


def observed_client(client: ClientRepresentation) -> ObservedClient:
    return ObservedClient(CachedClient.__new__(CachedClient), client)


def hand_made_client(**fields: Any) -> ClientRepresentation:
    body = {
        "id": "c-1",
        "clientId": "app",
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": True,
        "bearerOnly": False,
        "standardFlowEnabled": True,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "serviceAccountsEnabled": False,
        "redirectUris": ["https://app.example.test/*"],
        "attributes": SEED,  # no device-grant attribute: Keycloak reads it as false
    }
    return ClientRepresentation.model_validate({**body, **fields})


def test_an_adopted_client_that_matches_differs_only_by_the_stamp() -> None:
    spec = client_spec(accessType="Public", redirectUris=["https://app.example.test/*"])
    actual = hand_made_client()
    stamped = client_plan.desired_client(spec, OWNER.attributes())
    assert client_plan.changed_fields(stamped, actual) == ["attributes"]
    assert ClientReconciler._changed_unstamped(spec, observed_client(actual)) == []
    changed = client_spec(accessType="Public", redirectUris=["https://other.example.test/*"])
    assert ClientReconciler._changed_unstamped(changed, observed_client(actual)) == ["redirectUris"]
    # The write it then needs carries the stamp.
    update = client_plan.client_update(
        client_plan.desired_client(changed, OWNER.attributes()), actual
    )
    assert update is not None and (update.attributes or {})[OWNER_UID] == "uid-1"


def test_a_bearer_only_client_keeps_its_meaningless_standard_flow_flag() -> None:
    spec = client_spec(accessType="BearerOnly")
    hand_made = hand_made_client(publicClient=False, bearerOnly=True, redirectUris=[])
    desired = client_plan.desired_client(spec, {})
    assert desired.standard_flow_enabled is False  # what a created one gets
    assert client_plan.changed_fields(desired, hand_made) == []
    # Turned into a normal client by hand: compared again.
    normal = hand_made.model_copy(update={"bearer_only": False})
    assert "standardFlowEnabled" in client_plan.changed_fields(desired, normal)


# --- owned-only child sets ------------------------------------------------------------


def role(name: str, **attributes: list[str]) -> RoleRepresentation:
    return RoleRepresentation(name=name, description="d", attributes=attributes or None)


def adopted(plan: Any, adoption: Adoption | None = None) -> Any:
    """Run a child set's plan under adoption, as the realm reconciler does."""
    with adopting(adoption or Adoption()):
        return plan()


def test_an_adopted_role_that_matches_is_left_untagged() -> None:
    roles = role_set(TAG)
    want = [Role(name="viewer", description="d")]
    hand_made = role("viewer")
    assert [w.name for w, _ in roles.plan(want, [hand_made]).update] == ["viewer"]
    assert not adopted(lambda: roles.plan(want, [hand_made]))
    # A real difference is an update, and the update tags it.
    other = [Role(name="viewer", description="other")]
    assert adopted(lambda: roles.plan(other, [hand_made])).update
    # Tagged by someone else's resource, or ours with a difference: compared as always.
    theirs = role("viewer", **{ROLE_OWNER: ["KeycloakRealm/x/y"]})
    assert not adopted(lambda: roles.plan(want, [theirs]))  # not ours, matches once tagged
    mine = role("viewer", **{ROLE_OWNER: [TAG]})
    changed = mine.model_copy(update={"description": "edited"})
    assert adopted(lambda: roles.plan(want, [changed])).update


def test_adopted_children_are_recorded_and_deleted_once_no_longer_listed() -> None:
    roles = role_set(TAG)
    hand, made_here = role("hand"), role("made-here", **{ROLE_OWNER: [TAG]})
    other_hand = role("other-hand")
    listed = [Role(name="hand", description="d"), Role(name="made-here", description="d")]
    first = Adoption()
    assert not adopted(lambda: roles.plan(listed, [hand, made_here, other_hand]), first)
    # Only the untagged listed child is recorded (the tagged one is owned anyway).
    assert first.record() == {"roles": ["hand"]}
    # Removed from the spec: the recorded child and the tagged one are deleted; the
    # hand-made one never listed is left alone.
    later = Adoption(first.record() or {})
    plan = adopted(lambda: roles.plan([], [hand, made_here, other_hand]), later)
    assert sorted(r.name for r in plan.delete) == ["hand", "made-here"]
    assert later.record() is None
    # adoptExisting turned off: the record is still honoured and kept, nothing new is.
    kept = Adoption({"roles": ["hand"]}, adopt=False)
    plan = adopted(lambda: roles.plan(listed, [hand, made_here, other_hand]), kept)
    assert kept.record() == {"roles": ["hand"]}
    plan = adopted(lambda: roles.plan([], [hand]), Adoption({"roles": ["hand"]}, adopt=False))
    assert [r.name for r in plan.delete] == ["hand"]
    # Without adoption (Observe mode, a resource that never adopted): never deleted.
    assert not roles.plan([], [hand]).delete


def test_authoritative_sets_record_nothing() -> None:
    names: ChildSet[str, str] = ChildSet(
        name="scopes", removal=Removal.AUTHORITATIVE, desired_key=str, actual_key=str
    )
    adoption = Adoption()
    assert not adopted(lambda: names.plan(["a"], ["a"]), adoption)
    assert adoption.record() is None


def oidc_provider(value: str) -> DesiredProvider:
    spec = IdentityProvider.model_validate(
        {
            "alias": "corp",
            "providerId": "oidc",
            "oidc": {
                "authorizationUrl": "https://corp.example/auth",
                "tokenUrl": "https://corp.example/token",
                "clientId": "kc",
                "clientSecretRef": {"name": "idp", "key": "secret"},
            },
        }
    )
    config = desired_config(spec)
    config[DIGEST_PREFIX + "clientSecret"] = f"digest-of-{value}"
    return DesiredProvider(spec, config, {"clientSecret": Secret(value)})


def test_an_adopted_provider_without_a_digest_is_taken_as_holding_the_secret() -> None:
    want = oidc_provider("v1")
    made = new_provider(want, TAG)
    config = {
        k: v for k, v in (made.config or {}).items() if not k.startswith("keycloak-controller")
    }
    hand_made = IdentityProviderRepresentation(
        alias="corp", provider_id="oidc", enabled=True, config={**config, "clientSecret": "***"}
    )
    providers = provider_set(TAG)
    assert providers.plan([want], [hand_made]).update  # without adoption: the digest is sent
    assert not adopted(lambda: providers.plan([want], [hand_made]))
    # Once a digest is recorded, a rotated Secret is seen even on an untagged provider.
    recorded = hand_made.model_copy(
        update={"config": {**config, DIGEST_PREFIX + "clientSecret": "digest-of-v1"}}
    )
    assert not adopted(lambda: providers.plan([want], [recorded]))
    assert adopted(lambda: providers.plan([oidc_provider("v2")], [recorded])).update


# --- the Kubernetes side of a claim ---------------------------------------------------


class Informer:
    """The two reads the claim guard makes of an informer cache."""

    def __init__(self, objects: list[KubeObject]) -> None:
        self.objects = objects

    def get(self, namespace: str, name: str) -> KubeObject | None:
        return next((o for o in self.objects if o.key == f"{namespace}/{name}"), None)

    def by_index(self, index: str, value: str) -> list[KubeObject]:
        assert (index, value) == ("realm", "team/demo")
        return self.objects


class Ctx:
    def __init__(self, objects: list[KubeObject]) -> None:
        self.cache = Informer(objects)

    def informer(self, kind: object) -> Informer:
        return self.cache


def client_cr(name: str, created: str, client_id: str = "app", **spec: Any) -> KubeObject:
    return KubeObject(
        {
            "metadata": {"namespace": "team", "name": name, "creationTimestamp": created},
            "spec": {"realmRef": {"name": "demo"}, "clientId": client_id, **spec},
        }
    )


def rival_of(name: str, objects: list[KubeObject]) -> Claimant | None:
    return earlier_claimant(
        cast(Context, Ctx(objects)),
        CLIENTS,
        "team",
        name,
        ("realm", "team/demo"),
        lambda spec: spec.get("clientId"),
    )


def test_the_guard_names_the_earlier_resource_for_the_same_object_only() -> None:
    first = client_cr("first", "2026-01-01T00:00:00Z")
    second = client_cr("second", "2026-01-02T00:00:00Z")
    other = client_cr("other", "2025-01-01T00:00:00Z", client_id="other-app")
    observer = client_cr("observer", "2025-01-01T00:00:00Z", managementPolicy="Observe")
    objects = [first, second, other, observer]
    assert rival_of("first", objects) is None
    rival = rival_of("second", objects)
    assert rival is not None and rival.key == "team/first"
    with pytest.raises(Problem) as refused:
        refuse(CLIENTS, "client 'app'", rival)
    assert refused.value.reason == OWNERSHIP_CONFLICT
    assert "KeycloakClient team/first" in refused.value.message
    # One being deleted claims nothing any more.
    leaving = KubeObject(
        {**first.raw, "metadata": {**first.raw["metadata"], "deletionTimestamp": "now"}}
    )
    assert rival_of("second", [leaving, second]) is None


# --- Secret values adoption takes as Keycloak's -------------------------------------


def test_a_secret_taken_at_adoption_is_kept_in_status_and_a_change_is_sent() -> None:
    first = Adoption()
    assert first.taken("smtp", "d1")
    assert first.digest_record() == {"smtp": "d1"}
    same = Adoption(digests_before=first.digest_record() or {})
    assert same.taken("smtp", "d1") and same.digest_record() == {"smtp": "d1"}
    changed = Adoption(digests_before=first.digest_record() or {})
    assert not changed.taken("smtp", "d2")
    assert changed.digest_record() is None  # the write records the new digest in Keycloak


def test_an_adopted_realm_sends_an_smtp_password_changed_since_adoption() -> None:
    spec = realm_spec(displayName="Demo", smtp=SMTP)
    actual = hand_made_realm()
    old = realm_plan.smtp_password_digest(Secret("hunter2"), "uid-1")
    new = Secret("rotated")
    digest = realm_plan.smtp_password_digest(new, "uid-1")
    taken = Adoption(digests_before={"smtp.auth.passwordSecretRef": old})
    assert RealmReconciler._needed_unstamped(spec, actual, new, digest, {}, taken)
    kept = Adoption(digests_before={"smtp.auth.passwordSecretRef": digest})
    assert not RealmReconciler._needed_unstamped(spec, actual, new, digest, {}, kept)


def test_an_adopted_provider_sends_a_secret_changed_since_adoption() -> None:
    want = oidc_provider("v2")
    config = {k: v for k, v in want.config.items() if not k.startswith(DIGEST_PREFIX)}
    hand_made = IdentityProviderRepresentation(
        alias="corp", provider_id="oidc", enabled=True, config={**config, "clientSecret": "***"}
    )
    path = "identityProviders[corp].clientSecret"
    taken_v1 = Adoption(digests_before={path: "digest-of-v1"})
    assert adopted(lambda: provider_set(TAG).plan([want], [hand_made]), taken_v1).update
    taken_v2 = Adoption(digests_before={path: "digest-of-v2"})
    assert not adopted(lambda: provider_set(TAG).plan([want], [hand_made]), taken_v2)
    assert taken_v2.digest_record() == {path: "digest-of-v2"}
