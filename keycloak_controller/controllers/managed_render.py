"""Managed mode: the Kubernetes objects that run one Keycloak, rendered from the spec (pure).

Inputs are the parsed `Keycloak` and what the reconciler resolved (the version,
the database target, the admin Secret's name); the output is plain manifests
for server-side apply. Nothing here reads a Secret value: credentials reach
the container only as `valueFrom.secretKeyRef`, so a rendered object never
carries one.

Names, for a Keycloak `kc`: StatefulSet, HTTP(S) Service, PDB, Ingress,
NetworkPolicy and ServiceMonitor `kc`; the headless discovery Service
`kc-discovery`; the generated admin Secret `kc-admin`.

Version rules (through the adapter): the management port (9000) exists from 25
on and the probes use it, on 24 they use the HTTP(S) port (ADR-059); the
bootstrap-admin variables were renamed in 26; before 26.1 the cache cluster
needs DNS discovery through the headless Service (26.1 made jdbc-ping, over
the database, the default).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from keycloak_controller.api import Keycloak
from keycloak_controller.api.keycloak_managed import ManagedKeycloak
from keycloak_controller.keycloak.adapters import VersionAdapter
from keycloak_controller.keycloak.version import ServerVersion, VersionUnknown

from .reasons import INVALID_SPEC, Problem

JSON = dict[str, Any]
HTTP_PORT = 8080
HTTPS_PORT = 8443
MANAGEMENT_PORT = 9000
JGROUPS_PORT = 7800
HOME = "/opt/keycloak"
TLS_DIR = f"{HOME}/conf/tls"
VERSION_ANNOTATION = "keycloak-controller.dev/keycloak-version"
SECRETS_ANNOTATION = "keycloak-controller.dev/secrets-digest"
MANAGED_BY = "keycloak-controller"
ADMIN_USERNAME = "admin"
# The official image's user; numeric so that runAsNonRoot can be checked.
IMAGE_UID = 1000


@dataclass(frozen=True)
class DatabaseTarget:
    """Where Keycloak's data lives, resolved (Secret references, never values)."""

    vendor: str  # "postgres" or "dev-file"
    host: str = ""
    port: int = 5432
    database: str = ""
    username: tuple[str, str] | None = None  # (Secret name, key)
    password: tuple[str, str] | None = None
    database_from: tuple[str, str] | None = None  # CloudNativePG's dbname key
    url_properties: str = ""
    pool: Mapping[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        if self.vendor == "dev-file":
            return "dev-file (H2 in the pod; development only)"
        name = self.database
        if self.database_from is not None:
            name = f"<Secret {self.database_from[0]} key {self.database_from[1]}>"
        return f"postgres://{self.host}:{self.port}/{name}"


@dataclass(frozen=True)
class Inputs:
    """What the reconciler resolved for one render."""

    version: ServerVersion
    adapter: VersionAdapter
    database: DatabaseTarget
    admin_secret: str
    # The StatefulSet's replicas for this render (0 while a version change recreates).
    replicas: int
    # The version the StatefulSet is recorded as running: the old one until a
    # version change's scale-down has finished, so a retry does not start the new
    # version next to old pods.
    recorded_version: ServerVersion
    # A salted digest of the Secret values the container reads at start.
    secrets_digest: str = ""


def names(name: str) -> dict[str, str]:
    return {"server": name, "discovery": f"{name}-discovery", "admin": f"{name}-admin"}


def selector_labels(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "keycloak", "app.kubernetes.io/instance": name}


def labels(name: str) -> dict[str, str]:
    return {
        **selector_labels(name),
        "app.kubernetes.io/component": "server",
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }


def image_version(image: str) -> ServerVersion | None:
    """The Keycloak version in an image tag (quay.io/keycloak/keycloak:26.7.3), if it is one."""
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    if ":" not in last:
        return None
    tag = last.split(":", 1)[1]
    try:
        return ServerVersion.parse(tag.split("-", 1)[0])
    except VersionUnknown:
        return None


def desired_version(managed: ManagedKeycloak) -> ServerVersion:
    if managed.version is not None:
        return ServerVersion.parse(managed.version)
    found = image_version(managed.image)
    if found is None:
        raise Problem(
            INVALID_SPEC,
            f"cannot tell the Keycloak version of image {managed.image!r} from its tag; set "
            "spec.managed.version",
        )
    return found


def uses_tls(managed: ManagedKeycloak) -> bool:
    return managed.tls is not None


def main_port(managed: ManagedKeycloak) -> int:
    return HTTPS_PORT if uses_tls(managed) else HTTP_PORT


def internal_url(cr: Keycloak) -> str:
    assert cr.spec.managed is not None
    scheme = "https" if uses_tls(cr.spec.managed) else "http"
    ns = cr.metadata.namespace
    return f"{scheme}://{cr.metadata.name}.{ns}.svc:{main_port(cr.spec.managed)}"


def external_url(cr: Keycloak) -> str | None:
    managed = cr.spec.managed
    assert managed is not None
    if managed.ingress is not None:
        scheme = "https" if managed.ingress.tls_secret else "http"
        path = managed.ingress.path.rstrip("/")
        return f"{scheme}://{managed.ingress.host}{path}"
    hostname = managed.hostname.hostname
    if hostname:
        return hostname if "://" in hostname else f"https://{hostname}"
    return None


def owner_references(cr: Keycloak, uid: str) -> list[JSON]:
    return [
        {
            "apiVersion": cr.api_version,
            "kind": "Keycloak",
            "name": cr.metadata.name,
            "uid": uid,
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]


def _meta(cr: Keycloak, uid: str, name: str, **extra: Any) -> JSON:
    return {
        "name": name,
        "namespace": cr.metadata.namespace,
        "labels": labels(cr.metadata.name),
        "ownerReferences": owner_references(cr, uid),
        **extra,
    }


def _secret_env(name: str, secret: tuple[str, str]) -> JSON:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret[0], "key": secret[1]}}}


