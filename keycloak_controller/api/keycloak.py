"""`Keycloak`: how the controller reaches one Keycloak server.

Two modes, exactly one per object:
- `external`: a Keycloak that runs elsewhere; the controller only logs in.
- `managed`: the controller runs Keycloak itself (StatefulSet, Services,
  database settings, bootstrap admin; `managed.py`), then logs in to it exactly
  as in external mode, so realms and clients do not care which mode it is.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import ConfigDict, Field

from .base import MAX_NAME, MAX_URL, SpecModel, StatusModel, cel, exactly_one
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
from .keycloak_managed import ManagedKeycloak


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
                "has(self.managed) || has(self.auth)",
                "spec.auth is required with spec.external (managed mode logs in with its "
                "bootstrap admin unless auth is set)",
                field_path=".auth",
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
        description=(
            "A Keycloak the controller deploys and runs: a StatefulSet with its Services, "
            "database settings and a bootstrap admin. Its objects are owned by this resource."
        ),
    )
    auth: AdminAuth | None = Field(
        default=None,
        description=(
            "Admin API credentials, read from Secrets. Required with external; with managed, "
            "unset means the bootstrap admin (spec.managed.admin)."
        ),
    )
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

    def secret_refs(self) -> list[SecretKeySelector]:
        """Every Secret this object reads (the controller watches them)."""
        refs: list[SecretKeySelector] = []
        if self.auth is not None:
            if self.auth.password_grant is not None:
                grant = self.auth.password_grant
                refs += [grant.username_secret_ref, grant.password_secret_ref]
            if self.auth.client_credentials is not None:
                refs.append(self.auth.client_credentials.client_secret_ref)
        if self.ca_bundle is not None and self.ca_bundle.secret_key_ref is not None:
            refs.append(self.ca_bundle.secret_key_ref)
        if self.managed is not None:
            refs += self.managed.secret_refs()
        return refs


class ManagedStatus(StatusModel):
    """What the controller observed of the Keycloak it runs."""

    replicas: int | None = Field(default=None, description="Desired replicas.")
    ready_replicas: int | None = Field(default=None, description="Pods that are Ready.")
    updated_replicas: int | None = Field(
        default=None, description="Pods that run the current revision."
    )
    version: str | None = Field(
        default=None, description="The Keycloak version of the rendered image, e.g. 26.7.3."
    )
    image: str | None = Field(default=None, description="The container image in use.")
    internal_url: str | None = Field(
        default=None, description="The in-cluster URL of the HTTP(S) Service."
    )
    external_url: str | None = Field(
        default=None, description="The public URL (the Ingress host or hostname), if any."
    )
    database: str | None = Field(
        default=None,
        description="The database in use, e.g. postgres://host:5432/keycloak (no credentials).",
    )
    admin_secret: str | None = Field(
        default=None, description="The Secret with the bootstrap admin's username and password."
    )
    upgrade: str | None = Field(
        default=None,
        description=(
            "Set while a Keycloak version change is recreating the cluster (no mixed versions), "
            "e.g. 'recreating: 25 -> 26'."
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
    managed: ManagedStatus | None = Field(
        default=None, description="Managed mode only: the workload the controller runs."
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
