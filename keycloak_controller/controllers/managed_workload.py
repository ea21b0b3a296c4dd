"""Managed mode, the Kubernetes side: resolve the spec, apply the workload, read its rollout.

observe: resolve the version, the database Secrets and the admin Secret (a
missing one is Stalled with SecretNotFound, naming what to create), read the
StatefulSet's rollout. plan: create the bootstrap admin Secret once, apply every
rendered object with server-side apply (field manager keycloak-controller,
owned by the Keycloak, so the garbage collector removes them with it), delete
optional objects that were switched off. A change of Keycloak version first
scales the StatefulSet to zero and only then starts the new version: Keycloak
supports no mixed-version cluster (its update-compatibility rule allows a
rolling update only when the version stays the same); other changes roll.
"""

from __future__ import annotations

import functools
import json
import secrets
from dataclasses import dataclass

from keycloak_controller.api import Keycloak
from keycloak_controller.api.common import SecretKeySelector
from keycloak_controller.api.keycloak_managed import ManagedKeycloak, Pool
from keycloak_controller.keycloak.adapters import VersionAdapter, adapter_for
from keycloak_controller.keycloak.secrets import Secret
from keycloak_controller.keycloak.version import ServerVersion, VersionUnknown
from keycloak_controller.runtime.kubeapi import ApiException, KubeApi
from keycloak_controller.runtime.objects import SECRETS, STATEFULSETS, KubeObject, ResourceKind

from . import managed_render as render
from .kube import controlled_by
from .plan import Plan, Target, Verb
from .realm_section import secret_digest
from .reasons import INVALID_SPEC, NOT_GRANTED, SECRET_NOT_FOUND, Problem
from .secrets import SecretReader

FIELD_MANAGER = "keycloak-controller"
UPGRADING = "Upgrading"
ROLLING_OUT = "RollingOut"
SCALED_TO_ZERO = "ScaledToZero"

SERVICES = ResourceKind("", "v1", "services", "Service")
PDBS = ResourceKind("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget")
INGRESSES = ResourceKind("networking.k8s.io", "v1", "ingresses", "Ingress")
NETWORK_POLICIES = ResourceKind("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy")
SERVICE_MONITORS = ResourceKind("monitoring.coreos.com", "v1", "servicemonitors", "ServiceMonitor")
_BY_KIND = {
    k.kind: k for k in (STATEFULSETS, SERVICES, PDBS, INGRESSES, NETWORK_POLICIES, SERVICE_MONITORS)
}
# Optional objects, deleted when switched off (only if this Keycloak owns them).
OPTIONAL = (PDBS, INGRESSES, NETWORK_POLICIES, SERVICE_MONITORS)


@dataclass(frozen=True)
class Rollout:
    """The StatefulSet as last observed (None fields: it does not exist yet)."""

    exists: bool
    recorded_version: ServerVersion | None
    replicas: int
    ready: int
    updated: int
    current: int
    generation_observed: bool
    revision_current: bool

    @property
    def complete(self) -> bool:
        return (
            self.exists
            and self.generation_observed
            and self.revision_current
            and self.ready == self.replicas
            and self.updated == self.replicas
        )


@dataclass(frozen=True)
class Workload:
    """What managed mode resolved and observed for one reconcile."""

    inputs: render.Inputs
    desired_replicas: int
    rollout: Rollout
    admin_secret_exists: bool
    upgrading_from: ServerVersion | None

    @property
    def upgrading(self) -> bool:
        return self.upgrading_from is not None


def read_rollout(obj: KubeObject | None) -> Rollout:
    if obj is None:
        return Rollout(False, None, 0, 0, 0, 0, False, False)
    status = obj.get("status") or {}
    recorded = obj.annotations.get(render.VERSION_ANNOTATION)
    version: ServerVersion | None = None
    if recorded:
        try:
            version = ServerVersion.parse(recorded)
        except VersionUnknown:
            version = None
    replicas = int((obj.get("spec") or {}).get("replicas", 1))
    return Rollout(
        exists=True,
        recorded_version=version,
        replicas=replicas,
        ready=int(status.get("readyReplicas") or 0),
        updated=int(status.get("updatedReplicas") or 0),
        current=int(status.get("replicas") or 0),
        generation_observed=int(status.get("observedGeneration") or 0) >= obj.generation,
        revision_current=replicas == 0
        or status.get("currentRevision") == status.get("updateRevision"),
    )


def needs_recreate(recorded: ServerVersion | None, desired: ServerVersion) -> bool:
    """Keycloak rolls only within one version: any other version change recreates."""
    if recorded is None:
        return False
    return (recorded.major, recorded.minor, recorded.patch) != (
        desired.major,
        desired.minor,
        desired.patch,
    )


def _pool(pool: Pool) -> dict[str, int]:
    sizes = {
        "min-size": pool.min_size,
        "initial-size": pool.initial_size,
        "max-size": pool.max_size,
    }
    return {k: v for k, v in sizes.items() if v is not None}


def _ssl(mode: str | None) -> str:
    return f"?sslmode={mode}" if mode else ""