def _option_env(option: str) -> str:
    return "KC_" + option.upper().replace("-", "_")


def server_env(cr: Keycloak, inputs: Inputs) -> list[JSON]:
    """The container's environment: the controller's options, then the user's."""
    managed = cr.spec.managed
    assert managed is not None
    adapter, db = inputs.adapter, inputs.database
    env: list[JSON] = []

    def put(name: str, value: str) -> None:
        env.append({"name": name, "value": value})

    tls = managed.tls
    put("KC_HTTP_ENABLED", "true" if tls is None or tls.http_enabled else "false")
    put("KC_HTTP_PORT", str(HTTP_PORT))
    if tls is not None:
        put("KC_HTTPS_PORT", str(HTTPS_PORT))
        put("KC_HTTPS_CERTIFICATE_FILE", f"{TLS_DIR}/tls.crt")
        put("KC_HTTPS_CERTIFICATE_KEY_FILE", f"{TLS_DIR}/tls.key")
    put("KC_HEALTH_ENABLED", "true")
    put("KC_METRICS_ENABLED", "true")
    if adapter.health_on_management_port:
        put("KC_HTTP_MANAGEMENT_PORT", str(MANAGEMENT_PORT))
    put("KC_DB", db.vendor)
    if db.vendor == "postgres":
        put("KC_DB_URL_HOST", db.host)
        put("KC_DB_URL_PORT", str(db.port))
        if db.database_from is not None:
            env.append(_secret_env("KC_DB_URL_DATABASE", db.database_from))
        else:
            put("KC_DB_URL_DATABASE", db.database)
        assert db.username is not None and db.password is not None
        env.append(_secret_env("KC_DB_USERNAME", db.username))
        env.append(_secret_env("KC_DB_PASSWORD", db.password))
        if db.url_properties:
            put("KC_DB_URL_PROPERTIES", db.url_properties)
        for option, size in sorted(db.pool.items()):
            put(_option_env(f"db-pool-{option}"), str(size))
    hostname = managed.hostname
    if hostname.hostname:
        put("KC_HOSTNAME", hostname.hostname)
    if hostname.admin:
        put("KC_HOSTNAME_ADMIN", hostname.admin)
    put("KC_HOSTNAME_STRICT", "true" if hostname.strict else "false")
    if hostname.backchannel_dynamic:
        if not adapter.hostname_v2:
            raise Problem(
                INVALID_SPEC,
                f"hostname.backchannelDynamic is a hostname v2 option; Keycloak "
                f"{inputs.version} has hostname v1 (25 introduced v2)",
            )
        put("KC_HOSTNAME_BACKCHANNEL_DYNAMIC", "true")
    if managed.proxy_headers is not None:
        put("KC_PROXY_HEADERS", managed.proxy_headers.value)
    if managed.features.enabled:
        put("KC_FEATURES", ",".join(managed.features.enabled))
    if managed.features.disabled:
        put("KC_FEATURES_DISABLED", ",".join(managed.features.disabled))
    java_opts = list(managed.jvm_options)
    if not managed.database.dev:
        put("KC_CACHE", "ispn")
        if adapter.cluster_discovery_needs_dns:
            # DNS_PING over the headless Service finds the other pods.
            put("KC_CACHE_STACK", "kubernetes")
            discovery = names(cr.metadata.name)["discovery"]
            java_opts.insert(
                0, f"-Djgroups.dns.query={discovery}.{cr.metadata.namespace}.svc.cluster.local"
            )
    username_env, password_env = adapter.bootstrap_admin_env
    env.append(_secret_env(username_env, (inputs.admin_secret, "username")))
    env.append(_secret_env(password_env, (inputs.admin_secret, "password")))
    if java_opts:
        put("JAVA_OPTS_APPEND", " ".join(java_opts))
    reserved = {e["name"] for e in env}
    for extra in managed.additional_options:
        variable_name = _option_env(extra.name)
        _refuse_reserved(variable_name, f"additionalOptions {extra.name!r}", reserved)
        ref = extra.secret_key_ref
        if ref is not None:
            env.append(_secret_env(variable_name, (ref.name, ref.key)))
        else:
            env.append({"name": variable_name, "value": extra.value or ""})
        reserved.add(variable_name)
    for variable in managed.env:
        _refuse_reserved(variable.name, f"env {variable.name!r}", reserved)
        item: JSON = {"name": variable.name}
        if variable.value_from is not None:
            item["valueFrom"] = variable.value_from
        else:
            item["value"] = variable.value or ""
        env.append(item)
        reserved.add(variable.name)
    return env


