"""No secret value the controllers handle ever shows up where people and tools can read it.

Collected after the run (values, and their base64 forms): the Keycloak admin
password, a wrong admin password (the failing login path), the SMTP password,
a bring-your-own client secret, the client secret Keycloak generated, every
access and refresh token Keycloak gave the controllers' admin clients (recorded
at the token endpoint), and the controller's own ServiceAccount token; for the
realm's login sections: an LDAP bind credential (a working one and a wrong one
whose bind fails), an identity provider's client secret before and after a
rotation, and a key provider's PEM private key (each line of its base64 body).
Searched: the controllers' log output at debug level (the in-process manager's
structlog and stdlib output; a `keycloak-controller run` subprocess's stdout
and stderr), every Event in the test's namespaces, every custom resource there
(status included), and the /metrics page. Any JWT-shaped string in the logs
fails the test too, whether or not it was recorded.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from keycloak_controller.api import API_VERSION
from keycloak_controller.controllers.realm_identity_providers import DIGEST_PREFIX
from keycloak_controller.keycloak.client import KeycloakAdmin
from tests.support import rbac
from tests.support.config import REPO_ROOT
from tests.support.controller_harness import (
    GROUP_VERSION,
    Kube,
    ReadyRealm,
    client_object,
    controller_run,
    keycloak_object,
    realm_object,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.keycloak_server import KeycloakEndpoint, password_grant_token
from tests.support.ldap_server import LdapEndpoint
from tests.support.logcapture import captured_logs
from tests.support.process import free_port
from tests.support.smtp import HOST, RecordingSmtpServer

TIMEOUT = 60.0
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")


def forms(value: str) -> set[str]:
    """The value as written and base64-encoded (as it would be if a Secret leaked)."""
    encoded = base64.b64encode(value.encode()).decode()
    return {value, encoded, encoded.rstrip("=")}


def leaks(values: Iterable[str], where: dict[str, str]) -> list[str]:
    found = []
    for value in values:
        assert len(value) >= 12, "a short value would match by accident"
        for form in forms(value):
            found += [
                f"{place} contains a secret ({value[:4]}...)"
                for place, text in where.items()
                if form in text
            ]
    found += [
        f"{place} contains a JWT"
        for place, text in where.items()
        if place.startswith("log") and JWT.search(text)
    ]
    return found


def namespace_dump(kube: Kube, namespaces: Iterable[str]) -> dict[str, str]:
    """Every Event and every custom resource (status included) of `namespaces`, as JSON."""
    out: dict[str, str] = {}
    serialize = kube.api_client.sanitize_for_serialization
    for ns in namespaces:
        events = kube.core.list_namespaced_event(ns).items
        out[f"events in {ns}"] = json.dumps(serialize(events))
        for plural in ("keycloaks", "keycloakrealms", "keycloakclients", "keycloakusers"):
            listed = kube.custom.list_namespaced_custom_object(*GROUP_VERSION, ns, plural)
            out[f"{plural} in {ns}"] = json.dumps(listed)
    return out


class SmtpProbe:
    """Makes Keycloak log in to the realm's SMTP server with the password it has stored.

    `POST /admin/realms/{realm}/testSMTPConnection` sends a test email with the
    settings it is given; a password of `**********` (what Keycloak answers for the
    stored one) makes it use the stored password, as long as host, port and user
    are the stored ones. The email goes to the calling admin, who must have an
    address, so a realm-local admin with an email and manage-realm calls it.
    """

    USER = "smtp-prober"

    def __init__(self, admin: KeycloakAdmin, keycloak: KeycloakEndpoint, realm: str) -> None:
        self.base_url, self.realm, self.admin = keycloak.base_url, realm, admin
        self.password = secrets.token_urlsafe(18)
        admin.transport.request_json(
            "POST",
            f"/admin/realms/{realm}/users",
            json={
                "username": self.USER,
                "enabled": True,
                "email": f"{self.USER}@example.com",
                "emailVerified": True,
                "firstName": "SMTP",
                "lastName": "Prober",
                "credentials": [{"type": "password", "value": self.password, "temporary": False}],
            },
        )
        user = self.get(f"users?username={self.USER}&exact=true")[0]
        management = self.get("clients?clientId=realm-management")[0]
        role = self.get(f"clients/{management['id']}/roles/manage-realm")
        admin.transport.request_json(
            "POST",
            f"/admin/realms/{realm}/users/{user['id']}/role-mappings/clients/{management['id']}",
            json=[role],
        )

    def get(self, path: str) -> Any:
        return self.admin.transport.request_json("GET", f"/admin/realms/{self.realm}/{path}")

    def send(self) -> None:
        token = password_grant_token(self.base_url, self.realm, self.USER, self.password)
        stored = self.admin.transport.request_json("GET", f"/admin/realms/{self.realm}")
        assert isinstance(stored, dict)
        settings = stored["smtpServer"]
        assert settings["password"] == "**********", "Keycloak no longer masks the password"
        sent = requests.post(
            f"{self.base_url}/admin/realms/{self.realm}/testSMTPConnection",
            json=settings,
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        assert sent.status_code == 204, sent.text


def test_no_secret_reaches_logs_events_status_or_metrics(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("ns"))
    realm_name = unique_name("realm")
    wrong_password = secrets.token_urlsafe(18)
    smtp_password = secrets.token_urlsafe(18)
    byo_secret = secrets.token_urlsafe(24)
    kube.secret(
        ns, "admin", {"username": keycloak.admin_username, "password": keycloak.admin_password}
    )
    kube.secret(ns, "wrong", {"username": keycloak.admin_username, "password": wrong_password})
    kube.secret(ns, "smtp", {"password": smtp_password})
    kube.secret(ns, "byo", {"secret": byo_secret})
    kube.create("keycloaks", ns, keycloak_object("kc", keycloak, "admin"))
    kube.create("keycloaks", ns, keycloak_object("kc-wrong", keycloak, "wrong"))
    mail = RecordingSmtpServer().start()  # Keycloak logs in here: it proves the password
    smtp = {
        "host": HOST,
        "port": mail.port,
        "from": "noreply@example.com",
        "auth": {"username": "mailer", "passwordSecretRef": {"name": "smtp", "key": "password"}},
    }
    kube.create("keycloakrealms", ns, realm_object("realm", "kc", realm_name, smtp=smtp))
    kube.create(
        "keycloakclients",
        ns,
        client_object("app", "realm", "app", flows={"serviceAccounts": True}),
    )
    byo = {"existingSecret": {"name": "byo", "key": "secret"}}
    kube.create("keycloakclients", ns, client_object("byo", "realm", "byo", credentialsSecret=byo))
    user_password = secrets.token_urlsafe(18)
    kube.secret(ns, "carol", {"password": user_password})
    password = {"secretRef": {"name": "carol", "key": "password"}, "mode": "Managed"}
    carol = {"realmRef": {"name": "realm"}, "username": "carol", "password": password}
    kube.create(
        "keycloakusers",
        ns,
        {
            "apiVersion": API_VERSION,
            "kind": "KeycloakUser",
            "metadata": {"name": "carol"},
            "spec": carol,
        },
    )

    try:
        with captured_logs() as logs, controller_run(crds, [ns], record_tokens=True) as run:
            for name in ("app", "byo"):
                wait_until(lambda n=name: kube.is_ready("keycloakclients", ns, n), TIMEOUT, name)
            wait_until(
                lambda: kube.reason("keycloaks", ns, "kc-wrong") == "AuthenticationFailed",
                TIMEOUT,
                "the wrong password refused",
            )
            wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "realm")
            wait_until(lambda: kube.is_ready("keycloakusers", ns, "carol"), TIMEOUT, "user")
            probe = SmtpProbe(direct_admin, keycloak, realm_name)

            def password_keycloak_sends() -> str:
                seen = len(mail.logins)
                probe.send()
                return mail.wait_for_logins(seen + 1, TIMEOUT)[-1].password

            assert password_keycloak_sends() == smtp_password
            # Edit the SMTP password: the controller has to send the new one to Keycloak.
            smtp_password_2 = secrets.token_urlsafe(18)
            kube.core.patch_namespaced_secret(
                "smtp", ns, {"stringData": {"password": smtp_password_2}}
            )
            wait_until(
                lambda: password_keycloak_sends() == smtp_password_2,
                TIMEOUT,
                "Keycloak to log in to the SMTP server with the new password",
            )
            assert password_keycloak_sends() == smtp_password_2
            metrics = requests.get(run.metrics_url, timeout=10).text
            assert run.identity is not None
            service_account_token = run.identity.token

        app = direct_admin.clients.find(realm_name, "app")
        byo_client = direct_admin.clients.find(realm_name, "byo")
        assert app is not None and app.id and byo_client is not None and byo_client.id
        generated = direct_admin.clients.get_secret(realm_name, app.id).value
        assert (
            generated
            and (kube.secret_data(ns, "app-credentials") or {})["client-secret"] == generated
        )
        # The bring-your-own value really is the client's secret in Keycloak.
        assert direct_admin.clients.get_secret(realm_name, byo_client.id).value == byo_secret
        tokens = run.tokens.tokens
        assert tokens, "no token was recorded: the scan would prove nothing about tokens"

        # Both metric families on the running manager's /metrics.
        assert f'keycloak_client_requests_total{{instance="{ns}/kc"' in metrics
        assert f'keycloak_client_circuit_breaker_state{{instance="{ns}/kc"}}' in metrics
        assert 'controller_runtime_reconcile_total{controller="keycloakclient"' in metrics

        text = logs.getvalue()
        # The capture saw the controllers at work (else a clean scan proves nothing).
        assert f'"key": "{ns}/app"' in text and "caches synced" in text
        places = {"logs": text, "/metrics": metrics, **namespace_dump(kube, [ns])}
        assert any("AuthenticationFailed" in v for k, v in places.items() if "events" in k)
        values = {
            keycloak.admin_password,
            wrong_password,
            smtp_password,
            smtp_password_2,
            user_password,
            byo_secret,
            generated,
            service_account_token,
            *tokens,
        }
        # The detector itself finds a planted value, encoded or not, and a bare JWT.
        planted = {
            "logs": f"x {forms(byo_secret).pop()} y",
            "e": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2ln",
        }
        assert leaks({byo_secret}, planted) and leaks(set(), {"logs": planted["e"]})
        assert leaks(values, places) == []

        # Every login until the rotation reached Keycloak had the old password, every
        # one after it the new: Keycloak never went back to the old one.
        passwords = [login.password for login in mail.logins]
        assert {login.username for login in mail.logins} == {"mailer"}
        rotated = passwords.index(smtp_password_2)
        assert set(passwords[:rotated]) == {smtp_password}
        assert set(passwords[rotated:]) == {smtp_password_2}
        assert len(mail.messages) == len(passwords)  # each login sent its test email
    finally:
        mail.stop()
        direct_admin.realms.delete(realm_name)


def test_the_cli_process_logs_no_secret(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
    tmp_path: Path,
) -> None:
    """`python -m keycloak_controller.cli run` as the ServiceAccount; scan its stdout/stderr."""
    kube = Kube(crds)
    ns = kube.namespace(unique_name("ns"))
    identity = rbac.controller_identity(crds)
    kubeconfig = identity.kubeconfig(tmp_path / "kubeconfig")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYCLOAK_CONTROLLER_")}
    env.pop("KUBECONFIG", None)
    out_path, err_path = tmp_path / "stdout", tmp_path / "stderr"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "keycloak_controller.cli", "run",
                "--kubeconfig", str(kubeconfig),
                "--namespaces", ns,
                "--no-leader-elect",
                "--metrics-bind-address", f"127.0.0.1:{port}",
                "--log-level", "debug",
            ],
            stdout=out, stderr=err, env=env, cwd=REPO_ROOT,
        )  # fmt: skip
    try:
        realm_name = ready_realm(ns).realm_name
        kube.create("keycloakclients", ns, client_object("app", "realm", "app"))
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "app"), TIMEOUT, "client Ready")
        metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        assert f'keycloak_client_requests_total{{instance="{ns}/kc"' in metrics
        assert 'controller_runtime_reconcile_total{controller="keycloakrealm"' in metrics
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    assert code == 0, err_path.read_text()[-3000:]
    output = {"logs (stdout)": out_path.read_text(), "logs (stderr)": err_path.read_text()}
    assert "caches synced" in output["logs (stderr)"]
    assert f"{ns}/app" in output["logs (stderr)"]
    app = direct_admin.clients.find(realm_name, "app")
    assert app is not None and app.id
    generated = direct_admin.clients.get_secret(realm_name, app.id).value
    assert generated
    values = {keycloak.admin_password, identity.token, generated}
    assert leaks(values, {**output, "/metrics": metrics}) == []
    direct_admin.realms.delete(realm_name)


def rsa_private_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def ldap_federation(ldap: LdapEndpoint, secret: str) -> dict[str, Any]:
    provider = {
        "name": "corp",
        "connectionUrl": ldap.url,
        "bindDn": ldap.admin_dn,
        "bindCredentialSecretRef": {"name": secret, "key": "password"},
        "usersDn": ldap.people_dn,
        "vendor": "other",
        "editMode": "READ_ONLY",
        "usernameAttribute": "uid",
        "rdnAttribute": "uid",
        "uuidAttribute": "entryUUID",
        "userObjectClasses": ["inetOrgPerson", "organizationalPerson"],
        "mappers": [
            {
                "name": "username",
                "userAttribute": {"userModelAttribute": "username", "ldapAttribute": "uid"},
            }
        ],
    }
    return {"ldap": [provider]}


def test_login_section_secrets_reach_keycloak_and_nothing_else(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    direct_admin: KeycloakAdmin,
    ldap: LdapEndpoint,
    unique_name: Callable[[str], str],
) -> None:
    """LDAP bind credentials, an identity provider's client secret and a PEM signing key,
    each rotated or refused once, never show in logs, Events, resources or /metrics."""
    kube = Kube(crds)
    ns = kube.namespace(unique_name("ns"))
    realm_name, bad_realm_name = unique_name("realm"), unique_name("badbind")
    wrong_bind = secrets.token_urlsafe(18)
    idp_secret, idp_secret_2 = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    pem = rsa_private_pem()
    pem_lines = pem.splitlines()[1:-1]  # the base64 body, line by line
    kube.secret(
        ns, "admin", {"username": keycloak.admin_username, "password": keycloak.admin_password}
    )
    kube.secret(ns, "ldap", {"password": ldap.admin_password})
    kube.secret(ns, "wrong-bind", {"password": wrong_bind})
    kube.secret(ns, "idp", {"secret": idp_secret})
    kube.secret(ns, "signing", {"tls.key": pem})
    kube.create("keycloaks", ns, keycloak_object("kc", keycloak, "admin"))
    idp = {
        "alias": "corp-sso",
        "providerId": "oidc",
        "oidc": {
            "authorizationUrl": "https://sso.example.test/auth",
            "tokenUrl": "https://sso.example.test/token",
            "clientId": "keycloak",
            "clientSecretRef": {"name": "idp", "key": "secret"},
        },
    }
    key = {
        "name": "imported",
        "rsa": {"privateKeySecretRef": {"name": "signing", "key": "tls.key"}},
    }
    spec = {
        "userFederation": ldap_federation(ldap, "ldap"),
        "identityProviders": [idp],
        "keyProviders": [key],
    }
    kube.create("keycloakrealms", ns, realm_object("realm", "kc", realm_name, **spec))
    bad = {"userFederation": ldap_federation(ldap, "wrong-bind")}
    kube.create("keycloakrealms", ns, realm_object("bad", "kc", bad_realm_name, **bad))

    def idp_digest() -> str | None:
        stored = direct_admin.identity_providers.get(realm_name, "corp-sso")
        return (stored.config or {}).get(DIGEST_PREFIX + "clientSecret")

    try:
        with captured_logs() as logs, controller_run(crds, [ns], resync_period=3.0) as run:
            wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "realm")
            wait_until(
                lambda: kube.reason("keycloakrealms", ns, "bad") == "LdapBindFailed",
                TIMEOUT,
                "the wrong bind credential refused",
            )
            first_digest = idp_digest()
            assert first_digest
            kube.core.patch_namespaced_secret("idp", ns, {"stringData": {"secret": idp_secret_2}})
            wait_until(
                lambda: idp_digest() not in (None, first_digest), TIMEOUT, "the rotated secret"
            )
            metrics = requests.get(run.metrics_url, timeout=10).text

        stored = direct_admin.identity_providers.get(realm_name, "corp-sso")
        assert (stored.config or {}).get("clientSecret") == "**********"
        text = logs.getvalue()
        assert f'"key": "{ns}/realm"' in text, "the capture did not see the realm reconciled"
        places = {"logs": text, "/metrics": metrics, **namespace_dump(kube, [ns])}
        assert any("LdapBindFailed" in v for k, v in places.items() if "keycloakrealms" in k)
        values = {
            keycloak.admin_password,
            ldap.admin_password,
            wrong_bind,
            idp_secret,
            idp_secret_2,
            *(line for line in pem_lines if len(line) >= 12),
        }
        assert leaks(values, places) == []
    finally:
        for name in (realm_name, bad_realm_name):
            with contextlib.suppress(Exception):
                direct_admin.realms.delete(name)
