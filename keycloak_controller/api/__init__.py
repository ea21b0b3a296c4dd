"""The custom resources of keycloak-controller.dev/v1alpha1, as Pydantic models.

These models are the source of the CRDs in `crds/` (`make crds`) and the typed
view the reconcilers work with: `KeycloakClient.model_validate(obj)` parses an
object from the apiserver.

kubectl names (checked against the real kubectl in
tests/integration/api): every kind is in the category `keycloak`, and
kubectl expands a category before it looks at singular names, so
`kubectl get keycloak` lists Keycloaks, KeycloakRealms, KeycloakClients and
KeycloakUsers together, as the product promises. The price: `kubectl get
keycloak NAME` and `kubectl describe keycloak NAME` refuse ("you must specify
only one resource"); use `kc NAME`, `keycloaks NAME` or `keycloak/NAME` for a single
Keycloak. Short names: kc, kcrealm, kcclient, kcuser.
"""

from .client import AccessType, KeycloakClient, KeycloakClientSpec, KeycloakClientStatus
from .common import API_VERSION, GROUP, VERSION, CustomResource, DeletionPolicy, StatusCondition
from .keycloak import Keycloak, KeycloakSpec, KeycloakStatus
from .realm import KeycloakRealm, KeycloakRealmSpec, KeycloakRealmStatus
from .user import KeycloakUser, KeycloakUserSpec, KeycloakUserStatus, PasswordMode

# Every kind, in the order the CRDs are generated and documented.
KINDS: tuple[type[CustomResource], ...] = (
    Keycloak,
    KeycloakRealm,
    KeycloakClient,
    KeycloakUser,
)

__all__ = [
    "API_VERSION",
    "GROUP",
    "KINDS",
    "VERSION",
    "AccessType",
    "CustomResource",
    "DeletionPolicy",
    "Keycloak",
    "KeycloakClient",
    "KeycloakClientSpec",
    "KeycloakClientStatus",
    "KeycloakRealm",
    "KeycloakRealmSpec",
    "KeycloakRealmStatus",
    "KeycloakSpec",
    "KeycloakStatus",
    "KeycloakUser",
    "KeycloakUserSpec",
    "KeycloakUserStatus",
    "PasswordMode",
    "StatusCondition",
]
