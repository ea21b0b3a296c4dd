"""The generated CRDs on the real kube-apiserver: what admission accepts and refuses."""

from __future__ import annotations

import copy
import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client as k8s

from keycloak_controller.api import GROUP, VERSION
from tests.support.config import kube_binaries
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.crds import install_crds

SAMPLES = Path(__file__).resolve().parents[3] / "deploy" / "samples"
PLURALS = {
    "Keycloak": "keycloaks",
    "KeycloakRealm": "keycloakrealms",
    "KeycloakClient": "keycloakclients",
    "KeycloakUser": "keycloakusers",
}


def as_dict(value: object) -> dict[str, Any]:
    assert isinstance(value, dict)
    return value


def sample(file: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((SAMPLES / file).read_text())
    return document


class Api:
    """Custom objects in one fresh namespace."""

    def __init__(self, endpoint: ControlPlaneEndpoint, namespace: str) -> None:
        self.endpoint = endpoint
        self.namespace = namespace
        self.custom = k8s.CustomObjectsApi(endpoint.api_client())

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        return as_dict(
            self.custom.create_namespaced_custom_object(
                GROUP, VERSION, self.namespace, PLURALS[obj["kind"]], obj
            )
        )

    def replace(self, obj: dict[str, Any]) -> dict[str, Any]:
        return as_dict(
            self.custom.replace_namespaced_custom_object(
                GROUP, VERSION, self.namespace, PLURALS[obj["kind"]], obj["metadata"]["name"], obj
            )
        )

    def get(self, plural: str, name: str) -> dict[str, Any]:
        return as_dict(
            self.custom.get_namespaced_custom_object(GROUP, VERSION, self.namespace, plural, name)
        )

    def list(self, plural: str) -> list[dict[str, Any]]:
        listed = as_dict(
            self.custom.list_namespaced_custom_object(GROUP, VERSION, self.namespace, plural)
        )
        return [as_dict(item) for item in listed["items"]]

    def rejected(self, action: Callable[[], object]) -> str:
        """Run `action`, expect 422 Invalid, return the apiserver's message."""
        with pytest.raises(k8s.ApiException) as caught:
            action()
        assert caught.value.status == 422, caught.value.body
        message: str = json.loads(caught.value.body or "{}")["message"]
        return message

    def kubectl(self, *args: str) -> str:
        command = [str(kube_binaries().kubectl), "--kubeconfig", self.endpoint.kubeconfig, *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout


@pytest.fixture
def api(control_plane: ControlPlaneEndpoint, unique_name: Callable[[str], str]) -> Api:
    install_crds(control_plane)
    namespace = unique_name("api")
    k8s.CoreV1Api(control_plane.api_client()).create_namespace(
        k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=namespace))
    )
    return Api(control_plane, namespace)


def test_samples_are_accepted_with_defaults_filled_in(api: Api) -> None:
    api.kubectl("apply", "-k", str(SAMPLES), "-n", api.namespace)
    got = {kind: api.list(plural) for kind, plural in PLURALS.items()}
    assert [o["metadata"]["name"] for o in got["Keycloak"]] == ["local"]
    assert [o["metadata"]["name"] for o in got["KeycloakRealm"]] == ["demo"]
    assert sorted(o["metadata"]["name"] for o in got["KeycloakClient"]) == [
        "demo-backend",
        "demo-spa",
    ]

    keycloak = got["Keycloak"][0]["spec"]
    assert keycloak["auth"]["realm"] == "master"
    assert keycloak["auth"]["passwordGrant"]["clientId"] == "admin-cli"
    realm = got["KeycloakRealm"][0]["spec"]
    assert (realm["enabled"], realm["deletionPolicy"], realm["adoptExisting"]) == (
        True,
        "Delete",
        False,
    )
    spa = next(o for o in got["KeycloakClient"] if o["metadata"]["name"] == "demo-spa")["spec"]
    assert (spa["enabled"], spa["protocol"], spa["managementPolicy"]) == (
        True,
        "openid-connect",
        "Manage",
    )
    (alice,) = got["KeycloakUser"]
    assert alice["metadata"]["name"] == "demo-alice"
    assert (alice["spec"]["enabled"], alice["spec"]["managementPolicy"]) == (True, "Manage")
    assert alice["spec"]["password"]["mode"] == "Initial"
    # The sample's password Secret comes with it.
    secret = k8s.CoreV1Api(api.endpoint.api_client()).read_namespaced_secret(
        "demo-alice-password", api.namespace
    )
    assert set(secret.data or {}) == {"password"}


