"""The representation kinds the client sends and receives, and how they nest."""

from __future__ import annotations

import enum


class Kind(enum.StrEnum):
    REALM = "RealmRepresentation"
    CLIENT = "ClientRepresentation"
    CLIENT_SCOPE = "ClientScopeRepresentation"
    PROTOCOL_MAPPER = "ProtocolMapperRepresentation"
    ROLE = "RoleRepresentation"
    GROUP = "GroupRepresentation"
    USER = "UserRepresentation"
    CREDENTIAL = "CredentialRepresentation"
    IDENTITY_PROVIDER = "IdentityProviderRepresentation"
    IDENTITY_PROVIDER_MAPPER = "IdentityProviderMapperRepresentation"
    AUTHENTICATION_FLOW = "AuthenticationFlowRepresentation"
    AUTHENTICATION_EXECUTION = "AuthenticationExecutionInfoRepresentation"
    AUTHENTICATOR_CONFIG = "AuthenticatorConfigRepresentation"
    REQUIRED_ACTION = "RequiredActionProviderRepresentation"
    COMPONENT = "ComponentRepresentation"
    ORGANIZATION = "OrganizationRepresentation"
    ROLE_MAPPINGS = "MappingsRepresentation"
    CLIENT_ROLE_MAPPINGS = "ClientMappingsRepresentation"
    CLIENT_POLICIES = "ClientPoliciesRepresentation"
    CLIENT_POLICY = "ClientPolicyRepresentation"
    CLIENT_POLICY_CONDITION = "ClientPolicyConditionRepresentation"
    CLIENT_PROFILES = "ClientProfilesRepresentation"
    CLIENT_PROFILE = "ClientProfileRepresentation"
    CLIENT_POLICY_EXECUTOR = "ClientPolicyExecutorRepresentation"
    # partialImport takes a RealmRepresentation-shaped body.
    PARTIAL_IMPORT = "PartialImportRepresentation"

    @property
    def schema(self) -> str:
        """The OpenAPI schema name this kind is checked against."""
        return Kind.REALM.value if self is Kind.PARTIAL_IMPORT else self.value


# Nested representations inside a payload, so that a full realm (or a partial
# import) is converted field by field like its parts. A key holds a list of
# them, or a single one (e.g. a realm's clientPolicies).
_REALM_PARTS = {
    "clients": Kind.CLIENT,
    "clientScopes": Kind.CLIENT_SCOPE,
    "groups": Kind.GROUP,
    "users": Kind.USER,
    "identityProviders": Kind.IDENTITY_PROVIDER,
    "identityProviderMappers": Kind.IDENTITY_PROVIDER_MAPPER,
    "authenticationFlows": Kind.AUTHENTICATION_FLOW,
    "requiredActions": Kind.REQUIRED_ACTION,
    "organizations": Kind.ORGANIZATION,
    "protocolMappers": Kind.PROTOCOL_MAPPER,
    "clientPolicies": Kind.CLIENT_POLICIES,
    "clientProfiles": Kind.CLIENT_PROFILES,
}
NESTED: dict[Kind, dict[str, Kind]] = {
    Kind.REALM: _REALM_PARTS,
    Kind.PARTIAL_IMPORT: _REALM_PARTS,
    Kind.CLIENT: {"protocolMappers": Kind.PROTOCOL_MAPPER},
    Kind.CLIENT_SCOPE: {"protocolMappers": Kind.PROTOCOL_MAPPER},
    Kind.GROUP: {"subGroups": Kind.GROUP},
    Kind.USER: {"credentials": Kind.CREDENTIAL},
    Kind.ORGANIZATION: {"identityProviders": Kind.IDENTITY_PROVIDER},
    Kind.ROLE_MAPPINGS: {"realmMappings": Kind.ROLE},
    Kind.CLIENT_ROLE_MAPPINGS: {"mappings": Kind.ROLE},
    Kind.CLIENT_POLICIES: {"policies": Kind.CLIENT_POLICY, "globalPolicies": Kind.CLIENT_POLICY},
    Kind.CLIENT_POLICY: {"conditions": Kind.CLIENT_POLICY_CONDITION},
    Kind.CLIENT_PROFILES: {"profiles": Kind.CLIENT_PROFILE, "globalProfiles": Kind.CLIENT_PROFILE},
    Kind.CLIENT_PROFILE: {"executors": Kind.CLIENT_POLICY_EXECUTOR},
}
# Maps (string keys) whose values are representations: a subject's client role
# mappings are keyed by clientId.
NESTED_MAPS: dict[Kind, dict[str, Kind]] = {
    Kind.ROLE_MAPPINGS: {"clientMappings": Kind.CLIENT_ROLE_MAPPINGS},
}
