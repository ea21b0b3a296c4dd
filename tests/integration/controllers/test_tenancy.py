"""Cross-namespace tenancy beyond test_behaviour's grant-by-name: grants by namespace label
on both edges (Keycloak -> realm, realm -> client), revocation, and Secrets that stay in
their own namespace. The controllers run as the deploy/default ServiceAccount, so the
Namespace label reads go through its RBAC too."""

from __future__ import annotations

from collections.abc import Callable

from keycloak_controller.keycloak.client import KeycloakAdmin
from tests.support.controller_harness import (
    Kube,
    client_object,
    keycloak_object,
    realm_object,
    running_controllers,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.keycloak_server import KeycloakEndpoint

TIMEOUT = 60.0


def test_label_grants_between_namespaces_and_secrets_stay_home(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
) -> None:
    kube = Kube(crds)
    tenant = unique_name("tenant")
    platform = kube.namespace(unique_name("platform"))
    team = kube.namespace(unique_name("team"), labels={"tenant": tenant})
    stranger = kube.namespace(unique_name("stranger"), labels={"tenant": "someone-else"})
    realm_name = unique_name("realm")
    kube.secret(
        platform,
        "admin",
        {"username": keycloak.admin_username, "password": keycloak.admin_password},
    )
    kube.create("keycloaks", platform, keycloak_object("kc", keycloak, "admin"))
    kc_ref = {"name": "kc", "namespace": platform}
    kube.create("keycloakrealms", team, realm_object("realm", "kc", realm_name, keycloakRef=kc_ref))
    kube.create(
        "keycloakrealms",
        stranger,
        realm_object("realm", "kc", unique_name("realm"), keycloakRef=kc_ref),
    )
    realm_ref = {"name": "realm", "namespace": team}
    kube.create(
        "keycloakclients", platform, client_object("app", "realm", "app", realmRef=realm_ref)
    )
    kube.create(
        "keycloakclients", stranger, client_object("app", "realm", "app2", realmRef=realm_ref)
    )
    # A Keycloak in the team namespace naming a Secret that exists only in `platform`.
    kube.create("keycloaks", team, keycloak_object("borrowed", keycloak, "admin"))

    with running_controllers(crds, [platform, team, stranger]):
        # Nothing granted yet: the Keycloak lets no other namespace in.
        wait_until(
            lambda: kube.reason("keycloakrealms", team, "realm") == "NotGranted",
            TIMEOUT,
            "the team realm NotGranted",
        )
        assert "spec.realmNamespaces" in kube.condition("keycloakrealms", team, "realm")["message"]
        # A Secret is looked up in the CR's own namespace only.
        wait_until(
            lambda: kube.reason("keycloaks", team, "borrowed") == "SecretNotFound",
            TIMEOUT,
            "SecretNotFound for a Secret that exists in another namespace",
        )
        message = kube.condition("keycloaks", team, "borrowed")["message"]
        assert f"Secret {team}/admin not found" in message, message

        # The Keycloak admits namespaces by label: the team's realm is created, the stranger's not.
        selector = {"namespaceSelector": {"matchLabels": {"tenant": tenant}}}
        kube.patch("keycloaks", platform, "kc", {"spec": {"realmNamespaces": selector}})
        wait_until(lambda: kube.is_ready("keycloakrealms", team, "realm"), TIMEOUT, "realm Ready")
        assert direct_admin.realms.get(realm_name).realm == realm_name
        assert kube.reason("keycloakrealms", stranger, "realm") == "NotGranted"

        # The realm grants clients by label: the platform namespace gets labelled, the
        # stranger's label does not match.
        assert kube.reason("keycloakclients", platform, "app") == "NotGranted"
        kube.core.patch_namespace(platform, {"metadata": {"labels": {"apps-of": tenant}}})
        grants = [{"namespaceSelector": {"matchLabels": {"apps-of": tenant}}}]
        kube.patch("keycloakrealms", team, "realm", {"spec": {"clientAuthorizationGrants": grants}})
        wait_until(lambda: kube.is_ready("keycloakclients", platform, "app"), TIMEOUT, "granted")
        assert direct_admin.clients.find(realm_name, "app") is not None
        wait_until(
            lambda: kube.reason("keycloakclients", stranger, "app") == "NotGranted",
            TIMEOUT,
            "the stranger's client NotGranted",
        )
        assert direct_admin.clients.find(realm_name, "app2") is None

        # Revoking the Keycloak's admission takes the realm out of Ready again.
        kube.patch("keycloaks", platform, "kc", {"spec": {"realmNamespaces": None}})
        wait_until(
            lambda: kube.reason("keycloakrealms", team, "realm") == "NotGranted",
            TIMEOUT,
            "NotGranted after the Keycloak revoked the namespace",
        )
    direct_admin.realms.delete(realm_name)