def user(**spec: Any) -> dict[str, Any]:
    """The sample KeycloakUser (its file also holds the password Secret)."""
    documents = yaml.safe_load_all((SAMPLES / "user.yaml").read_text())
    obj: dict[str, Any] = next(d for d in documents if d["kind"] == "KeycloakUser")
    obj["spec"].update(spec)
    return obj


def client(**spec: Any) -> dict[str, Any]:
    obj = copy.deepcopy(sample("client-confidential.yaml"))
    obj["spec"].update(spec)
    return obj


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("redirectUris", "redirectUris must not contain a bare '*'"),
        ("webOrigins", "webOrigins must not contain a bare '*'"),
        ("postLogoutRedirectUris", "postLogoutRedirectUris must not contain a bare '*'"),
    ],
)
def test_bare_star_is_refused(api: Api, field: str, message: str) -> None:
    bad = client(**{field: ["https://app.example.com/*", "*"]})
    text = api.rejected(lambda: api.create(bad))
    assert f"spec.{field}" in text
    assert message in text
    # A prefix pattern is fine.
    api.create(client(**{field: ["https://app.example.com/*"]}))


@pytest.mark.parametrize("field", ["redirectUris", "webOrigins", "postLogoutRedirectUris"])
def test_wildcard_host_is_refused(api: Api, field: str) -> None:
    # As a new user would try it: "any subdomain of acme.test".
    uri = "https://*.acme.test" if field == "webOrigins" else "https://*.acme.test/cb"
    text = api.rejected(lambda: api.create(client(**{field: [uri]})))
    assert f"spec.{field}" in text
    assert f"{field} must not have a wildcard in the host" in text
    # A trailing path wildcard and custom schemes stay allowed.
    ok = "https://app.acme.test" if field == "webOrigins" else "https://app.acme.test/*"
    api.create(client(**{field: [ok, "myapp://callback"]}))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"saml": {"signDocuments": True}}, "spec.saml is for protocol: saml clients"),
        ({"protocol": "saml"}, "a saml client needs spec.saml"),
        (
            {"protocol": "saml", "saml": {"clientSignatureRequired": True}},
            "clientSignatureRequired: true needs signingCertificateSecretRef",
        ),
        (
            {"clientAuthentication": {"method": "SignedJwt"}},
            "method SignedJwt needs exactly one of jwksUrl or certificateSecretRef",
        ),
        (
            {"clientAuthentication": {"method": "X509"}},
            "method X509 needs subjectDn",
        ),
    ],
)
def test_client_protocol_and_authentication_rules(
    api: Api, spec: dict[str, Any], message: str
) -> None:
    obj = client()
    if spec.get("protocol") == "saml":
        for key in ("flows", "serviceAccount", "webOrigins"):
            obj["spec"].pop(key, None)
    obj["spec"].update(spec)
    assert message in api.rejected(lambda: api.create(obj))


def test_saml_client_is_accepted_and_its_protocol_is_immutable(api: Api) -> None:
    obj = client(
        protocol="saml",
        saml={
            "assertionConsumerService": {"post": "https://sp.acme.test/acs"},
            "signatureAlgorithm": "RSA_SHA256",
        },
    )
    for key in ("flows", "serviceAccount", "webOrigins"):
        obj["spec"].pop(key, None)
    created = api.create(obj)
    created["spec"]["protocol"] = "openid-connect"
    created["spec"].pop("saml")
    assert "protocol is immutable" in api.rejected(lambda: api.replace(created))


def test_realm_name_is_immutable(api: Api) -> None:
    created = api.create(sample("realm.yaml"))
    created["spec"]["realmName"] = "renamed"
    text = api.rejected(lambda: api.replace(created))
    assert "spec.realmName" in text
    assert "realmName is immutable" in text


def test_client_id_is_immutable_but_other_fields_change(api: Api) -> None:
    created = api.create(client())
    created["spec"]["name"] = "A new display name"
    updated = api.replace(created)
    assert updated["metadata"]["generation"] == 2
    updated["spec"]["clientId"] = "other"
    text = api.rejected(lambda: api.replace(updated))
    assert "spec.clientId" in text
    assert "clientId is immutable" in text


def test_both_admin_grants_are_refused(api: Api) -> None:
    keycloak = sample("keycloak.yaml")
    keycloak["spec"]["auth"]["clientCredentials"] = {
        "clientId": "controller",
        "clientSecretRef": {"name": "keycloak-admin", "key": "client-secret"},
    }
    text = api.rejected(lambda: api.create(keycloak))
    assert "set exactly one of passwordGrant or clientCredentials" in text


