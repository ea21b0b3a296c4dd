"""Users as KeycloakUser specs: profile, attributes, role mappings and groups; never a
password or any other credential (they are not readable, and must not be in Git)."""

from __future__ import annotations

from collections.abc import Iterator

from keycloak_controller.api.common import RealmReference
from keycloak_controller.api.user import KeycloakUserSpec
from keycloak_controller.controllers.ownership import PREFIX
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import UserRepresentation

from .realm_children import mappings_spec


def is_service_account(user: UserRepresentation) -> bool:
    """Service-account users belong to their client's spec, not to a KeycloakUser."""
    return bool(user.service_account_client_id)


def is_federated(user: UserRepresentation) -> bool:
    """Users imported from user federation (LDAP) belong to the directory: exporting them
    would have the copy fight the provider that imports them again."""
    return bool(user.federation_link)


def export_user(
    admin: KeycloakAdmin, realm: str, user: UserRepresentation, realm_ref: str
) -> KeycloakUserSpec:
    uid = user.id or ""
    realm_roles, client_roles = mappings_spec(
        admin.user_role_mappings.all(realm, uid), lambda n: n == f"default-roles-{realm}"
    )
    groups = sorted(g.path for g in admin.users.iter_groups(realm, uid) if g.path)
    attributes = {
        k: list(v) for k, v in (user.attributes or {}).items() if not k.startswith(PREFIX)
    }
    return KeycloakUserSpec.model_validate(
        {
            k: v
            for k, v in {
                "realmRef": RealmReference(name=realm_ref),
                "username": user.username,
                "email": user.email or None,
                "firstName": user.first_name or None,
                "lastName": user.last_name or None,
                "enabled": user.enabled if user.enabled is not None else True,
                "emailVerified": True if user.email_verified else None,
                "attributes": attributes or None,
                "realmRoles": realm_roles or None,
                "clientRoles": client_roles or None,
                "groups": groups or None,
            }.items()
            if v is not None
        }
    )


def export_users(admin: KeycloakAdmin, realm: str, realm_ref: str) -> Iterator[KeycloakUserSpec]:
    """Every user, page by page (service accounts and federated users apart)."""
    for user in admin.users.iter_all(realm):
        if not is_service_account(user) and not is_federated(user):
            yield export_user(admin, realm, user, realm_ref)
