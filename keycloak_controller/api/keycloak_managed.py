"""`Keycloak.spec.managed`: a Keycloak that the controller runs itself.

The controller renders a StatefulSet (with a headless discovery Service for
cache clustering), an HTTP(S) Service, a PodDisruptionBudget and, on request,
an Ingress, a NetworkPolicy and a ServiceMonitor, all owned by the Keycloak
resource (controllers/managed_render.py). Pod-level Kubernetes structures
(tolerations, affinity, topology spread, env valueFrom, NetworkPolicy peers)
are passed through as Kubernetes defines them; the apiserver validates them
when the controller applies the StatefulSet, and a rejection is reported as
Stalled with the apiserver's message.
"""

from __future__ import annotations

import enum
from typing import Annotated, Any

from pydantic import ConfigDict, Field, WithJsonSchema

from .base import MAX_LIST, MAX_NAME, MAX_TEXT, SpecModel, cel, exactly_one
from .base import Rule as CelRule
from .common import DeletionPolicy, ObjectName, SecretKeySelector

CANONICAL_IMAGE = "quay.io/keycloak/keycloak:26.7.3"

# A Kubernetes object as the core API defines it (Toleration, Affinity,
# EnvVarSource, ...): kept as written, validated by the apiserver on apply.
KubeStructure = Annotated[
    dict[str, Any],
    WithJsonSchema({"type": "object", "x-kubernetes-preserve-unknown-fields": True}),
]
Quantities = Annotated[
    dict[str, str],
    WithJsonSchema(
        {"type": "object", "maxProperties": 16, "additionalProperties": {"type": "string"}}
    ),
]
StringMap = Annotated[
    dict[str, str],
    WithJsonSchema(
        {"type": "object", "maxProperties": 64, "additionalProperties": {"type": "string"}}
    ),
]
# A Keycloak server option by its CLI name without dashes, e.g. "log-level".
OptionName = Annotated[
    str, Field(min_length=1, max_length=MAX_NAME, pattern=r"^[a-z0-9][a-z0-9-]*$")
]
FeatureName = Annotated[str, Field(min_length=1, max_length=MAX_NAME, pattern=r"^[a-z0-9:-]+$")]


class ServerOption(SpecModel):
    """One Keycloak server option, passed as its KC_* environment variable."""

    model_config = ConfigDict(
        json_schema_extra=cel(
            CelRule(
                exactly_one("value", "secretKeyRef"), "set exactly one of value or secretKeyRef"
            )
        )
    )

    name: OptionName = Field(description="The option's name as in `kc.sh --help`, e.g. log-level.")
    value: str | None = Field(default=None, max_length=MAX_TEXT, description="The value.")
    secret_key_ref: SecretKeySelector | None = Field(
        default=None, description="The value from a Secret key (for sensitive options)."
    )


class EnvVar(SpecModel):
    """An environment variable of the Keycloak container."""

    name: str = Field(
        min_length=1,
        max_length=MAX_NAME,
        pattern=r"^[-._a-zA-Z][-._a-zA-Z0-9]*$",
        description="The variable's name.",
    )
    value: str | None = Field(default=None, max_length=MAX_TEXT, description="A literal value.")
    value_from: KubeStructure | None = Field(
        default=None,
        description="A Kubernetes EnvVarSource (secretKeyRef, configMapKeyRef, fieldRef, ...).",
    )


class Features(SpecModel):
    """Keycloak features (`kc.sh show-config` lists them)."""

    enabled: list[FeatureName] = Field(
        default_factory=list, max_length=MAX_LIST, description="Features to enable (--features)."
    )
    disabled: list[FeatureName] = Field(
        default_factory=list,
        max_length=MAX_LIST,
        description="Features to disable (--features-disabled).",
    )


class ProxyHeaders(enum.StrEnum):
    FORWARDED = "forwarded"
    XFORWARDED = "xforwarded"


class Hostname(SpecModel):
    """Keycloak's hostname settings (v2 options on 25+)."""

    hostname: str | None = Field(
        default=None,
        max_length=MAX_NAME,
        description="The public hostname or URL, e.g. https://sso.example.com. Unset: any.",
    )
    admin: str | None = Field(
        default=None, max_length=MAX_NAME, description="A separate URL for the admin console."
    )
    strict: bool = Field(
        default=False,
        description="Refuse requests for other hostnames (needs hostname).",
    )
    backchannel_dynamic: bool = Field(
        default=False, description="Backchannel URLs from the request (hostname must be a URL)."
    )