def _require(reader: SecretReader, namespace: str, name: str, key: str, what: str) -> Secret:
    try:
        return reader.value(namespace, SecretKeySelector(name=name, key=key))
    except Problem as problem:
        raise Problem(problem.reason, f"{what}: {problem.message}") from None


def secrets_digest(cr: Keycloak, target: render.DatabaseTarget, reader: SecretReader) -> str:
    """A salted digest of the Secret values the container reads at start (database
    credentials, option values): a rotated Secret changes the pod template, so the
    pods restart with it. The admin Secret is left out: Keycloak reads it only once."""
    managed = cr.spec.managed
    assert managed is not None
    ns = cr.metadata.namespace
    refs = [r for r in (target.username, target.password, target.database_from) if r]
    refs += [
        (o.secret_key_ref.name, o.secret_key_ref.key)
        for o in managed.additional_options
        if o.secret_key_ref is not None
    ]
    parts = [
        secret_digest(_require(reader, ns, name, key, "a referenced Secret"), cr.metadata.uid)
        for name, key in refs
    ]
    return secret_digest(Secret("\0".join(parts)), cr.metadata.uid)


def resolve_database(cr: Keycloak, reader: SecretReader) -> render.DatabaseTarget:
    """The database target; the Secrets it names must exist with their keys (values unread)."""
    managed = cr.spec.managed
    assert managed is not None
    ns = cr.metadata.namespace
    db = managed.database
    if db.external is not None:
        ext = db.external
        for ref, what in (
            (ext.username_secret_ref, "username"),
            (ext.password_secret_ref, "password"),
        ):
            _require(reader, ns, ref.name, ref.key, f"the database {what}")
        return render.DatabaseTarget(
            "postgres",
            host=ext.host,
            port=ext.port,
            database=ext.database,
            username=(ext.username_secret_ref.name, ext.username_secret_ref.key),
            password=(ext.password_secret_ref.name, ext.password_secret_ref.key),
            url_properties=_ssl(ext.ssl_mode.value if ext.ssl_mode else None),
            pool=_pool(ext.pool),
        )
    if db.cloud_native_pg is not None:
        cnpg = db.cloud_native_pg
        app = f"{cnpg.cluster}-app"
        keys = ["username", "password"] + ([] if cnpg.database else ["dbname"])
        for key in keys:
            _require(reader, ns, app, key, f"the CloudNativePG Cluster {cnpg.cluster}'s app Secret")
        return render.DatabaseTarget(
            "postgres",
            host=f"{cnpg.cluster}-rw",
            port=5432,
            database=cnpg.database or "",
            username=(app, "username"),
            password=(app, "password"),
            database_from=None if cnpg.database else (app, "dbname"),
            url_properties=_ssl(cnpg.ssl_mode.value if cnpg.ssl_mode else None),
            pool=_pool(cnpg.pool),
        )
    if db.dev:
        return render.DatabaseTarget("dev-file")
    raise Problem(INVALID_SPEC, "spec.managed.database needs external, cloudNativePG or dev: true")


def admin_secret_name(cr: Keycloak) -> str:
    managed = cr.spec.managed
    assert managed is not None
    return managed.admin.existing_secret or render.names(cr.metadata.name)["admin"]


def version_and_adapter(managed: ManagedKeycloak) -> tuple[ServerVersion, VersionAdapter]:
    version = render.desired_version(managed)
    return version, adapter_for(version)


