"""spec.authorization of a KeycloakClient: Keycloak decides as the spec says.

Behaviour (canonical version): a UMA ticket request for doc#read gives alice
(who has the role the policy names) an RPT carrying the permission, and bob a
403; a NEGATIVE logic flips both decisions, and an aggregate policy that adds a
user policy grants both. Lifecycle on every version: every policy type and both
permission types are created in the client's first reconcile (Keycloak's
defaults on 24 to 26.0 removed), a second pass writes nothing, a policy edited
by hand is corrected, and a resource dropped from the spec is deleted with its
permission. Bad input: a JavaScript policy without the realm's grant is
NotGranted naming the grant, a policy naming a missing role is InvalidSpec
naming the field and the role, and admission refuses authorization on a public
client.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
import requests
from kubernetes.client.exceptions import ApiException

from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import (
    AbstractPolicyRepresentation,
    ResourceServerRepresentation,
)
from tests.support.controller_harness import (
    Kube,
    ReadyRealm,
    client_object,
    keycloak_requests,
    running_controllers,
    user_object,
    wait_idle,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.keycloak_server import KeycloakEndpoint

TIMEOUT = 90.0
UMA_GRANT = "urn:ietf:params:oauth:grant-type:uma-ticket"


def confidential(name: str, client_id: str, authorization: dict[str, Any]) -> dict[str, Any]:
    return client_object(
        name,
        "realm",
        client_id,
        accessType="Confidential",
        flows={"serviceAccounts": True, "directAccessGrants": True},
        authorization=authorization,
    )


def add_user(kube: Kube, ns: str, username: str, **spec: Any) -> str:
    password = f"{username}-Secret-1"
    kube.secret(ns, f"{username}-password", {"password": password})
    ref = {"secretRef": {"name": f"{username}-password", "key": "password"}}
    body = user_object(
        username,
        "realm",
        username,
        email=f"{username}@example.com",
        firstName=username.title(),
        lastName="Example",
        emailVerified=True,
        password=ref,
        **spec,
    )
    kube.create("keycloakusers", ns, body)
    return password


def claims(token: str) -> Any:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class Tokens:
    """A user's access token (direct grant on the resource server itself), then a UMA
    ticket request for one resource#scope with it."""

    def __init__(self, endpoint: KeycloakEndpoint, realm: str, client_id: str, secret: str):
        self.url = f"{endpoint.base_url}/realms/{realm}/protocol/openid-connect/token"
        self.client = (client_id, secret)

    def access_token(self, username: str, password: str) -> str:
        response = requests.post(
            self.url,
            data={
                "grant_type": "password",
                "client_id": self.client[0],
                "client_secret": self.client[1],
                "username": username,
                "password": password,
            },
            timeout=30,
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def rpt(self, access_token: str, permission: str) -> requests.Response:
        return requests.post(
            self.url,
            data={"grant_type": UMA_GRANT, "audience": self.client[0], "permission": permission},
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=30,
        )


def granted(response: requests.Response, resource: str, scope: str) -> bool:
    if response.status_code != 200:
        return False
    permissions = claims(response.json()["access_token"])["authorization"]["permissions"]
    return any(p["rsname"] == resource and scope in p.get("scopes", []) for p in permissions)


def message(kube: Kube, ns: str, name: str) -> str:
    return str((kube.condition("keycloakclients", ns, name) or {}).get("message", ""))


def client_uuid(admin: KeycloakAdmin, realm: str, client_id: str) -> str:
    found = admin.clients.find(realm, client_id)
    assert found is not None and found.id
    return found.id


BEHAVIOUR = {
    "policyEnforcementMode": "ENFORCING",
    "scopes": [{"name": "read", "displayName": "Read"}],
    "resources": [{"name": "doc", "uris": ["/doc/*"], "scopes": ["read"]}],
    "policies": [{"name": "readers", "role": {"roles": [{"name": "reader", "required": True}]}}],
    "permissions": [
        {"name": "doc-read", "scopes": ["read"], "resource": "doc", "policies": ["readers"]}
    ],
}


def test_uma_ticket_is_granted_as_the_role_policy_says(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("authz-uma"))
    with running_controllers(crds, [ns]) as manager:
        realm = ready_realm(ns, roles=[{"name": "reader"}]).realm_name
        kube.create("keycloakclients", ns, confidential("rs", "rs", BEHAVIOUR))
        alice_password = add_user(kube, ns, "alice", realmRoles=["reader"])
        bob_password = add_user(kube, ns, "bob")
        for name, plural in (("rs", "keycloakclients"), ("alice", "keycloakusers")):
            wait_until(lambda n=name, p=plural: kube.is_ready(p, ns, n), TIMEOUT, f"{name} Ready")
        wait_until(lambda: kube.is_ready("keycloakusers", ns, "bob"), TIMEOUT, "bob Ready")
        secret = (kube.secret_data(ns, "rs-credentials") or {})["client-secret"]
        tokens = Tokens(keycloak, realm, "rs", secret)
        alice = tokens.access_token("alice", alice_password)
        bob = tokens.access_token("bob", bob_password)

        # The role policy decides: alice (reader) gets an RPT for doc#read, bob a 403.
        allowed = tokens.rpt(alice, "doc#read")
        assert granted(allowed, "doc", "read"), allowed.text
        denied = tokens.rpt(bob, "doc#read")
        assert denied.status_code == 403, denied.text

        # NEGATIVE logic inverts the decision for both of them.
        negative = json.loads(json.dumps(BEHAVIOUR))
        negative["policies"][0]["logic"] = "NEGATIVE"
        kube.patch("keycloakclients", ns, "rs", {"spec": {"authorization": negative}})
        wait_until(
            lambda: tokens.rpt(alice, "doc#read").status_code == 403, TIMEOUT, "alice denied"
        )
        assert granted(tokens.rpt(bob, "doc#read"), "doc", "read")

        # An aggregate (AFFIRMATIVE) of the role policy and a user policy for bob grants both.
        aggregate = json.loads(json.dumps(BEHAVIOUR))
        aggregate["policies"] += [
            {"name": "bob-only", "user": {"users": ["bob"]}},
            {
                "name": "readers-or-bob",
                "aggregate": {
                    "policies": ["readers", "bob-only"],
                    "decisionStrategy": "AFFIRMATIVE",
                },
            },
        ]
        aggregate["permissions"][0]["policies"] = ["readers-or-bob"]
        kube.patch("keycloakclients", ns, "rs", {"spec": {"authorization": aggregate}})
        wait_until(lambda: granted(tokens.rpt(alice, "doc#read"), "doc", "read"), TIMEOUT, "alice")
        wait_idle(manager, TIMEOUT)  # every change of the new spec applied
        assert kube.is_ready("keycloakclients", ns, "rs"), message(kube, ns, "rs")
        assert granted(tokens.rpt(alice, "doc#read"), "doc", "read")
        assert granted(tokens.rpt(bob, "doc#read"), "doc", "read")

        # Observe: a second KeycloakClient on the same client reports what differs and
        # writes nothing to Keycloak; the decisions stay as they are.
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        other = json.loads(json.dumps(aggregate))
        other["policies"][0]["logic"] = "NEGATIVE"
        other["scopes"].append({"name": "write"})
        watcher = confidential("watcher", "rs", other)
        watcher["spec"].update(managementPolicy="Observe", deletionPolicy="Retain")
        kube.create("keycloakclients", ns, watcher)
        wait_until(
            lambda: (
                (kube.condition("keycloakclients", ns, "watcher", "InSync") or {}).get("status")
                == "False"
            ),
            TIMEOUT,
            "the difference in InSync",
        )
        in_sync = str((kube.condition("keycloakclients", ns, "watcher", "InSync") or {})["message"])
        assert "authorization.policies[readers]" in in_sync
        assert "authorization.scopes[write] (create)" in in_sync
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes
        assert granted(tokens.rpt(alice, "doc#read"), "doc", "read")


def lifecycle_spec() -> dict[str, Any]:
    return {
        "policyEnforcementMode": "PERMISSIVE",
        "decisionStrategy": "AFFIRMATIVE",
        "allowRemoteResourceManagement": False,
        "scopes": [{"name": "read"}, {"name": "write", "displayName": "Write"}],
        "resources": [
            {
                "name": "doc",
                "displayName": "Documents",
                "type": "urn:app:doc",
                "uris": ["/doc/*"],
                "scopes": ["read", "write"],
                "attributes": {"tier": ["gold"]},
            },
            {"name": "old", "uris": ["/old"], "scopes": ["read"]},
        ],
        "policies": [
            {
                "name": "editors",
                "description": "editors and the app's admins",
                "role": {"roles": [{"name": "editor", "required": True}, {"name": "app/admin"}]},
            },
            {"name": "staff", "group": {"groups": [{"path": "/staff", "extendChildren": True}]}},
            {"name": "carol", "user": {"users": ["carol"]}},
            {"name": "from-app", "client": {"clients": ["app"]}},
            {"name": "with-profile", "clientScope": {"clientScopes": [{"name": "profile"}]}},
            {"name": "office-hours", "time": {"hour": 0, "hourEnd": 23}},
            {"name": "acme-mail", "regex": {"targetClaim": "email", "pattern": ".*@acme[.]test"}},
            {
                "name": "any",
                "logic": "NEGATIVE",
                "aggregate": {"policies": ["editors", "staff"], "decisionStrategy": "CONSENSUS"},
            },
        ],
        "permissions": [
            {"name": "doc-all", "resources": ["doc"], "policies": ["editors", "any"]},
            {"name": "typed", "resourceType": "urn:app:doc", "policies": ["staff"]},
            {
                "name": "old-read",
                "scopes": ["read"],
                "resource": "old",
                "policies": ["carol"],
                "decisionStrategy": "CONSENSUS",
            },
        ],
    }


def test_authorization_lifecycle_on_every_version(
    crds: ControlPlaneEndpoint,
    keycloak_any_version: KeycloakEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    endpoint = keycloak_any_version
    kube = Kube(crds)
    ns = kube.namespace(unique_name("authz-life"))
    with (
        KeycloakAdmin.with_password(
            endpoint.base_url, endpoint.admin_username, endpoint.admin_password
        ) as admin,
        running_controllers(crds, [ns]) as manager,
    ):
        realm = ready_realm(
            ns,
            endpoint=endpoint,
            timeout=TIMEOUT,
            roles=[{"name": "editor"}],
            groups=[{"path": "/staff"}],
        ).realm_name
        kube.create(
            "keycloakclients",
            ns,
            client_object("app", "realm", "app", roles=[{"name": "admin"}]),
        )
        add_user(kube, ns, "carol")
        kube.create("keycloakclients", ns, confidential("rs", "rs", lifecycle_spec()))
        wait_until(
            lambda: kube.is_ready("keycloakclients", ns, "rs"), TIMEOUT, message(kube, ns, "rs")
        )
        uuid = client_uuid(admin, realm, "rs")

        def export() -> ResourceServerRepresentation:
            return admin.authorization.export(realm, uuid)

        state = export()
        assert state.policy_enforcement_mode == "PERMISSIVE"
        assert state.decision_strategy == "AFFIRMATIVE"
        assert state.allow_remote_resource_management is False
        assert {r.name for r in state.resources or []} == {"doc", "old"}  # no Default Resource
        assert {s.name for s in state.scopes or []} == {"read", "write"}
        policies = {p.name: p for p in state.policies or []}
        assert set(policies) == {
            "editors",
            "staff",
            "carol",
            "from-app",
            "with-profile",
            "office-hours",
            "acme-mail",
            "any",
            "doc-all",
            "typed",
            "old-read",
        }  # Keycloak's Default Policy and Default Permission are gone on 24 to 26.0
        roles = json.loads((policies["editors"].config or {})["roles"])
        assert sorted((r["id"], r.get("required", False)) for r in roles) == [
            ("app/admin", False),
            ("editor", True),
        ]
        assert json.loads((policies["doc-all"].config or {})["applyPolicies"]) in (
            ["editors", "any"],
            ["any", "editors"],
        )
        assert (policies["typed"].config or {})["defaultResourceType"] == "urn:app:doc"
        assert policies["any"].logic == "NEGATIVE"

        # In sync: another pass writes nothing (every type compares equal on this version).
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        kube.patch("keycloakclients", ns, "rs", {"metadata": {"annotations": {"poke": "1"}}})
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes

        # Drift by hand: the role policy loses a role and turns NEGATIVE; corrected.
        editors = next(p for p in admin.authorization.policies(realm, uuid) if p.name == "editors")
        editor_id = admin.roles.get(realm, "editor").id
        drift = AbstractPolicyRepresentation.model_validate(
            {
                "id": editors.id,
                "name": "editors",
                "type": "role",
                "logic": "NEGATIVE",
                "roles": [{"id": editor_id, "required": False}],
            }
        )
        admin.authorization.update_policy(realm, uuid, "role", editors.id or "", drift)
        kube.patch("keycloakclients", ns, "rs", {"metadata": {"annotations": {"poke": "2"}}})

        def corrected() -> bool:
            policy = next(p for p in export().policies or [] if p.name == "editors")
            roles = json.loads((policy.config or {}).get("roles") or "[]")
            return policy.logic == "POSITIVE" and len(roles) == 2

        wait_until(corrected, TIMEOUT, "the role policy corrected")

        # A policy changes type: made again, and still named by the permission and the
        # aggregate that use it, in the same reconcile.
        spec = lifecycle_spec()
        spec["policies"][1] = {"name": "staff", "user": {"users": ["carol"]}}
        kube.patch("keycloakclients", ns, "rs", {"spec": {"authorization": spec}})

        def retyped() -> bool:
            policies = {p.name: p for p in export().policies or []}

            def applied(name: str) -> list[str]:
                found = policies.get(name)
                config = (found.config if found else None) or {}
                return list(json.loads(config.get("applyPolicies") or "[]"))

            staff = policies.get("staff")
            return (
                staff is not None
                and staff.type == "user"
                and "staff" in applied("typed")
                and "staff" in applied("any")
            )

        def staff_type() -> str | None:
            return next((p.type for p in export().policies or [] if p.name == "staff"), None)

        wait_until(lambda: staff_type() == "user", TIMEOUT, "staff retyped")
        wait_idle(manager, TIMEOUT)  # no later pass: the same reconcile re-applied them
        assert retyped()
        assert kube.is_ready("keycloakclients", ns, "rs")

        # Removal: "old" leaves the spec with its permission; both are deleted.
        spec["resources"] = spec["resources"][:1]
        spec["permissions"] = spec["permissions"][:2]
        kube.patch("keycloakclients", ns, "rs", {"spec": {"authorization": spec}})

        def removed() -> bool:
            state = export()
            return {r.name for r in state.resources or []} == {"doc"} and "old-read" not in {
                p.name for p in state.policies or []
            }

        wait_until(removed, TIMEOUT, "the resource and its permission deleted")
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "rs"), TIMEOUT, "Ready")