def _refuse_reserved(name: str, where: str, reserved: set[str]) -> None:
    if name in reserved:
        raise Problem(
            INVALID_SPEC,
            f"{where} sets {name}, which the controller sets itself or which is listed twice; "
            "use the dedicated field (database, hostname, tls, features, jvmOptions) instead",
        )


def server_args(cr: Keycloak) -> list[str]:
    assert cr.spec.managed is not None
    # Build options come from the KC_* variables: `start` re-augments when they differ
    # from the image's build, so the official image works without a custom build.
    return ["start-dev"] if cr.spec.managed.database.dev else ["start"]


def _probe(path: str, port: int, scheme: str, *, period: int, failures: int) -> JSON:
    return {
        "httpGet": {"path": path, "port": port, "scheme": scheme},
        "periodSeconds": period,
        "failureThreshold": failures,
        "timeoutSeconds": 5,
    }


def container(cr: Keycloak, inputs: Inputs) -> JSON:
    managed = cr.spec.managed
    assert managed is not None
    port = main_port(managed)
    health = inputs.adapter.health_port(port, MANAGEMENT_PORT)
    scheme = "HTTPS" if uses_tls(managed) else "HTTP"
    ports: list[JSON] = [{"name": "http", "containerPort": HTTP_PORT, "protocol": "TCP"}]
    if uses_tls(managed):
        ports.append({"name": "https", "containerPort": HTTPS_PORT, "protocol": "TCP"})
    if inputs.adapter.health_on_management_port:
        ports.append({"name": "management", "containerPort": MANAGEMENT_PORT, "protocol": "TCP"})
    ports.append({"name": "jgroups", "containerPort": JGROUPS_PORT, "protocol": "TCP"})
    out: JSON = {
        "name": "keycloak",
        "image": managed.image,
        "command": [f"{HOME}/bin/kc.sh"],
        "args": server_args(cr),
        "env": server_env(cr, inputs),
        "ports": ports,
        # A first start on an empty database creates the schema: allow 10 minutes.
        "startupProbe": _probe("/health/started", health, scheme, period=5, failures=120),
        "readinessProbe": _probe("/health/ready", health, scheme, period=10, failures=3),
        "livenessProbe": _probe("/health/live", health, scheme, period=10, failures=6),
        "resources": {
            "requests": dict(managed.resources.requests),
            "limits": dict(managed.resources.limits),
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "runAsNonRoot": True,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
    if uses_tls(managed):
        out["volumeMounts"] = [{"name": "tls", "mountPath": TLS_DIR, "readOnly": True}]
    return out


def pod_spec(cr: Keycloak, inputs: Inputs) -> JSON:
    managed = cr.spec.managed
    assert managed is not None
    scheduling = managed.scheduling
    spec: JSON = {
        "containers": [container(cr, inputs)],
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": 60,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": IMAGE_UID,
            "runAsGroup": 0,
            "fsGroup": 0,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
    if managed.image_pull_secrets:
        spec["imagePullSecrets"] = [{"name": n} for n in managed.image_pull_secrets]
    if scheduling.node_selector:
        spec["nodeSelector"] = dict(scheduling.node_selector)
    if scheduling.tolerations:
        spec["tolerations"] = list(scheduling.tolerations)
    if scheduling.affinity is not None:
        spec["affinity"] = scheduling.affinity
    if scheduling.priority_class_name:
        spec["priorityClassName"] = scheduling.priority_class_name
    spec["topologySpreadConstraints"] = list(scheduling.topology_spread_constraints) or [
        {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": selector_labels(cr.metadata.name)},
        }
    ]
    if managed.tls is not None:
        spec["volumes"] = [{"name": "tls", "secret": {"secretName": managed.tls.secret_name}}]
    return spec


def stateful_set(cr: Keycloak, uid: str, inputs: Inputs) -> JSON:
    name = cr.metadata.name
    annotations = {VERSION_ANNOTATION: str(inputs.version)}
    recorded = {VERSION_ANNOTATION: str(inputs.recorded_version)}
    template_annotations = {**annotations, SECRETS_ANNOTATION: inputs.secrets_digest}
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": _meta(cr, uid, name, annotations=recorded),
        "spec": {
            "replicas": inputs.replicas,
            "serviceName": names(name)["discovery"],
            # Keycloak pods need no ordered start; all come up at once.
            "podManagementPolicy": "Parallel",
            "updateStrategy": {"type": "RollingUpdate"},
            "selector": {"matchLabels": selector_labels(name)},
            "template": {
                "metadata": {"labels": labels(name), "annotations": template_annotations},
                "spec": pod_spec(cr, inputs),
            },
        },
    }


def http_service(cr: Keycloak, uid: str, inputs: Inputs) -> JSON:
    managed = cr.spec.managed
    assert managed is not None
    ports: list[JSON] = []
    if managed.tls is None or managed.tls.http_enabled:
        ports.append({"name": "http", "port": HTTP_PORT, "targetPort": "http"})
    if managed.tls is not None:
        ports.append({"name": "https", "port": HTTPS_PORT, "targetPort": "https"})
    if inputs.adapter.health_on_management_port:
        ports.append({"name": "management", "port": MANAGEMENT_PORT, "targetPort": "management"})
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(cr, uid, cr.metadata.name),
        "spec": {
            "type": "ClusterIP",
            "selector": selector_labels(cr.metadata.name),
            "ports": [{**p, "protocol": "TCP"} for p in ports],
        },
    }


def discovery_service(cr: Keycloak, uid: str) -> JSON:
    name = cr.metadata.name
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(cr, uid, names(name)["discovery"]),
        "spec": {
            "clusterIP": "None",
            # Starting pods must find each other before they are Ready.
            "publishNotReadyAddresses": True,
            "selector": selector_labels(name),
            "ports": [
                {
                    "name": "jgroups",
                    "port": JGROUPS_PORT,
                    "targetPort": "jgroups",
                    "protocol": "TCP",
                }
            ],
        },
    }


