"""`Keycloak`: how the controller reaches one Keycloak server.

External mode only for now. `managed` (the controller runs Keycloak itself) is
reserved in the schema and refused at admission, so adding it later changes no
existing field.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import ConfigDict, Field

from .base import MAX_NAME, MAX_URL, SpecModel, cel, exactly_one
from .base import Rule as CelRule
from .common import (
    READY_COLUMNS,
    TRAILING_COLUMNS,
    CABundleSource,
    CustomResource,
    NamespaceSelection,
    PrinterColumn,
    ResourceNames,
    ResourceStatus,
    SecretKeySelector,
)


class ExternalKeycloak(SpecModel):
    """A Keycloak server that runs elsewhere and that the controller only configures."""

    url: str = Field(
        min_length=1,
        max_length=MAX_URL,
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        description=(
            "Base URL of the server, e.g. https://keycloak.example.com (include the path "
            "prefix, such as /auth, if the server uses one)."
        ),
    )


class ManagedKeycloak(SpecModel):
    """Reserved for a Keycloak that the controller deploys itself (not supported yet)."""


class PasswordGrant(SpecModel):
    """Log in as a user with the resource-owner password grant."""

    client_id: str = Field(
        default="admin-cli",
        min_length=1,
        max_length=MAX_NAME,
        description="The public client used for the grant.",
    )
    username_secret_ref: SecretKeySelector = Field(
        description="The Secret key that holds the username."
    )
    password_secret_ref: SecretKeySelector = Field(
        description="The Secret key that holds the password."
    )


class ClientCredentialsGrant(SpecModel):
    """Log in as a confidential client's service account (client-credentials grant)."""

    client_id: str = Field(
        min_length=1, max_length=MAX_NAME, description="The confidential client's clientId."
    )
    client_secret_ref: SecretKeySelector = Field(
        description="The Secret key that holds the client secret."
    )


class AdminAuth(SpecModel):
    """How the controller authenticates to the Admin API: exactly one grant."""

    model_config = ConfigDict(
        json_schema_extra=cel(
            CelRule(
                exactly_one("passwordGrant", "clientCredentials"),
                "set exactly one of passwordGrant or clientCredentials",
            )
        )
    )

    realm: str = Field(
        default="master",
        min_length=1,
        max_length=MAX_NAME,
        description="The realm the credentials belong to.",
    )
    password_grant: PasswordGrant | None = Field(
        default=None, description="Username and password, e.g. of the bootstrap admin."
    )
    client_credentials: ClientCredentialsGrant | None = Field(
        default=None,
        description="A service-account client; preferred over a password for production.",
    )


class KeycloakSpec(SpecModel):
    """Where the Keycloak server is, how to log in, and who may use it."""

    model_config = ConfigDict(
        json_schema_extra=cel(
            CelRule(
                "!has(self.managed)",
                "managed mode is not supported yet; use spec.external",
                field_path=".managed",
                reason="FieldValueForbidden",
            ),
            CelRule(
                exactly_one("external", "managed"),
                "set exactly one of spec.external or spec.managed",
            ),
            CelRule(
                "!(self.insecureSkipVerify && has(self.caBundle))",
                "caBundle has no effect when insecureSkipVerify is true; remove one of them",
                field_path=".caBundle",
            ),
        )
    )

    external: ExternalKeycloak | None = Field(
        default=None, description="An existing Keycloak server, reached by URL."
    )
    managed: ManagedKeycloak | None = Field(
        default=None,
        description="Reserved: a Keycloak deployed by the controller. Not supported yet.",
    )
    auth: AdminAuth = Field(description="Admin API credentials, read from Secrets.")
    ca_bundle: CABundleSource | None = Field(
        default=None,
        description=(
            "PEM CA certificates that the server's TLS certificate must chain to. "
            "Unset: the system trust store."
        ),
    )
    insecure_skip_verify: bool = Field(
        default=False,
        description="Skip TLS certificate verification. For development only.",
    )
    realm_namespaces: NamespaceSelection | None = Field(
        default=None,
        description=(
            "Namespaces whose KeycloakRealms may use this server. This object's own namespace "
            "is always allowed. Unset: only this object's namespace."
        ),
    )


class KeycloakStatus(ResourceStatus):
    """The connection's observed state."""

    server_version: str | None = Field(
        default=None, description="The Keycloak version the server reports, e.g. 26.7.3."
    )
    circuit_breaker: str | None = Field(
        default=None,
        description=(
            "The controller's circuit breaker for this server: Closed (requests flow), Open "
            "(failing fast after repeated errors) or HalfOpen (probing)."
        ),
    )


class Keycloak(CustomResource):
    """A Keycloak server that realms can be placed on.

    Ready means the controller logged in and detected the server version.
    Adapter warnings (settings this Keycloak version cannot apply) are reported
    as conditions.
    """

    names: ClassVar[ResourceNames] = ResourceNames(
        kind="Keycloak", plural="keycloaks", singular="keycloak", short_names=("kc",)
    )
    printer_columns: ClassVar[tuple[PrinterColumn, ...]] = (
        *READY_COLUMNS,
        PrinterColumn(
            name="Version",
            json_path=".status.serverVersion",
            description="The detected Keycloak version.",
        ),
        PrinterColumn(
            name="URL",
            json_path=".spec.external.url",
            description="The server's URL.",
            priority=1,
        ),
        *TRAILING_COLUMNS,
    )

    kind: Literal["Keycloak"] = "Keycloak"
    spec: KeycloakSpec
    status: KeycloakStatus = Field(default_factory=KeycloakStatus)