class ManagedWorkload:
    """Applies and reads the workload of managed Keycloaks through the Kubernetes API."""

    def __init__(self, api: KubeApi, reader: SecretReader) -> None:
        self.api = api
        self.reader = reader

    def observe(self, cr: Keycloak) -> Workload:
        managed = cr.spec.managed
        assert managed is not None
        ns = cr.metadata.namespace
        version, adapter = version_and_adapter(managed)
        database = resolve_database(cr, self.reader)
        digest = secrets_digest(cr, database, self.reader)
        admin = admin_secret_name(cr)
        admin_exists = True
        if managed.admin.existing_secret is not None:
            for key in ("username", "password"):
                _require(self.reader, ns, admin, key, "the bootstrap admin Secret")
        else:
            admin_exists = self.reader.secrets.get(ns, admin) is not None
        rollout = read_rollout(self._get(STATEFULSETS, ns, cr.metadata.name))
        upgrading_from: ServerVersion | None = None
        recorded = rollout.recorded_version
        if needs_recreate(recorded, version) and rollout.current > 0:
            upgrading_from = recorded
        inputs = render.Inputs(
            version=version,
            adapter=adapter,
            database=database,
            admin_secret=admin,
            replicas=0 if upgrading_from is not None else managed.replicas,
            recorded_version=upgrading_from or version,
            secrets_digest=digest,
        )
        return Workload(inputs, managed.replicas, rollout, admin_exists, upgrading_from)

    def plan(self, cr: Keycloak, uid: str, workload: Workload) -> Plan:
        plan = Plan()
        ns, name = cr.metadata.namespace, cr.metadata.name
        if not workload.admin_secret_exists:
            plan.add(
                f"Secret {workload.inputs.admin_secret}",
                Verb.CREATE,
                functools.partial(self.create_admin_secret, cr, uid, workload.inputs.admin_secret),
                target=Target.KUBERNETES,
            )
        rendered = render.render(cr, uid, workload.inputs)
        for body in rendered:
            kind = _BY_KIND[body["kind"]]
            plan.add(
                f"{body['kind']} {body['metadata']['name']}",
                Verb.UPDATE,
                functools.partial(self.apply, kind, body),
                target=Target.KUBERNETES,
            )
        present = {b["kind"] for b in rendered}
        for kind in OPTIONAL:
            if kind.kind not in present:
                plan.add(
                    f"{kind.kind} {name}",
                    Verb.DELETE,
                    functools.partial(self.delete_if_owned, kind, ns, name, uid),
                    target=Target.KUBERNETES,
                )
        return plan

    def create_admin_secret(self, cr: Keycloak, uid: str, name: str) -> None:
        """Made once: Keycloak creates the admin from it on its first start, so an
        existing Secret (a cache that lagged behind our own create) is never replaced."""
        body = {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {
                "name": name,
                "namespace": cr.metadata.namespace,
                "labels": render.labels(cr.metadata.name),
                "ownerReferences": render.owner_references(cr, uid),
            },
            "stringData": {
                "username": render.ADMIN_USERNAME,
                "password": secrets.token_urlsafe(24),
            },
        }
        try:
            self.api.request("POST", SECRETS.collection_path(cr.metadata.namespace), body=body)
        except ApiException as error:
            if error.status != 409:
                raise _apply_problem(SECRETS, name, error) from None

    def read_rollout(self, cr: Keycloak) -> Rollout:
        return read_rollout(self._get(STATEFULSETS, cr.metadata.namespace, cr.metadata.name))

    def apply(self, kind: ResourceKind, body: dict[str, object]) -> None:
        meta = body["metadata"]
        assert isinstance(meta, dict)
        path = kind.object_path(str(meta["namespace"]), str(meta["name"]))
        try:
            self.api.request(
                "PATCH",
                path,
                query={"fieldManager": FIELD_MANAGER, "force": "true"},
                body=json.dumps(body),
                content_type="application/apply-patch+yaml",
            )
        except ApiException as error:
            raise _apply_problem(kind, str(meta["name"]), error) from None

    def delete_if_owned(self, kind: ResourceKind, namespace: str, name: str, uid: str) -> None:
        obj = self._get(kind, namespace, name)
        if obj is not None and controlled_by(obj, uid):
            try:
                self.api.request("DELETE", kind.object_path(namespace, name))
            except ApiException as error:
                if error.status != 404:
                    raise

    def orphan(self, namespace: str, name: str, uid: str) -> list[str]:
        """deletionPolicy Retain: drop this Keycloak's ownerReferences, so nothing is collected."""
        kept = []
        candidates = [(k, name) for k in (STATEFULSETS, SERVICES, *OPTIONAL)]
        candidates += [
            (SERVICES, render.names(name)["discovery"]),
            (SECRETS, render.names(name)["admin"]),
        ]
        for kind, object_name in candidates:
            obj = self._get(kind, namespace, object_name)
            if obj is None or not controlled_by(obj, uid):
                continue
            refs = [
                r
                for r in (obj.get("metadata") or {}).get("ownerReferences") or []
                if r.get("uid") != uid
            ]
            self.api.request(
                "PATCH",
                kind.object_path(namespace, object_name),
                body={"metadata": {"ownerReferences": refs or None}},
                content_type="application/merge-patch+json",
            )
            kept.append(f"{kind.kind} {object_name}")
        return kept

    def _get(self, kind: ResourceKind, namespace: str, name: str) -> KubeObject | None:
        try:
            return KubeObject(self.api.get(kind.object_path(namespace, name)))
        except ApiException as error:
            if error.status == 404:
                return None
            if error.status == 403:
                raise _apply_problem(kind, name, error) from None
            raise


def _apply_problem(kind: ResourceKind, name: str, error: ApiException) -> Problem:
    if error.status == 403:
        return Problem(
            NOT_GRANTED,
            f"the controller may not manage {kind.plural}.{kind.group or 'core'} "
            f"({kind.kind} {name}); grant it as deploy/default does",
        )
    if error.status == 404 and kind is SERVICE_MONITORS:
        return Problem(
            INVALID_SPEC,
            "serviceMonitor.enabled needs the Prometheus Operator's ServiceMonitor CRD "
            "(monitoring.coreos.com/v1); install it or disable the ServiceMonitor",
        )
    if error.status in (400, 404, 422):
        message = _status_message(error)
        return Problem(INVALID_SPEC, f"the apiserver refused {kind.kind} {name}: {message}")
    return Problem(
        "KubernetesUnavailable", f"applying {kind.kind} {name}: HTTP {error.status}; retrying"
    )


def _status_message(error: ApiException) -> str:
    try:
        return str(json.loads(error.body or "{}").get("message", ""))[:500]
    except ValueError:
        return f"HTTP {error.status}"


__all__ = ["SECRET_NOT_FOUND", "ManagedWorkload", "Rollout", "Workload", "read_rollout"]
