"""The canonical Keycloak representations (generated from the canonical spec).

Every other module imports models from here, never from `generated` directly,
so that the generated module can be regenerated without touching callers.
"""

from keycloak_controller.keycloak.models.generated import (
    AuthenticationExecutionInfoRepresentation,
    AuthenticationExecutionRepresentation,
    AuthenticationFlowRepresentation,
    AuthenticatorConfigRepresentation,
    ClientRepresentation,
    ClientScopeRepresentation,
    ComponentRepresentation,
    CredentialRepresentation,
    GroupRepresentation,
    IdentityProviderMapperRepresentation,
    IdentityProviderRepresentation,
    MappingsRepresentation,
    MemberRepresentation,
    OrganizationDomainRepresentation,
    OrganizationRepresentation,
    ProtocolMapperRepresentation,
    RealmRepresentation,
    RequiredActionProviderRepresentation,
    RoleRepresentation,
    RolesRepresentation,
    UserRepresentation,
)

__all__ = [
    "AuthenticationExecutionInfoRepresentation",
    "AuthenticationExecutionRepresentation",
    "AuthenticationFlowRepresentation",
    "AuthenticatorConfigRepresentation",
    "ClientRepresentation",
    "ClientScopeRepresentation",
    "ComponentRepresentation",
    "CredentialRepresentation",
    "GroupRepresentation",
    "IdentityProviderMapperRepresentation",
    "IdentityProviderRepresentation",
    "MappingsRepresentation",
    "MemberRepresentation",
    "OrganizationDomainRepresentation",
    "OrganizationRepresentation",
    "ProtocolMapperRepresentation",
    "RealmRepresentation",
    "RequiredActionProviderRepresentation",
    "RoleRepresentation",
    "RolesRepresentation",
    "UserRepresentation",
]