def test_external_and_managed_together_are_refused(api: Api) -> None:
    keycloak = sample("keycloak.yaml")
    keycloak["spec"]["managed"] = {"database": {"dev": True}}
    text = api.rejected(lambda: api.create(keycloak))
    assert "set exactly one of spec.external or spec.managed" in text


def test_invalid_enum_is_refused(api: Api) -> None:
    text = api.rejected(lambda: api.create(client(accessType="Secret")))
    assert "spec.accessType" in text
    assert 'Unsupported value: "Secret"' in text


def test_missing_required_field_is_refused(api: Api) -> None:
    realm = sample("realm.yaml")
    del realm["spec"]["realmName"]
    text = api.rejected(lambda: api.create(realm))
    assert "spec.realmName: Required value" in text


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"accessType": "Public", "serviceAccount": None},
            "public clients cannot use service accounts",
        ),
        (
            {"accessType": "BearerOnly", "serviceAccount": None, "flows": {"implicit": True}},
            "bearer-only clients only accept tokens",
        ),
        (
            {"flows": {"standard": True}},
            "spec.serviceAccount needs spec.flows.serviceAccounts: true",
        ),
        (
            {
                "accessType": "Public",
                "flows": {"standard": True},
                "serviceAccount": None,
                "credentialsSecret": {"existingSecret": {"name": "mine", "key": "secret"}},
            },
            "only Confidential clients have a client secret",
        ),
    ],
)
def test_client_cross_field_rules(api: Api, spec: dict[str, Any], message: str) -> None:
    obj = client()
    for key, value in spec.items():
        if value is None:
            obj["spec"].pop(key, None)
        else:
            obj["spec"][key] = value
    assert message in api.rejected(lambda: api.create(obj))


def test_bearer_only_client_without_flows_is_accepted(api: Api) -> None:
    obj = client(accessType="BearerOnly")
    for key in ("flows", "serviceAccount"):
        del obj["spec"][key]
    assert api.create(obj)["spec"]["accessType"] == "BearerOnly"


def test_master_realm_must_be_retained(api: Api) -> None:
    realm = sample("realm.yaml")
    realm["spec"]["realmName"] = "master"
    text = api.rejected(lambda: api.create(realm))
    assert "the master realm cannot be deleted; set deletionPolicy: Retain" in text
    realm["spec"]["deletionPolicy"] = "Retain"
    api.create(realm)


def test_explain_shows_the_field_description(api: Api) -> None:
    # The OpenAPI document kubectl reads is republished shortly after a CRD change.
    deadline = time.monotonic() + 30
    while True:
        command = [
            str(kube_binaries().kubectl),
            "--kubeconfig",
            api.endpoint.kubeconfig,
            "explain",
            "keycloakclient.spec.redirectUris",
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if done.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())  # kubectl wraps long lines
    assert "KIND: KeycloakClient" in text
    assert "Valid redirect URIs after login; a trailing * is a prefix match." in text
    assert "A bare '*' is refused." in text


def test_get_keycloak_lists_every_kind_with_status_columns(api: Api) -> None:
    api.kubectl("apply", "-k", str(SAMPLES), "-n", api.namespace)
    listed = api.kubectl("get", "keycloak", "-n", api.namespace, "-o", "name").split()
    assert sorted(listed) == [
        f"keycloak.{GROUP}/local",
        f"keycloakclient.{GROUP}/demo-backend",
        f"keycloakclient.{GROUP}/demo-spa",
        f"keycloakrealm.{GROUP}/demo",
        f"keycloakuser.{GROUP}/demo-alice",
    ]

    # Status goes through the status subresource; the printer columns read it.
    realm = api.get("keycloakrealms", "demo")
    realm["status"] = {
        "observedGeneration": realm["metadata"]["generation"],
        "realmId": "4c1d",
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "observedGeneration": realm["metadata"]["generation"],
                "lastTransitionTime": "2026-01-01T12:00:00Z",
                "reason": "Succeeded",
                "message": "",
            }
        ],
    }
    api.custom.replace_namespaced_custom_object_status(
        GROUP, VERSION, api.namespace, "keycloakrealms", "demo", realm
    )
    table = api.kubectl("get", "keycloak", "-n", api.namespace)
    header, row = _realm_table(table)
    assert header[:4] == ["NAME", "REALM", "READY", "REASON"]
    assert row[:4] == [f"keycloakrealm.{GROUP}/demo", "demo", "True", "Succeeded"]
    api.kubectl(
        "wait", "--for=condition=Ready", "--timeout=10s", "-n", api.namespace, "kcrealm/demo"
    )
    # The category shadows the singular name for "get keycloak NAME"; these forms
    # reach one Keycloak (documented in keycloak_controller.api).
    for args in (("kc", "local"), ("keycloaks", "local"), ("keycloak/local",)):
        out = api.kubectl("get", *args, "-n", api.namespace, "-o", "name")
        assert out.split() == [f"keycloak.{GROUP}/local"]


