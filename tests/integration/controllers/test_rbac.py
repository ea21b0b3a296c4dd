"""The controller as its ServiceAccount, bound only by deploy/'s RBAC: what works, what is denied.

Every controller test already runs as the deploy/default ServiceAccount (the
harness's default), so these tests add what the others do not show: the
identity really is the ServiceAccount, the actions the design rules out are
denied to it, leader election works with its Lease grant (and only there), and
the single-namespace overlay runs the controllers with a Role alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes import client as k8s

from keycloak_controller.controllers.kube import OWNED_SECRET_SELECTOR
from keycloak_controller.runtime.leaderelection import LeaderElectionConfig
from tests.support import rbac
from tests.support.controller_harness import (
    Kube,
    ReadyRealm,
    client_object,
    controller_run,
    keycloak_object,
    running_controllers,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.keycloak_server import KeycloakEndpoint

TIMEOUT = 60.0
GROUP, VERSION = "keycloak-controller.dev", "v1alpha1"


def denied(call: Callable[[], Any]) -> bool:
    """True if the apiserver answers 403 Forbidden (any other outcome is not a denial)."""
    try:
        call()
    except k8s.ApiException as error:
        if error.status == 403:
            return True
        raise
    return False


def election(namespace: str, lease: str) -> LeaderElectionConfig:
    return LeaderElectionConfig(
        lease_name=lease,
        lease_namespace=namespace,
        identity=f"test_{uuid.uuid4().hex[:8]}",
        lease_duration=6.0,
        renew_deadline=4.0,
        retry_period=1.0,
    )


def test_the_identity_is_the_service_account_and_what_it_may_not_do(
    crds: ControlPlaneEndpoint, unique_name: Callable[[str], str]
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("ns"))
    kube.secret(ns, "app", {"password": "x"})
    identity = rbac.controller_identity(crds)
    api = identity.api_client()
    review = k8s.AuthenticationV1Api(api).create_self_subject_review(k8s.V1SelfSubjectReview())
    user = review.status.user_info
    assert user.username == "system:serviceaccount:keycloak-controller-system:keycloak-controller"
    assert "system:masters" not in (user.groups or [])

    core, custom = k8s.CoreV1Api(api), k8s.CustomObjectsApi(api)
    ext, leases = k8s.ApiextensionsV1Api(api), k8s.CoordinationV1Api(api)
    # What the controller needs works (deploy/default grants Secrets cluster-wide;
    # docs/security.md says why, and deploy/namespaced is the narrower install).
    assert core.read_namespaced_secret("app", ns).data
    # The Secret cache's two narrow list/watch shapes (docs/secret-cache.md).
    assert not core.list_namespaced_secret(ns, label_selector=OWNED_SECRET_SELECTOR).items
    by_name = core.list_namespaced_secret(ns, field_selector="metadata.name=app").items
    assert [s.metadata.name for s in by_name] == ["app"]
    assert custom.list_namespaced_custom_object(GROUP, VERSION, ns, "keycloakclients")
    # And what the design rules out is denied by the apiserver itself.
    crd = "keycloaks.keycloak-controller.dev"
    assert denied(lambda: ext.delete_custom_resource_definition(crd, dry_run="All"))
    assert denied(lambda: core.list_namespaced_pod(ns))
    assert denied(lambda: core.create_namespaced_config_map(ns, {"metadata": {"name": "c"}}))
    assert denied(lambda: core.delete_collection_namespaced_secret(ns, dry_run="All"))
    body = keycloak_object("kc", "http://127.0.0.1:1", "admin")
    assert denied(
        lambda: custom.create_namespaced_custom_object(GROUP, VERSION, ns, "keycloaks", body)
    )
    lease = {"metadata": {"name": "x"}, "spec": {}}
    assert denied(lambda: leases.create_namespaced_lease(ns, lease))
    assert denied(
        lambda: k8s.RbacAuthorizationV1Api(api).create_cluster_role_binding(
            {
                "metadata": {"name": unique_name("escalate")},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": "cluster-admin",
                },
                "subjects": [{"kind": "User", "name": identity.username}],
            },
            dry_run="All",
        )
    )
    api.close()  # type: ignore[no-untyped-call]


def test_leader_election_as_the_service_account(
    crds: ControlPlaneEndpoint, keycloak: KeycloakEndpoint, unique_name: Callable[[str], str]
) -> None:
    """The Lease lives in keycloak-controller-system, the only namespace deploy/ grants it."""
    kube = Kube(crds)
    ns = kube.namespace(unique_name("ns"))
    kube.secret(
        ns, "admin", {"username": keycloak.admin_username, "password": keycloak.admin_password}
    )
    kube.create("keycloaks", ns, keycloak_object("kc", keycloak, "admin"))
    lease_name = unique_name("lease")
    leader = election(rbac.SYSTEM_NAMESPACE, lease_name)
    elsewhere = election(ns, lease_name)  # the test's namespace: no Lease grant there
    coordination = k8s.CoordinationV1Api(kube.api_client)
    with (
        running_controllers(crds, [ns], leader_election=elsewhere) as outsider,
        running_controllers(crds, [ns], leader_election=leader) as manager,
    ):
        wait_until(lambda: manager.is_leader, TIMEOUT, "the election won")
        wait_until(lambda: kube.is_ready("keycloaks", ns, "kc"), TIMEOUT, "Keycloak Ready")
        lease = coordination.read_namespaced_lease(lease_name, rbac.SYSTEM_NAMESPACE)
        assert lease.spec.holder_identity == leader.identity
        # The same ServiceAccount cannot hold a Lease anywhere else: never leads.
        assert not outsider.is_leader
        with pytest.raises(k8s.ApiException) as missing:
            coordination.read_namespaced_lease(lease_name, ns)
        assert missing.value.status == 404
    # Stopping released the Lease (a PUT, which the Role grants).
    released = coordination.read_namespaced_lease(lease_name, rbac.SYSTEM_NAMESPACE)
    assert not released.spec.holder_identity


def test_single_namespace_overlay(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    """deploy/namespaced moved into a team namespace: a Role, no Namespace reads, no way out."""
    kube = Kube(crds)
    team = unique_name("kc-team")
    identity = rbac.namespaced_identity(crds, team)  # applies the overlay, creating `team`
    assert identity.namespace == team
    outside = kube.namespace(unique_name("outside"))
    kube.secret(outside, "admin", {"username": "u", "password": "p"})
    api = identity.api_client()
    core = k8s.CoreV1Api(api)
    assert denied(lambda: core.read_namespaced_secret("admin", outside))
    assert denied(lambda: core.list_namespaced_secret(outside))
    assert denied(lambda: core.list_secret_for_all_namespaces())
    assert denied(lambda: core.read_namespace(team))
    assert denied(
        lambda: k8s.CustomObjectsApi(api).list_cluster_custom_object(GROUP, VERSION, "keycloaks")
    )
    api.close()  # type: ignore[no-untyped-call]

    # A second namespace bound to the same Role, as a team running the overlay for two
    # namespaces would: a grant by label there needs a Namespace read the Role lacks.
    second = kube.namespace(unique_name("second"), labels={"tenant": team})
    role = next(
        d
        for d in rbac.render("namespaced", team)
        if d["kind"] == "Role" and d["metadata"]["name"] == "keycloak-controller"
    )
    role["metadata"]["namespace"] = second
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "keycloak-controller", "namespace": second},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": "keycloak-controller",
        },
        "subjects": [{"kind": "ServiceAccount", "name": "keycloak-controller", "namespace": team}],
    }
    rbac.apply(crds, [role, binding])

    # Secret references cannot name another namespace: the schema has no such field.
    sneaky = keycloak_object("sneaky", keycloak, "admin")
    sneaky["spec"]["auth"]["passwordGrant"]["passwordSecretRef"]["namespace"] = outside
    with pytest.raises(k8s.ApiException) as refused:
        kube.custom.create_namespaced_custom_object(
            GROUP, VERSION, team, "keycloaks", sneaky, field_validation="Strict"
        )
    assert refused.value.status == 400 and "unknown field" in refused.value.body, refused.value.body

    grants = [{"namespaceSelector": {"matchLabels": {"tenant": team}}}]
    with controller_run(
        crds, [team, second], identity=identity, leader_election=election(team, "kc-ctrl")
    ) as run:
        ready_realm(team, clientAuthorizationGrants=grants)
        kube.create("keycloakclients", team, client_object("app", "realm", "app"))
        ref = {"name": "realm", "namespace": team}
        kube.create("keycloakclients", second, client_object("app", "realm", "app2", realmRef=ref))
        wait_until(lambda: kube.is_ready("keycloakclients", team, "app"), TIMEOUT, "client")
        assert run.manager.is_leader
        assert kube.secret_data(team, "app-credentials")
        wait_until(
            lambda: kube.reason("keycloakclients", second, "app") == "NotGranted",
            TIMEOUT,
            "NotGranted for the label grant it cannot evaluate",
        )
        message = kube.condition("keycloakclients", second, "app")["message"]
        assert "does not allow reading Namespaces" in message, message
        assert kube.condition("keycloakclients", second, "app", "Stalled")["status"] == "True"
