"""SAML clients (`protocol: saml`): behaviour through the real login form, and the
lifecycle with drift on every version.

Behaviour (canonical version): the realm's IdP descriptor is served and the
credentials Secret points at it; an AuthnRequest over the HTTP-Redirect binding,
followed through Keycloak's login form with a user's password, comes back as an
auto-post form whose SAMLResponse is addressed to the client's ACS URL and signed
as the spec says (document and/or assertion, with the configured algorithm);
with client signatures required, an unsigned request is refused and one signed
by the certificate from the Secret is accepted.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import requests

from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import (
    ClientRepresentation,
    CredentialRepresentation,
    UserRepresentation,
)
from tests.support import saml
from tests.support.controller_harness import (
    Kube,
    ReadyRealm,
    client_object,
    keycloak_requests,
    running_controllers,
    wait_idle,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.keycloak_server import KeycloakEndpoint

TIMEOUT = 90.0
ENTITY = "https://sp.acme.test/metadata"
ACS = "https://sp.acme.test/saml/acs"
PASSWORD = "a-long-test-password"  # a throw-away test user


def make_user(admin: KeycloakAdmin, realm: str, username: str) -> None:
    admin.users.create(
        realm,
        UserRepresentation(
            username=username,
            enabled=True,
            email=f"{username}@acme.test",
            email_verified=True,
            first_name="Sam",
            last_name="Ell",
            credentials=[
                CredentialRepresentation(type="password", value=PASSWORD, temporary=False)
            ],
        ),
    )


def find(admin: KeycloakAdmin, realm: str, client_id: str) -> ClientRepresentation:
    client = admin.clients.find(realm, client_id)
    assert client is not None
    return client


def attrs(admin: KeycloakAdmin, realm: str, client_id: str) -> dict[str, str]:
    return find(admin, realm, client_id).attributes or {}


def generation_ready(kube: Kube, ns: str, name: str) -> Callable[[], bool]:
    return lambda: kube.is_ready("keycloakclients", ns, name)


def assertion_of(response: ET.Element) -> ET.Element:
    assertion = response.find("saml:Assertion", saml.NS)
    assert assertion is not None, ET.tostring(response)[:500]
    return assertion


def test_saml_login_is_signed_as_configured(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("saml"))
    sp_keys = saml.key_pair("sp.acme.test")
    kube.secret(ns, "sp-cert", {"tls.crt": sp_keys.certificate_pem})
    with running_controllers(crds, [ns]):
        realm = ready_realm(ns).realm_name
        make_user(direct_admin, realm, "sam")
        spec: dict[str, Any] = {
            "protocol": "saml",
            "redirectUris": ["https://sp.acme.test/*"],
            "saml": {
                "assertionConsumerService": {"post": ACS},
                "signDocuments": True,
                "signAssertions": False,
                "signatureAlgorithm": "RSA_SHA512",
                "clientSignatureRequired": False,
                "nameIdFormat": "email",
                "forceNameIdFormat": True,
            },
        }
        kube.create("keycloakclients", ns, client_object("sp", "realm", ENTITY, **spec))
        wait_until(generation_ready(kube, ns, "sp"), TIMEOUT, "SAML client Ready")

        # The credentials Secret points at the realm's IdP metadata, which is served.
        secret = kube.secret_data(ns, "sp-credentials") or {}
        issuer = f"{keycloak.base_url}/realms/{realm}"
        assert secret["client-id"] == ENTITY
        assert secret["issuer"] == issuer
        assert secret["saml-idp-metadata-url"] == f"{issuer}/protocol/saml/descriptor"
        assert "client-secret" not in secret
        served_xml = requests.get(secret["saml-idp-metadata-url"], timeout=30).text
        descriptor = ET.fromstring(served_xml)  # noqa: S314 - the test's own Keycloak
        assert descriptor.get("entityID") == issuer
        served = {
            c.text
            for c in descriptor.iterfind(
                ".//md:KeyDescriptor[@use='signing']//ds:X509Certificate", saml.NS
            )
        }
        assert secret["saml-idp-signing-certificate"] in served

        # Login: the document is signed (RSA-SHA512), the assertion is not.
        request = saml.authn_request(ENTITY, ACS, secret["saml-idp-sso-url"])
        login = saml.log_in(saml.redirect_url(secret["saml-idp-sso-url"], request), "sam", PASSWORD)
        assert login.response is not None, saml.error_text(login.page)
        assert login.action == ACS
        assert login.response.get("Destination") == ACS
        document = saml.signature_of(login.response)
        assert document is not None
        assert saml.signature_algorithm(document) == saml.RSA_SHA512
        certificate = document.find(".//ds:X509Certificate", saml.NS)
        assert (
            certificate is not None and certificate.text == secret["saml-idp-signing-certificate"]
        )
        assertion = assertion_of(login.response)
        assert saml.signature_of(assertion) is None
        name_id = assertion.find("saml:Subject/saml:NameID", saml.NS)
        assert name_id is not None and name_id.text == "sam@acme.test"

        # Swap: the assertion signed (RSA-SHA256), the document not.
        kube.patch(
            "keycloakclients",
            ns,
            "sp",
            {
                "spec": {
                    "saml": {
                        "signDocuments": False,
                        "signAssertions": True,
                        "signatureAlgorithm": "RSA_SHA256",
                    }
                }
            },
        )
        wait_until(generation_ready(kube, ns, "sp"), TIMEOUT, "SAML client Ready again")
        login = saml.log_in(saml.redirect_url(secret["saml-idp-sso-url"], request), "sam", PASSWORD)
        assert login.response is not None, saml.error_text(login.page)
        assert saml.signature_of(login.response) is None
        signed = saml.signature_of(assertion_of(login.response))
        assert signed is not None
        assert saml.signature_algorithm(signed) == saml.RSA_SHA256

        # Client signatures required, checked with the certificate from the Secret.
        kube.patch(
            "keycloakclients",
            ns,
            "sp",
            {
                "spec": {
                    "saml": {
                        "clientSignatureRequired": True,
                        "signingCertificateSecretRef": {"name": "sp-cert", "key": "tls.crt"},
                    }
                }
            },
        )
        wait_until(generation_ready(kube, ns, "sp"), TIMEOUT, "SAML client Ready again")
        stored = attrs(direct_admin, realm, ENTITY)
        assert stored["saml.client.signature"] == "true"
        assert stored["saml.signing.certificate"] == sp_keys.certificate_body
        unsigned = saml.log_in(
            saml.redirect_url(secret["saml-idp-sso-url"], request), "sam", PASSWORD
        )
        assert unsigned.response is None
        signed_url = saml.redirect_url(secret["saml-idp-sso-url"], request, signer=sp_keys)
        accepted = saml.log_in(signed_url, "sam", PASSWORD)
        assert accepted.response is not None, saml.error_text(accepted.page)
        assert accepted.response.get("Destination") == ACS
        other = saml.key_pair("intruder.acme.test")
        forged = saml.log_in(
            saml.redirect_url(secret["saml-idp-sso-url"], request, signer=other), "sam", PASSWORD
        )
        assert forged.response is None


MAPPERS: list[dict[str, Any]] = [
    {
        "name": "roles",
        "protocolMapper": "saml-role-list-mapper",
        "config": {"attribute.name": "Role", "single": "true"},
    },
    {
        "name": "mail",
        "protocolMapper": "saml-user-property-mapper",
        "config": {"user.attribute": "email", "attribute.name": "mail"},
    },
    {
        "name": "dept",
        "protocolMapper": "saml-user-attribute-mapper",
        "config": {"user.attribute": "department", "attribute.name": "dept"},
    },
    {
        "name": "tenant",
        "protocolMapper": "saml-hardcode-attribute-mapper",
        "config": {"attribute.name": "tenant", "attribute.value": "acme"},
    },
]


def test_saml_client_lifecycle_on_every_version(
    crds: ControlPlaneEndpoint,
    keycloak_any_version: KeycloakEndpoint,
    make_admin: Callable[[KeycloakEndpoint], KeycloakAdmin],
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    endpoint = keycloak_any_version
    admin = make_admin(endpoint)
    kube = Kube(crds)
    ns = kube.namespace(unique_name("samllife"))
    enc = saml.key_pair("enc.sp.acme.test")
    kube.secret(ns, "sp-enc", {"cert": enc.certificate_pem})
    with running_controllers(crds, [ns], resync_period=3.0) as manager:
        realm = ready_realm(ns, endpoint=endpoint, timeout=TIMEOUT).realm_name
        spec: dict[str, Any] = {
            "protocol": "saml",
            "description": "A service provider",
            "redirectUris": ["https://sp.acme.test/*"],
            "protocolMappers": MAPPERS,
            "saml": {
                "assertionConsumerService": {
                    "post": ACS,
                    "redirect": "https://sp.acme.test/saml/acs/redirect",
                    "artifact": "https://sp.acme.test/saml/acs/artifact",
                },
                "singleLogoutService": {
                    "post": "https://sp.acme.test/saml/slo",
                    "redirect": "https://sp.acme.test/saml/slo/redirect",
                },
                "masterSamlProcessingUrl": "https://sp.acme.test/saml",
                "idpInitiatedSsoUrlName": "acme-sp",
                "forcePostBinding": True,
                "frontChannelLogout": True,
                "nameIdFormat": "persistent",
                "forceNameIdFormat": True,
                "signDocuments": True,
                "signAssertions": True,
                "signatureAlgorithm": "RSA_SHA256",
                "canonicalizationMethod": "Inclusive",
                "signingKeyName": "CERT_SUBJECT",
                "clientSignatureRequired": False,
                "encryptAssertions": True,
                "encryptionCertificateSecretRef": {"name": "sp-enc", "key": "cert"},
            },
        }
        kube.create("keycloakclients", ns, client_object("sp", "realm", ENTITY, **spec))
        wait_until(generation_ready(kube, ns, "sp"), TIMEOUT, "SAML client Ready")
        # The second pass of an in-sync client writes nothing to Keycloak.
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        kube.patch("keycloakclients", ns, "sp", {"metadata": {"annotations": {"poke": "1"}}})
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes
        client = find(admin, realm, ENTITY)
        assert client.protocol == "saml"
        assert client.admin_url == "https://sp.acme.test/saml"
        assert client.frontchannel_logout is True
        stored = client.attributes or {}
        expected = {
            "saml_assertion_consumer_url_post": ACS,
            "saml_assertion_consumer_url_redirect": "https://sp.acme.test/saml/acs/redirect",
            "saml_artifact_binding_url": "https://sp.acme.test/saml/acs/artifact",
            "saml_single_logout_service_url_post": "https://sp.acme.test/saml/slo",
            "saml_single_logout_service_url_redirect": "https://sp.acme.test/saml/slo/redirect",
            "saml_idp_initiated_sso_url_name": "acme-sp",
            "saml.force.post.binding": "true",
            "saml_name_id_format": "persistent",
            "saml_force_name_id_format": "true",
            "saml.server.signature": "true",
            "saml.assertion.signature": "true",
            "saml.signature.algorithm": "RSA_SHA256",
            "saml_signature_canonicalization_method": (
                "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
            ),
            "saml.server.signature.keyinfo.xmlSigKeyInfoKeyNameTransformer": "CERT_SUBJECT",
            "saml.client.signature": "false",
            "saml.encrypt": "true",
            "saml.encryption.certificate": enc.certificate_body,
        }
        assert {k: stored.get(k) for k in expected} == expected
        mappers = {m.name: m for m in client.protocol_mappers or []}
        assert set(mappers) == {"roles", "mail", "dept", "tenant"}
        assert {m.protocol for m in mappers.values()} == {"saml"}
        assert (mappers["tenant"].config or {})["attribute.value"] == "acme"

        # A change: another name id format and ACS; a mapper unlisted is removed.
        kube.patch(
            "keycloakclients",
            ns,
            "sp",
            {
                "spec": {
                    "protocolMappers": MAPPERS[:3],
                    "saml": {
                        "nameIdFormat": "email",
                        "assertionConsumerService": {"post": "https://sp.acme.test/acs2"},
                    },
                }
            },
        )
        wait_until(generation_ready(kube, ns, "sp"), TIMEOUT, "changed and Ready")
        client = find(admin, realm, ENTITY)
        assert (client.attributes or {})["saml_name_id_format"] == "email"
        assert (client.attributes or {})["saml_assertion_consumer_url_post"] == (
            "https://sp.acme.test/acs2"
        )
        assert {m.name for m in client.protocol_mappers or []} == {"roles", "mail", "dept"}

        # Drift by hand: signatures off, another algorithm; the controller puts them back.
        drifted = find(admin, realm, ENTITY)
        drifted.attributes = {
            **(drifted.attributes or {}),
            "saml.server.signature": "false",
            "saml.signature.algorithm": "RSA_SHA1",
        }
        admin.clients.update(realm, drifted.id or "", drifted)
        wait_until(
            lambda: (
                attrs(admin, realm, ENTITY).get("saml.server.signature") == "true"
                and attrs(admin, realm, ENTITY).get("saml.signature.algorithm") == "RSA_SHA256"
            ),
            TIMEOUT,
            "the drift reverted",
        )

        # A rotated certificate in the Secret is sent again.
        rotated = saml.key_pair("enc2.sp.acme.test")
        kube.core.patch_namespaced_secret(
            "sp-enc", ns, {"stringData": {"cert": rotated.certificate_pem}}
        )
        wait_until(
            lambda: (
                attrs(admin, realm, ENTITY).get("saml.encryption.certificate")
                == rotated.certificate_body
            ),
            TIMEOUT,
            "the rotated certificate in Keycloak",
        )

        # Observe: a second resource on the same client reports what differs and writes
        # nothing to Keycloak.
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        watcher = client_object(
            "watcher",
            "realm",
            ENTITY,
            protocol="saml",
            managementPolicy="Observe",
            deletionPolicy="Retain",
            saml={"nameIdFormat": "transient", "signatureAlgorithm": "RSA_SHA256"},
        )
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
        assert "attributes" in in_sync
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes
        assert attrs(admin, realm, ENTITY)["saml_name_id_format"] == "email"
        kube.delete("keycloakclients", ns, "watcher")
        wait_until(lambda: kube.get("keycloakclients", ns, "watcher") is None, TIMEOUT, "gone")
        assert admin.clients.find(realm, ENTITY) is not None

        # Deleting the resource deletes the client.
        kube.delete("keycloakclients", ns, "sp")
        wait_until(lambda: kube.get("keycloakclients", ns, "sp") is None, TIMEOUT, "deleted")
        assert admin.clients.find(realm, ENTITY) is None