def _realm_table(table: str) -> tuple[list[str], list[str]]:
    """The header and the row of the realm's table in `kubectl get keycloak` output."""
    lines = table.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("keycloakrealm."):
            return lines[index - 1].split(), line.split()
    raise AssertionError(f"no realm table in:\n{table}")


@pytest.mark.parametrize(
    ("field", "value"),
    [("username", "bob"), ("realmRef", {"name": "other"})],
)
def test_user_identity_is_immutable_but_the_profile_changes(
    api: Api, field: str, value: object
) -> None:
    created = api.create(user())
    created["spec"]["firstName"] = "Alicia"
    updated = api.replace(created)
    assert updated["metadata"]["generation"] == 2
    updated["spec"][field] = value
    text = api.rejected(lambda: api.replace(updated))
    assert f"spec.{field}" in text
    assert f"{field} is immutable" in text


@pytest.mark.parametrize(
    ("spec", "where", "message"),
    [
        ({"username": "Alice"}, "spec.username", "username must be lower case"),
        ({"username": "émile-Ölund"}, "spec.username", "username must be lower case"),
        (
            {"password": {"secretRef": {"name": "pw", "key": "password"}, "mode": "Always"}},
            "spec.password.mode",
            'Unsupported value: "Always"',
        ),
        (
            {
                "password": {
                    "secretRef": {"name": "pw", "key": "password"},
                    "mode": "Managed",
                    "temporary": True,
                }
            },
            "spec.password.temporary",
            "a temporary password is replaced by the user at the first login",
        ),
        (
            {"attributes": {"email": ["x@example.com"]}},
            "spec.attributes",
            "attributes must not set username, email, firstName or lastName",
        ),
        (
            {"attributes": {"keycloak-controller.dev/owner-name": ["x"]}},
            "spec.attributes",
            "nor keys under keycloak-controller.dev/",
        ),
        ({"groups": ["engineering"]}, "spec.groups[0]", "should match"),
        ({"email": "alice"}, "spec.email", "should match"),
    ],
)
def test_user_rules(api: Api, spec: dict[str, Any], where: str, message: str) -> None:
    text = api.rejected(lambda: api.create(user(**spec)))
    assert where in text, text
    assert message in text, text


def test_user_lower_case_username_and_the_rest_accepted(api: Api) -> None:
    created = api.create(
        user(
            username="émile.zola-2",
            attributes={"department": ["wonderland"]},
            groups=["/engineering/backend", "/ops team"],
            clientRoles={"demo-backend": ["reader"]},
            federatedIdentities=[{"identityProvider": "corp", "userId": "42", "userName": "emile"}],
            requiredActions=["VERIFY_EMAIL"],
        )
    )
    assert created["spec"]["username"] == "émile.zola-2"
    assert created["spec"]["password"]["temporary"] is True


@pytest.mark.parametrize("kind", ["KeycloakRealm", "KeycloakClient", "KeycloakUser"])
def test_observe_is_accepted_and_can_be_switched_to(api: Api, kind: str) -> None:
    obj = {
        "KeycloakRealm": lambda: sample("realm.yaml"),
        "KeycloakClient": client,
        "KeycloakUser": user,
    }[kind]()
    obj["spec"]["managementPolicy"] = "Observe"
    created = api.create(obj)
    assert created["spec"]["managementPolicy"] == "Observe"
    created["spec"]["managementPolicy"] = "Manage"
    managed = api.replace(created)
    assert managed["spec"]["managementPolicy"] == "Manage"
    managed["spec"]["managementPolicy"] = "Observe"
    observed = api.replace(managed)
    assert observed["spec"]["managementPolicy"] == "Observe"
    bad = copy.deepcopy(observed)
    bad["spec"]["managementPolicy"] = "ReadOnly"
    assert 'Unsupported value: "ReadOnly"' in api.rejected(lambda: api.replace(bad))