class Ingress(SpecModel):
    """An Ingress for the HTTP(S) Service."""

    class_name: str | None = Field(
        default=None, max_length=MAX_NAME, description="The IngressClass. Unset: the default."
    )
    host: str = Field(min_length=1, max_length=MAX_NAME, description="The public host name.")
    path: str = Field(
        default="/", min_length=1, max_length=MAX_NAME, pattern=r"^/", description="The path."
    )
    tls_secret: ObjectName | None = Field(
        default=None, description="A kubernetes.io/tls Secret for the host, in this namespace."
    )
    annotations: StringMap = Field(
        default_factory=dict, description="Annotations for the Ingress controller."
    )


class Tls(SpecModel):
    """HTTPS for Keycloak itself (port 8443): a kubernetes.io/tls Secret."""

    secret_name: ObjectName = Field(description="A kubernetes.io/tls Secret in this namespace.")
    http_enabled: bool = Field(
        default=False, description="Keep plain HTTP (8080) open as well, e.g. behind a proxy."
    )


class Resources(SpecModel):
    """The Keycloak container's resources."""

    requests: Quantities = Field(
        default_factory=lambda: {"cpu": "500m", "memory": "1Gi"},
        description="Resource requests. Default: cpu 500m, memory 1Gi.",
    )
    limits: Quantities = Field(
        default_factory=lambda: {"memory": "2Gi"}, description="Limits. Default: memory 2Gi."
    )


class Scheduling(SpecModel):
    """Where the pods may run."""

    node_selector: StringMap = Field(default_factory=dict, description="Node labels required.")
    tolerations: list[KubeStructure] = Field(
        default_factory=list, max_length=64, description="Kubernetes Tolerations."
    )
    affinity: KubeStructure | None = Field(default=None, description="A Kubernetes Affinity.")
    topology_spread_constraints: list[KubeStructure] = Field(
        default_factory=list,
        max_length=16,
        description="Unset: pods spread over nodes (hostname) when possible.",
    )
    priority_class_name: str | None = Field(
        default=None, max_length=MAX_NAME, description="The pods' PriorityClass."
    )


class DisruptionBudget(SpecModel):
    """A PodDisruptionBudget for voluntary evictions (node drains)."""

    enabled: bool = Field(default=True, description="Create a PodDisruptionBudget.")
    max_unavailable: int = Field(default=1, ge=0, description="Pods that may be evicted at once.")


class NetworkPolicy(SpecModel):
    """Only these peers (and Keycloak's own pods) may reach Keycloak's ports."""

    enabled: bool = Field(default=False, description="Create the NetworkPolicy.")
    from_: list[KubeStructure] = Field(
        default_factory=list,
        alias="from",
        max_length=64,
        description="NetworkPolicyPeers allowed to reach HTTP(S); the management port is "
        "opened to the same peers.",
    )


class ServiceMonitor(SpecModel):
    """A Prometheus Operator ServiceMonitor for Keycloak's own metrics (needs its CRD)."""

    enabled: bool = Field(default=False, description="Create the ServiceMonitor.")
    interval: str = Field(
        default="30s", pattern=r"^[0-9]+(ms|s|m|h)$", description="The scrape interval."
    )
    labels: StringMap = Field(
        default_factory=dict, description="Labels, e.g. the ones your Prometheus selects."
    )


class SslMode(enum.StrEnum):
    DISABLE = "disable"
    ALLOW = "allow"
    PREFER = "prefer"
    REQUIRE = "require"
    VERIFY_CA = "verify-ca"
    VERIFY_FULL = "verify-full"


class Pool(SpecModel):
    """The JDBC connection pool (db-pool-* options). Unset: Keycloak's defaults."""

    min_size: int | None = Field(default=None, ge=0, description="db-pool-min-size.")
    initial_size: int | None = Field(default=None, ge=0, description="db-pool-initial-size.")
    max_size: int | None = Field(default=None, ge=1, description="db-pool-max-size.")


class ExternalDatabase(SpecModel):
    """A PostgreSQL server the user runs."""

    host: str = Field(min_length=1, max_length=MAX_NAME, description="The server's host.")
    port: int = Field(default=5432, ge=1, le=65535, description="The server's port.")
    database: str = Field(
        default="keycloak", min_length=1, max_length=63, description="The database name."
    )
    username_secret_ref: SecretKeySelector = Field(description="The database user.")
    password_secret_ref: SecretKeySelector = Field(description="The database password.")
    ssl_mode: SslMode | None = Field(default=None, description="The JDBC sslmode. Unset: prefer.")
    pool: Pool = Field(default_factory=Pool, description="Connection pool sizes.")


class CloudNativePgDatabase(SpecModel):
    """A CloudNativePG Cluster: the `<cluster>-rw` Service and the `<cluster>-app` Secret.

    Nothing is read from the Cluster object itself, so this works whether or not
    the CloudNativePG CRDs are installed.
    """

    cluster: ObjectName = Field(description="The Cluster's name, in this namespace.")
    database: str | None = Field(
        default=None,
        max_length=63,
        description="Unset: the app Secret's dbname key (CloudNativePG's default: app).",
    )
    ssl_mode: SslMode | None = Field(default=None, description="The JDBC sslmode.")
    pool: Pool = Field(default_factory=Pool, description="Connection pool sizes.")


