"""A realm's key providers and other components.

Behaviour: a key provider made from a Secret's PEM signs the realm's tokens (the
token's kid is that key's in the realm's JWKS, and the JWKS modulus is the test's
public key), and a rotated PEM becomes the new signing key. Lifecycle on every
version: a generated key provider, the realm's default provider adopted by name,
and a client registration policy component with a value from a Secret; the second
pass writes nothing, drift is reverted, a changed Secret is sent again, Observe
names the difference and writes nothing, unlisted components this resource created
are removed while the default provider and a hand-made one stay, and user storage
is refused at admission; a 3072-bit generated key is made from 26.4 and refused by
version before. A PEM Keycloak cannot read is refused by field."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from kubernetes import client as k8s

from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import (
    ClientRepresentation,
    ComponentRepresentation,
    CredentialRepresentation,
    UserRepresentation,
)
from tests.support.controller_harness import (
    Kube,
    ReadyRealm,
    keycloak_requests,
    realm_object,
    running_controllers,
    wait_idle,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.keycloak_server import KeycloakEndpoint
from tests.support.logcapture import captured_logs

TIMEOUT = 90.0
KEY_PROVIDER = "org.keycloak.keys.KeyProvider"
REGISTRATION_POLICY = "org.keycloak.services.clientregistration.policy.ClientRegistrationPolicy"


def rsa_pem() -> tuple[str, int]:
    """A new RSA private key as PKCS#8 PEM, and its modulus."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return pem, key.public_key().public_numbers().n


def b64url_json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def b64url_int(value: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")


def token_header(endpoint: KeycloakEndpoint, realm: str, username: str, password: str) -> Any:
    """The JWS header of a direct-grant access token on the public client `login`."""
    response = requests.post(
        f"{endpoint.base_url}/realms/{realm}/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "login",
            "username": username,
            "password": password,
        },
        timeout=30,
    )
    response.raise_for_status()
    return b64url_json(response.json()["access_token"].split(".")[0])


def jwks_modulus(endpoint: KeycloakEndpoint, realm: str, kid: str) -> int | None:
    """The modulus of the realm's published key `kid` (None: not published)."""
    response = requests.get(
        f"{endpoint.base_url}/realms/{realm}/protocol/openid-connect/certs", timeout=30
    )
    response.raise_for_status()
    for key in response.json()["keys"]:
        if key.get("kid") == kid and key.get("kty") == "RSA":
            return b64url_int(key["n"])
    return None


def signing_modulus(endpoint: KeycloakEndpoint, realm: str) -> int | None:
    header = token_header(endpoint, realm, "alice", "alice-Secret-1")
    assert header["alg"] == "RS256", header
    return jwks_modulus(endpoint, realm, header["kid"])


def add_login_user(admin: KeycloakAdmin, realm: str) -> None:
    admin.clients.create(
        realm,
        ClientRepresentation(
            client_id="login", public_client=True, direct_access_grants_enabled=True
        ),
    )
    admin.users.create(
        realm,
        UserRepresentation(
            username="alice",
            enabled=True,
            email="alice@example.com",
            first_name="Alice",
            last_name="Example",
            email_verified=True,
            credentials=[
                CredentialRepresentation(type="password", value="alice-Secret-1", temporary=False)
            ],
        ),
    )


def test_a_key_from_a_secrets_pem_signs_the_realms_tokens(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("pem"))
    first_pem, first_modulus = rsa_pem()
    kube.secret(ns, "signing", {"tls.key": first_pem})
    with captured_logs() as logs, running_controllers(crds, [ns], resync_period=3.0):
        provider = {
            "name": "imported",
            "priority": 1000,
            "rsa": {"privateKeySecretRef": {"name": "signing", "key": "tls.key"}},
        }
        realm = ready_realm(ns, keyProviders=[provider], timeout=TIMEOUT).realm_name
        add_login_user(direct_admin, realm)

        # The token is signed with the key from the Secret: its kid is the JWKS key
        # whose modulus is the test's public key.
        assert signing_modulus(keycloak, realm) == first_modulus

        # A rotated PEM in the Secret becomes the new signing key.
        second_pem, second_modulus = rsa_pem()
        encoded = base64.b64encode(second_pem.encode()).decode()
        kube.core.patch_namespaced_secret("signing", ns, k8s.V1Secret(data={"tls.key": encoded}))
        wait_until(
            lambda: signing_modulus(keycloak, realm) == second_modulus,
            TIMEOUT,
            "the rotated key signs",
        )
        imported = [c for c in direct_admin.components.list(realm) if c.name == "imported"]
        assert len(imported) == 1, "the provider was updated in place, not duplicated"

    # Neither key reached the logs (debug level), the Events or the resource.
    serialize = kube.api_client.sanitize_for_serialization
    readable = {
        "logs": logs.getvalue(),
        "events": json.dumps(serialize(kube.core.list_namespaced_event(ns).items)),
        "realm": json.dumps(kube.get("keycloakrealms", ns, "realm")),
    }
    assert "controllers started" in readable["logs"], "the logs were captured"
    for pem in (first_pem, second_pem):
        body = pem.splitlines()[5]  # a line of the key itself
        leaked = [place for place, text in readable.items() if body in text]
        assert not leaked, f"a private key appears in {leaked}"
    assert "PRIVATE KEY" not in readable["realm"]