def disruption_budget(cr: Keycloak, uid: str) -> JSON | None:
    managed = cr.spec.managed
    assert managed is not None
    if not managed.pod_disruption_budget.enabled:
        return None
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _meta(cr, uid, cr.metadata.name),
        "spec": {
            "maxUnavailable": managed.pod_disruption_budget.max_unavailable,
            "selector": {"matchLabels": selector_labels(cr.metadata.name)},
        },
    }


def ingress(cr: Keycloak, uid: str) -> JSON | None:
    managed = cr.spec.managed
    assert managed is not None
    spec = managed.ingress
    if spec is None:
        return None
    port = "https" if managed.tls is not None and not managed.tls.http_enabled else "http"
    body: JSON = {
        "rules": [
            {
                "host": spec.host,
                "http": {
                    "paths": [
                        {
                            "path": spec.path,
                            "pathType": "Prefix",
                            "backend": {
                                "service": {"name": cr.metadata.name, "port": {"name": port}}
                            },
                        }
                    ]
                },
            }
        ]
    }
    if spec.class_name:
        body["ingressClassName"] = spec.class_name
    if spec.tls_secret:
        body["tls"] = [{"hosts": [spec.host], "secretName": spec.tls_secret}]
    meta = _meta(cr, uid, cr.metadata.name)
    if spec.annotations:
        meta["annotations"] = dict(spec.annotations)
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": body}