def test_javascript_policies_need_the_grant_and_missing_roles_are_named(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("authz-bad"))
    with running_controllers(crds, [ns]):
        ready_realm(ns)
        script = {
            "policies": [{"name": "scripted", "javascript": {"providerId": "script-grant.js"}}]
        }
        kube.create("keycloakclients", ns, confidential("rs", "rs", script))
        wait_until(
            lambda: kube.reason("keycloakclients", ns, "rs") == "NotGranted",
            TIMEOUT,
            "the script policy refused",
        )
        text = message(kube, ns, "rs")
        assert "scripted" in text and "allowScriptMappers: true" in text

        missing = {"policies": [{"name": "ghosts", "role": {"roles": [{"name": "ghost"}]}}]}
        kube.patch("keycloakclients", ns, "rs", {"spec": {"authorization": missing}})
        wait_until(
            lambda: "spec.authorization.policies[ghosts].role" in message(kube, ns, "rs"),
            TIMEOUT,
            "the missing role named",
        )
        assert "ghost" in message(kube, ns, "rs")
        assert kube.reason("keycloakclients", ns, "rs") == "InvalidSpec"

        # Admission: Keycloak runs authorization services for confidential clients only.
        with pytest.raises(ApiException) as refused:
            kube.create(
                "keycloakclients",
                ns,
                client_object("pub", "realm", "pub", accessType="Public", authorization={}),
            )
        assert refused.value.status == 422
        assert "authorization services need accessType: Confidential" in str(refused.value.body)
