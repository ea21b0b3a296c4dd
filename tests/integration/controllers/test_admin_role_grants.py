"""Administrative service-account roles for a client in the realm's own namespace.

Attaching to a realm in the same namespace needs no grant, but admin roles do,
and that grant may select the namespace by label: the controller must then read
the namespace's labels even though the client is not cross-namespace.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.support.controller_harness import (
    Kube,
    ReadyRealm,
    client_object,
    running_controllers,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint

TIMEOUT = 60.0


def test_admin_roles_granted_to_the_own_namespace_by_label(
    crds: ControlPlaneEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    kube = Kube(crds)
    team = unique_name("team")
    ns = kube.namespace(unique_name("ns"), labels={"team": team})
    admin_roles = {
        "flows": {"serviceAccounts": True},
        "serviceAccount": {"clientRoles": {"realm-management": ["view-users"]}},
    }
    with running_controllers(crds, [ns]):
        ready_realm(ns)
        kube.create("keycloakclients", ns, client_object("app", "realm", "app", **admin_roles))
        wait_until(
            lambda: (
                "administrative roles"
                in (kube.condition("keycloakclients", ns, "app") or {}).get("message", "")
            ),
            TIMEOUT,
            "admin roles refused without a grant",
        )
        grant = {"namespaceSelector": {"matchLabels": {"team": team}}, "allowAdminRoles": True}
        kube.patch("keycloakrealms", ns, "realm", {"spec": {"clientAuthorizationGrants": [grant]}})
        wait_until(
            lambda: kube.is_ready("keycloakclients", ns, "app"),
            TIMEOUT,
            "admin roles allowed by a label grant of the own namespace",
        )
