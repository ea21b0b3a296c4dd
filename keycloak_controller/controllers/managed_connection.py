"""Where the controller reaches a Keycloak and as whom: the URL and the admin grant.

External mode: spec.external.url and spec.auth. Managed mode: the HTTP(S)
Service's in-cluster URL and, unless spec.auth is set, the bootstrap admin from
the admin Secret (generated `<name>-admin` or spec.managed.admin.existingSecret),
by the password grant, exactly as a user would configure external mode.
"""

from __future__ import annotations

from collections.abc import Mapping

from keycloak_controller.api import Keycloak
from keycloak_controller.api.common import SecretKeySelector
from keycloak_controller.api.keycloak import AdminAuth, PasswordGrant

from . import managed_render as render
from .reasons import INVALID_SPEC, Problem


def bootstrap_auth(keycloak: Keycloak) -> AdminAuth:
    managed = keycloak.spec.managed
    assert managed is not None
    name = managed.admin.existing_secret or render.names(keycloak.metadata.name)["admin"]
    return AdminAuth(
        password_grant=PasswordGrant(
            username_secret_ref=SecretKeySelector(name=name, key="username"),
            password_secret_ref=SecretKeySelector(name=name, key="password"),
        )
    )


def rewrite(url: str, addresses: Mapping[str, str]) -> str:
    for prefix, replacement in addresses.items():
        if url.startswith(prefix):
            return replacement + url[len(prefix) :]
    return url


def target(keycloak: Keycloak, addresses: Mapping[str, str]) -> tuple[str, AdminAuth]:
    spec = keycloak.spec
    if spec.external is not None:
        if spec.auth is None:
            raise Problem(INVALID_SPEC, "spec.auth is required with spec.external")
        return spec.external.url, spec.auth
    if spec.managed is not None:
        url = rewrite(render.internal_url(keycloak), addresses)
        return url, spec.auth or bootstrap_auth(keycloak)
    raise Problem(INVALID_SPEC, "set spec.external or spec.managed")
