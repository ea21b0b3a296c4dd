"""The REST identities of the custom kinds (the runtime speaks ResourceKind)."""

from __future__ import annotations

from keycloak_controller.api import GROUP, VERSION, Keycloak, KeycloakClient, KeycloakRealm
from keycloak_controller.api.common import CustomResource
from keycloak_controller.runtime.objects import ResourceKind


def resource_kind(model: type[CustomResource]) -> ResourceKind:
    return ResourceKind(GROUP, VERSION, model.names.plural, model.names.kind)


KEYCLOAKS = resource_kind(Keycloak)
REALMS = resource_kind(KeycloakRealm)
CLIENTS = resource_kind(KeycloakClient)
NAMESPACES = ResourceKind("", "v1", "namespaces", "Namespace", namespaced=False)