def network_policy(cr: Keycloak, uid: str, inputs: Inputs) -> JSON | None:
    managed = cr.spec.managed
    assert managed is not None
    if not managed.network_policy.enabled:
        return None
    own = {"podSelector": {"matchLabels": selector_labels(cr.metadata.name)}}
    served = [main_port(managed)]
    if managed.tls is not None and managed.tls.http_enabled:
        served.append(HTTP_PORT)
    if inputs.adapter.health_on_management_port:
        served.append(MANAGEMENT_PORT)
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta(cr, uid, cr.metadata.name),
        "spec": {
            "podSelector": {"matchLabels": selector_labels(cr.metadata.name)},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [*managed.network_policy.from_, own],
                    "ports": [{"port": p, "protocol": "TCP"} for p in served],
                },
                # Cache clustering between Keycloak's own pods only.
                {"from": [own], "ports": [{"port": JGROUPS_PORT, "protocol": "TCP"}]},
            ],
        },
    }


def service_monitor(cr: Keycloak, uid: str, inputs: Inputs) -> JSON | None:
    managed = cr.spec.managed
    assert managed is not None
    monitor = managed.service_monitor
    if not monitor.enabled:
        return None
    port = (
        "management"
        if inputs.adapter.health_on_management_port
        else ("https" if managed.tls is not None and not managed.tls.http_enabled else "http")
    )
    meta = _meta(cr, uid, cr.metadata.name)
    meta["labels"] = {**meta["labels"], **monitor.labels}
    endpoint: JSON = {"port": port, "path": "/metrics", "interval": monitor.interval}
    if managed.tls is not None:
        endpoint["scheme"] = "https"
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": meta,
        "spec": {
            "selector": {"matchLabels": selector_labels(cr.metadata.name)},
            "endpoints": [endpoint],
        },
    }


def render(cr: Keycloak, uid: str, inputs: Inputs) -> list[JSON]:
    """Every object, in apply order (the Services before the pods that use them)."""
    optional: Iterable[JSON | None] = (
        disruption_budget(cr, uid),
        ingress(cr, uid),
        network_policy(cr, uid, inputs),
        service_monitor(cr, uid, inputs),
    )
    return [
        discovery_service(cr, uid),
        http_service(cr, uid, inputs),
        *(o for o in optional if o is not None),
        stateful_set(cr, uid, inputs),
    ]