class Database(SpecModel):
    """Exactly one of an external PostgreSQL, a CloudNativePG Cluster, or dev-file H2."""

    model_config = ConfigDict(
        json_schema_extra=cel(
            CelRule(
                "[has(self.external), has(self.cloudNativePG), has(self.dev) && self.dev]"
                ".filter(x, x).size() == 1",
                "set exactly one of external, cloudNativePG or dev: true (dev-file H2 is for "
                "development only)",
            )
        )
    )

    external: ExternalDatabase | None = Field(default=None, description="An external PostgreSQL.")
    cloud_native_pg: CloudNativePgDatabase | None = Field(
        default=None, alias="cloudNativePG", description="A CloudNativePG Cluster."
    )
    dev: bool = Field(
        default=False,
        description="Keycloak's dev-file H2 in the pod (start-dev): data is lost with the pod.",
    )


class Admin(SpecModel):
    """The bootstrap admin, created by Keycloak at its first start on an empty database."""

    existing_secret: ObjectName | None = Field(
        default=None,
        description=(
            "A Secret with keys username and password for the bootstrap admin. Unset: the "
            "controller generates `<name>-admin` (owned, never overwritten once made)."
        ),
    )


class ManagedKeycloak(SpecModel):
    """A Keycloak the controller deploys: workload, server options, database, admin."""

    def secret_refs(self) -> list[SecretKeySelector]:
        """The Secrets it reads: database credentials, option values, an existing admin."""
        refs: list[SecretKeySelector] = []
        db = self.database
        if db.external is not None:
            refs += [db.external.username_secret_ref, db.external.password_secret_ref]
        if db.cloud_native_pg is not None:
            refs.append(SecretKeySelector(name=f"{db.cloud_native_pg.cluster}-app", key="password"))
        refs += [o.secret_key_ref for o in self.additional_options if o.secret_key_ref]
        if self.admin.existing_secret:
            refs.append(SecretKeySelector(name=self.admin.existing_secret, key="password"))
        return refs

    image: str = Field(
        default=CANONICAL_IMAGE,
        min_length=1,
        max_length=MAX_NAME,
        description="The Keycloak image. Default: the official image of the canonical version.",
    )
    version: str | None = Field(
        default=None,
        pattern=r"^[0-9]+\.[0-9]+(\.[0-9]+)?$",
        description="The image's Keycloak version, when its tag is not one (e.g. a digest).",
    )
    replicas: int = Field(default=1, ge=0, le=64, description="Keycloak pods.")
    image_pull_secrets: list[ObjectName] = Field(
        default_factory=list, max_length=16, description="Secrets for pulling the image."
    )
    tls: Tls | None = Field(default=None, description="HTTPS from a Secret. Unset: plain HTTP.")
    hostname: Hostname = Field(default_factory=Hostname, description="Hostname settings.")
    proxy_headers: ProxyHeaders | None = Field(
        default=None, description="Trust these proxy headers (behind a reverse proxy)."
    )
    features: Features = Field(default_factory=Features, description="Features on and off.")
    additional_options: list[ServerOption] = Field(
        default_factory=list,
        max_length=MAX_LIST,
        description="Further server options; the controller's own (db, http, health) win.",
    )
    env: list[EnvVar] = Field(
        default_factory=list, max_length=MAX_LIST, description="Extra environment variables."
    )
    jvm_options: list[Annotated[str, Field(max_length=MAX_TEXT)]] = Field(
        default_factory=list, max_length=64, description="Appended to JAVA_OPTS_APPEND."
    )
    resources: Resources = Field(default_factory=Resources, description="Container resources.")
    scheduling: Scheduling = Field(default_factory=Scheduling, description="Pod placement.")
    pod_disruption_budget: DisruptionBudget = Field(
        default_factory=DisruptionBudget, description="The PodDisruptionBudget."
    )
    ingress: Ingress | None = Field(default=None, description="An Ingress. Unset: none.")
    network_policy: NetworkPolicy = Field(
        default_factory=NetworkPolicy, description="An optional NetworkPolicy."
    )
    service_monitor: ServiceMonitor = Field(
        default_factory=ServiceMonitor, description="An optional ServiceMonitor."
    )
    database: Database = Field(description="Where Keycloak keeps its data.")
    admin: Admin = Field(default_factory=Admin, description="The bootstrap admin.")
    deletion_policy: DeletionPolicy = Field(
        default=DeletionPolicy.DELETE,
        description=(
            "Delete: the workload objects are garbage-collected with this resource. Retain: "
            "they are orphaned and keep running (the database is never touched either way)."
        ),
    )
