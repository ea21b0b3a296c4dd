"""One KeycloakAdmin per Keycloak custom resource, shared by every reconcile.

Why a registry: tokens, HTTP pools and the circuit breaker must be reused
across reconciles (a login per reconcile floods Keycloak, provider-keycloak#175)
and must be safe under concurrent workers (provider-keycloak#555). The entry is
keyed by the Keycloak CR and carries a fingerprint of everything that shapes
the connection (URL, grant, credential values, CA bundle, TLS flag); a changed
fingerprint closes the old client and builds a new one. Credential values only
enter the fingerprint as a SHA-256 digest.
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from keycloak_controller.api import Keycloak
from keycloak_controller.keycloak.auth import ClientCredentials, Credentials, PasswordCredentials
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.retry import RetryPolicy
from keycloak_controller.keycloak.transport import TransportSettings

from . import managed_connection
from .reasons import INVALID_SPEC, Problem
from .secrets import SecretReader

# Reconciles retry with their own backoff; a worker should not sit in
# transport retries for 30 s while Keycloak is down. The limits protect Keycloak
# from a burst of reconciles (a cold start of thousands of objects) while leaving
# room for every worker: 16 requests in flight, 200 per second sustained.
CONTROLLER_TRANSPORT = TransportSettings(
    retry=RetryPolicy(max_attempts=3, max_total=8.0, max_wait=2.0),
    breaker_reset_timeout=5.0,
    pool_size=16,
    max_concurrency=16,
    requests_per_second=200.0,
    burst=50,
)


@dataclass(frozen=True)
class ConnectionSpec:
    """Everything that decides how to talk to one Keycloak (secret values masked)."""

    url: str
    credentials: Credentials
    ca_pem: str | None
    insecure: bool
    fingerprint: str


def instance_label(keycloak: Keycloak) -> str:
    """The `instance` label of the Keycloak client metrics for this CR."""
    return f"{keycloak.metadata.namespace}/{keycloak.metadata.name}"


def connection_spec(
    keycloak: Keycloak, reader: SecretReader, addresses: Mapping[str, str] | None = None
) -> ConnectionSpec:
    """Resolve the CR and its Secrets into a ConnectionSpec (raises Problem).

    Managed mode connects exactly like external mode, to its Service's URL and,
    unless spec.auth is set, as its bootstrap admin (managed_connection.py).
    """
    spec = keycloak.spec
    namespace = keycloak.metadata.namespace
    url, auth = managed_connection.target(keycloak, addresses or {})
    credentials: Credentials
    digest = hashlib.sha256()
    if auth.password_grant is not None:
        grant = auth.password_grant
        username = reader.value(namespace, grant.username_secret_ref)
        password = reader.value(namespace, grant.password_secret_ref)
        credentials = PasswordCredentials(
            username.reveal(), password, realm=auth.realm, client_id=grant.client_id
        )
        for part in ("password", grant.client_id, username.reveal(), password.reveal()):
            digest.update(part.encode() + b"\0")
    elif auth.client_credentials is not None:
        cc = auth.client_credentials
        secret = reader.value(namespace, cc.client_secret_ref)
        credentials = ClientCredentials(cc.client_id, secret, realm=auth.realm)
        for part in ("client", cc.client_id, secret.reveal()):
            digest.update(part.encode() + b"\0")
    else:
        raise Problem(INVALID_SPEC, "spec.auth needs passwordGrant or clientCredentials")
    ca_pem: str | None = None
    if spec.ca_bundle is not None:
        if spec.ca_bundle.secret_key_ref is not None:
            ca_pem = reader.value(namespace, spec.ca_bundle.secret_key_ref).reveal()
        elif spec.ca_bundle.config_map_key_ref is not None:
            ca_pem = reader.config_map_value(namespace, spec.ca_bundle.config_map_key_ref)
    for part in (url, auth.realm, ca_pem or "", str(spec.insecure_skip_verify)):
        digest.update(part.encode() + b"\0")
    return ConnectionSpec(url, credentials, ca_pem, spec.insecure_skip_verify, digest.hexdigest())


def _ca_file(pem: str) -> str:
    """requests wants a path: one file per distinct bundle, named by its digest."""
    name = hashlib.sha256(pem.encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"keycloak-controller-ca-{name}.pem"
    if not path.exists():
        path.write_text(pem)
    return str(path)


@dataclass
class _Entry:
    fingerprint: str
    admin: KeycloakAdmin


class ConnectionRegistry:
    def __init__(self, settings: TransportSettings = CONTROLLER_TRANSPORT) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        # Managed mode's in-cluster URLs rewritten by prefix, for a controller that
        # runs outside the cluster (a test maps a Service to a local port).
        self.addresses: dict[str, str] = {}

    def admin_for(self, keycloak: Keycloak, reader: SecretReader) -> KeycloakAdmin:
        """The shared client for this Keycloak CR, rebuilt if its connection changed."""
        key = instance_label(keycloak)
        spec = connection_spec(keycloak, reader, self.addresses)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.fingerprint == spec.fingerprint:
                return entry.admin
            verify: bool | str = True
            if spec.insecure:
                verify = False
            elif spec.ca_pem is not None:
                verify = _ca_file(spec.ca_pem)
            admin = KeycloakAdmin(
                spec.url, spec.credentials, settings=self.settings, instance=key, verify=verify
            )
            self._entries[key] = _Entry(spec.fingerprint, admin)
        if entry is not None:
            entry.admin.close()
        return admin

    def cached(self, keycloak: Keycloak) -> KeycloakAdmin | None:
        """The last client built for this CR, even if its Secrets are gone (deletion)."""
        with self._lock:
            entry = self._entries.get(instance_label(keycloak))
            return entry.admin if entry is not None else None

    def forget(self, key: str) -> None:
        """Close and drop the client of the Keycloak CR `namespace/name`."""
        with self._lock:
            entry = self._entries.pop(key, None)
        if entry is not None:
            entry.admin.close()

    def close(self) -> None:
        with self._lock:
            entries = list(self._entries.values())
            self._entries.clear()
        for entry in entries:
            entry.admin.close()