def component(admin: KeycloakAdmin, realm: str, name: str) -> ComponentRepresentation | None:
    found = [c for c in admin.components.list(realm) if c.name == name]
    return found[0] if found else None


def config_of(admin: KeycloakAdmin, realm: str, name: str) -> dict[str, list[str]]:
    found = component(admin, realm, name)
    return dict((found.config if found else None) or {})


def test_key_providers_and_components_lifecycle_on_every_version(
    crds: ControlPlaneEndpoint,
    keycloak_any_version: KeycloakEndpoint,
    make_admin: Callable[[KeycloakEndpoint], KeycloakAdmin],
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    endpoint = keycloak_any_version
    admin = make_admin(endpoint)
    kube = Kube(crds)
    ns = kube.namespace(unique_name("components"))
    trusted: dict[str, Any] = {
        "name": "trusted",
        "providerType": REGISTRATION_POLICY,
        "providerId": "trusted-hosts",
        "subType": "anonymous",
        "config": {
            "host-sending-registration-request-must-match": ["true"],
            "client-uris-must-match": ["true"],
        },
        # Not a secret to Keycloak (so it can be read back): proves the path of a value
        # from a Secret, and that a changed Secret is sent again.
        "configSecrets": {"trusted-hosts": {"name": "hosts", "key": "host"}},
    }
    providers: list[dict[str, Any]] = [
        {"name": "hmac-extra", "priority": 5, "hmacGenerated": {"algorithm": "HS384"}},
        # The realm's own default provider, listed by name: managed, never owned.
        {"name": "rsa-generated", "priority": 42, "rsaGenerated": {}},
    ]
    kube.secret(ns, "hosts", {"host": "apps.example.com"})
    with running_controllers(crds, [ns], resync_period=3.0) as manager:
        realm = ready_realm(
            ns, endpoint=endpoint, keyProviders=providers, components=[trusted], timeout=TIMEOUT
        ).realm_name
        hmac = component(admin, realm, "hmac-extra")
        assert hmac is not None and hmac.provider_id == "hmac-generated"
        assert hmac.provider_type == KEY_PROVIDER
        assert (hmac.config or {}).get("priority") == ["5"]
        assert (hmac.config or {}).get("algorithm") == ["HS384"]
        defaults = [c for c in admin.components.list(realm) if c.name == "rsa-generated"]
        assert len(defaults) == 1 and (defaults[0].config or {}).get("priority") == ["42"]
        policy = component(admin, realm, "trusted")
        assert policy is not None and policy.sub_type == "anonymous"
        assert (policy.config or {}).get("trusted-hosts") == ["apps.example.com"]
        # Behaviour: the HMAC key is one of the realm's keys, with its algorithm.
        keys = admin.transport.request_json("GET", f"/admin/realms/{realm}/keys")
        assert any(
            k.get("providerId") == hmac.id and k.get("algorithm") == "HS384" for k in keys["keys"]
        ), keys

        # The second pass of an in-sync realm writes nothing.
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        kube.patch("keycloakrealms", ns, "realm", {"metadata": {"annotations": {"poke": "1"}}})
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes

        # Drift behind the controller's back is reverted: a priority, a deleted component.
        drifted = hmac.model_copy(deep=True)
        drifted.config = {**(hmac.config or {}), "priority": ["1"]}
        admin.components.update(realm, hmac.id or "", drifted)
        admin.components.delete(realm, policy.id or "")
        wait_until(
            lambda: (
                config_of(admin, realm, "hmac-extra").get("priority") == ["5"]
                and config_of(admin, realm, "trusted").get("trusted-hosts") == ["apps.example.com"]
            ),
            TIMEOUT,
            "the drift reverted",
        )

        # A changed Secret is sent again.
        encoded = base64.b64encode(b"other.example.com").decode()
        kube.core.patch_namespaced_secret("hosts", ns, k8s.V1Secret(data={"host": encoded}))
        wait_until(
            lambda: (
                config_of(admin, realm, "trusted").get("trusted-hosts") == ["other.example.com"]
            ),
            TIMEOUT,
            "the rotated Secret sent",
        )

        # Observe names the difference and writes nothing.
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        watched = [{"name": "rsa-generated", "priority": 99, "rsaGenerated": {}}]
        observer = realm_object(
            "watcher", "kc", realm, managementPolicy="Observe", keyProviders=watched
        )
        kube.create("keycloakrealms", ns, observer)
        wait_until(
            lambda: (
                (kube.condition("keycloakrealms", ns, "watcher", "InSync") or {}).get("status")
                == "False"
            ),
            TIMEOUT,
            "Observe reports the drift",
        )
        message = kube.condition("keycloakrealms", ns, "watcher", "InSync")["message"]
        assert "keyProviders[rsa-generated]" in message
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes
        assert config_of(admin, realm, "rsa-generated").get("priority") == ["42"]
        kube.delete("keycloakrealms", ns, "watcher")

        # A change of a listed field applies in place.
        providers[0]["priority"] = 6
        kube.patch("keycloakrealms", ns, "realm", {"spec": {"keyProviders": providers}})
        wait_until(
            lambda: config_of(admin, realm, "hmac-extra").get("priority") == ["6"],
            TIMEOUT,
            "priority changed",
        )
        # A component made by hand is left alone when not listed.
        admin.components.create(
            realm,
            ComponentRepresentation(
                name="by-hand",
                provider_type=REGISTRATION_POLICY,
                provider_id="max-clients",
                sub_type="anonymous",
                parent_id=hmac.parent_id,
                config={"max-clients": ["7"]},
            ),
        )

        # Owned-only: unlisted components this resource created are removed; the
        # realm's default provider and the hand-made component stay.
        kube.patch("keycloakrealms", ns, "realm", {"spec": {"keyProviders": [], "components": []}})
        wait_until(
            lambda: (
                component(admin, realm, "hmac-extra") is None
                and component(admin, realm, "trusted") is None
            ),
            TIMEOUT,
            "owned components removed",
        )
        wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "ready")
        assert config_of(admin, realm, "rsa-generated").get("priority") == ["42"]
        assert config_of(admin, realm, "by-hand").get("max-clients") == ["7"]

        # User storage has its own field: refused at admission, with a pointer to it.
        ldap = {"name": "ldap", "providerType": "org.keycloak.storage.UserStorageProvider"}
        ldap["providerId"] = "ldap"
        with pytest.raises(k8s.ApiException) as refused:
            kube.patch("keycloakrealms", ns, "realm", {"spec": {"components": [ldap]}})
        assert refused.value.status == 422
        assert "spec.userFederation" in str(refused.value.body)

        # 3072-bit generated RSA keys exist from 26.4; older servers refuse by version.
        big = [{"name": "rsa-3072", "rsaGenerated": {"keySize": 3072}}]
        kube.patch("keycloakrealms", ns, "realm", {"spec": {"keyProviders": big}})
        if admin.adapter.older_than("26.4"):

            def refused_by_version() -> bool:
                cond = kube.condition("keycloakrealms", ns, "realm") or {}
                return "3072-bit" in (cond.get("message") or "")

            wait_until(refused_by_version, TIMEOUT, "3072 refused")
            assert kube.reason("keycloakrealms", ns, "realm") == "IncompatibleVersion"
            assert component(admin, realm, "rsa-3072") is None
        else:
            wait_until(
                lambda: config_of(admin, realm, "rsa-3072").get("keySize") == ["3072"],
                TIMEOUT,
                "a 3072-bit key",
            )


def test_a_pem_keycloak_cannot_read_is_refused_by_field(
    crds: ControlPlaneEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("badpem"))
    kube.secret(ns, "signing", {"tls.key": "not a pem"})
    with running_controllers(crds, [ns], resync_period=3.0):
        realm = ready_realm(ns, timeout=TIMEOUT).realm_name
        provider: dict[str, Any] = {
            "name": "imported",
            "rsa": {"privateKeySecretRef": {"name": "signing", "key": "tls.key"}},
        }
        # Exactly one kind per provider, at admission.
        both = {**provider, "rsaGenerated": {}}
        with pytest.raises(k8s.ApiException) as two_kinds:
            kube.patch("keycloakrealms", ns, "realm", {"spec": {"keyProviders": [both]}})
        assert two_kinds.value.status == 422 and "set exactly one of" in str(two_kinds.value.body)
        # A config key comes from the spec or from a Secret, not both.
        twice = {
            "name": "twice",
            "providerType": REGISTRATION_POLICY,
            "providerId": "trusted-hosts",
            "config": {"trusted-hosts": ["a.example.com"]},
            "configSecrets": {"trusted-hosts": {"name": "signing", "key": "tls.key"}},
        }
        with pytest.raises(k8s.ApiException) as both_ways:
            kube.patch("keycloakrealms", ns, "realm", {"spec": {"components": [twice]}})
        assert both_ways.value.status == 422 and "not both" in str(both_ways.value.body)
        kube.patch("keycloakrealms", ns, "realm", {"spec": {"keyProviders": [provider]}})

        def refused() -> bool:
            cond = kube.condition("keycloakrealms", ns, "realm") or {}
            return "keyProviders[imported]" in (cond.get("message") or "")

        wait_until(refused, TIMEOUT, "the bad key refused")
        assert kube.reason("keycloakrealms", ns, "realm") == "KeycloakRejected"
        assert "not a pem" not in json.dumps(kube.get("keycloakrealms", ns, "realm"))
        assert component(direct_admin, realm, "imported") is None
