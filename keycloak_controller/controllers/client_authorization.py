"""Authorization services of a KeycloakClient (`spec.authorization`): observe and plan.

Hooked into the client reconciler: `refuse_script_policies` in resolve,
`observe_authorization` once the client exists with authorization services
enabled, `plan_authorization` after the client's own changes. The client's
PUT turns authorization services on (`authorizationServicesEnabled`); the
plan that does so observes again before planning what hangs off it.

Order of writes: settings, then scopes -> resources -> policies (members before
the aggregates that name them) -> permissions are created or updated, then what
is no longer listed is deleted, permissions first. Names are resolved to ids when
a change runs, so a scope created earlier in the same pass is found; a name that
does not exist is an InvalidSpec condition naming the field and the name.
Removal policies are in `client_authorization_model`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace

from keycloak_controller.api import KeycloakClient
from keycloak_controller.api.client_authorization import (
    AuthorizationPermission,
    AuthorizationPolicy,
    AuthorizationResource,
    AuthorizationScope,
    ClientAuthorization,
)
from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import ResourceServerRepresentation, ScopeRepresentation
from keycloak_controller.keycloak.resources.authorization import PermissionType

from . import client_authorization_model as model
from . import reasons
from .childset import SetOps
from .client_authorization_model import ActualPolicy, ActualResource
from .context import Context
from .parents import RealmParent
from .plan import Change, Verb
from .reasons import Problem
from .roles import RoleResolver

PATH = f"spec.{model.PATH}"


def refuse_script_policies(ctx: Context, cr: KeycloakClient, parents: RealmParent) -> None:
    """JavaScript policies run code inside Keycloak with the realm's data: only with the
    realm's allowScriptMappers grant for this namespace (NotGranted otherwise)."""
    wanted = cr.spec.authorization
    scripts = wanted.script_policies() if wanted is not None else []
    if not scripts:
        return
    realm = parents.realm
    namespace = cr.metadata.namespace
    grants = realm.spec.client_authorization_grants or []
    labels = ctx.labels_if(any(g.needs_labels for g in grants), namespace)
    if realm.spec.allows_script_mappers(namespace, labels):
        return
    raise Problem(
        reasons.NOT_GRANTED,
        f"JavaScript authorization policies are asked for ({', '.join(scripts)}); "
        f"KeycloakRealm {realm.metadata.namespace}/{realm.metadata.name} must grant namespace "
        f"{namespace} with allowScriptMappers: true, or remove them from "
        f"{PATH}.policies",
    )


@dataclass
class ObservedAuthorization:
    client_uuid: str
    exported: ResourceServerRepresentation  # settings and every item, references by name
    scopes: list[ScopeRepresentation] | None = None  # with ids; None: not managed
    resources: list[ActualResource] | None = None
    policies: list[ActualPolicy] | None = None
    permissions: list[ActualPolicy] | None = None


def observe_authorization(
    admin: KeycloakAdmin, realm: str, client_uuid: str, wanted: ClientAuthorization
) -> ObservedAuthorization:
    """Read what the spec manages: the export, plus the lists that carry the ids."""
    authz = admin.authorization
    exported = authz.export(realm, client_uuid)
    observed = ObservedAuthorization(client_uuid, exported)
    if wanted.scopes is not None:
        observed.scopes = authz.scopes(realm, client_uuid)
    if wanted.resources is not None:
        by_name = {r.name: r for r in exported.resources or []}
        observed.resources = [
            ActualResource(
                r.field_id or "",
                by_name.get(r.name) or r,
                # The resource server's own resources are owned by the client.
                user_owned=r.owner is not None and r.owner.id not in (None, client_uuid),
            )
            for r in authz.resources(realm, client_uuid)
            if r.field_id
        ]
    if wanted.policies is not None or wanted.permissions is not None:
        exported_policies = {p.name: p for p in exported.policies or []}
        every = [
            ActualPolicy(
                p.id,
                # The list's owner (users' sharing) with the export's named config.
                (exported_policies.get(p.name) or p).model_copy(update={"owner": p.owner}),
            )
            for p in authz.policies(realm, client_uuid, permission=None)
            if p.id
        ]
        observed.policies = [p for p in every if not p.is_permission]
        observed.permissions = [p for p in every if p.is_permission]
    return observed


class AuthorizationNames:
    """model.Names against Keycloak, cached for one reconcile. This client's own scopes,
    resources and policies are listed again on a miss: an earlier change of the same
    pass may have created them."""

    def __init__(self, admin: KeycloakAdmin, realm: str, client_uuid: str) -> None:
        self.admin = admin
        self.realm = realm
        self.client_uuid = client_uuid
        self.roles = RoleResolver(admin, realm)
        self._own: dict[str, dict[str, str]] = {}
        self._ids: dict[tuple[str, str], str] = {}  # (kind, name) -> id, realm-level

    def _cached(self, kind: str, name: str, find: Callable[[], str | None], path: str) -> str:
        key = (kind, name)
        if key not in self._ids:
            found = find()
            if not found:
                # A realm-level object (user, group, scope) may be created later.
                raise reasons.unresolved(
                    f"{path}: unknown {kind} {name!r} in realm {self.realm!r}; create it"
                )
            self._ids[key] = found
        return self._ids[key]

    @staticmethod
    def _missing(path: str, what: str, hint: str) -> Problem:
        return Problem(reasons.INVALID_SPEC, f"{path}: unknown {what}; {hint}")

    def role(self, name: str, path: str) -> str:
        client_id, _, role = name.partition("/") if "/" in name else (None, "", name)
        try:
            found = self.roles.role(role, client_id)
        except Problem as problem:
            raise Problem(
                problem.reason, f"{path}: {problem.message}", waiting=problem.waiting
            ) from None
        return found.id or ""

    def group(self, path_: str, path: str) -> str:
        def find() -> str | None:
            group = self.admin.groups.find_by_path(self.realm, path_)
            return group.id if group is not None else None

        return self._cached("group", path_, find, path)

    def user(self, username: str, path: str) -> str:
        def find() -> str | None:
            user = self.admin.users.find(self.realm, username)
            return user.id if user is not None else None

        return self._cached("user", username, find, path)

    def client(self, client_id: str, path: str) -> str:
        try:
            return self.roles.client_uuid(client_id)
        except Problem as problem:
            raise Problem(
                problem.reason, f"{path}: {problem.message}", waiting=problem.waiting
            ) from None

    def client_scope(self, name: str, path: str) -> str:
        def find() -> str | None:
            scope = self.admin.client_scopes.find(self.realm, name)
            return scope.id if scope is not None else None

        return self._cached("client scope", name, find, path)

    def _own_id(self, kind: str, name: str, path: str) -> str:
        if name not in self._own.get(kind, {}):
            self._own[kind] = self._list(kind)
        found = self._own[kind].get(name)
        if found is None:
            listed = {"scope": "scopes", "resource": "resources", "policy": "policies"}[kind]
            raise self._missing(
                path, f"{kind} {name!r} of this client", f"add it to {PATH}.{listed}"
            )
        return found

    def _list(self, kind: str) -> dict[str, str]:
        authz, realm, uuid = self.admin.authorization, self.realm, self.client_uuid
        if kind == "scope":
            return {s.name: s.id for s in authz.scopes(realm, uuid) if s.name and s.id}
        if kind == "resource":
            return {
                r.name: r.field_id for r in authz.resources(realm, uuid) if r.name and r.field_id
            }
        return {
            p.name: p.id for p in authz.policies(realm, uuid, permission=None) if p.name and p.id
        }

    def scope(self, name: str, path: str) -> str:
        return self._own_id("scope", name, path)

    def resource(self, name: str, path: str) -> str:
        return self._own_id("resource", name, path)

    def policy(self, name: str, path: str) -> str:
        return self._own_id("policy", name, path)

    def forget(self, kind: str) -> None:
        """A change created or deleted one of this client's own items."""
        self._own.pop(kind, None)


def plan_authorization(
    admin: KeycloakAdmin,
    realm: str,
    wanted: ClientAuthorization,
    observed: ObservedAuthorization,
) -> list[Change]:
    uuid = observed.client_uuid
    authz = admin.authorization
    names = AuthorizationNames(admin, realm, uuid)
    writes: list[Change] = []
    deletes: list[Change] = []

    def split(changes: list[Change]) -> None:
        writes.extend(c for c in changes if c.verb is not Verb.DELETE)
        deletes[:0] = [c for c in changes if c.verb is Verb.DELETE]  # later sets first

    settings = model.settings_changes(wanted, observed.exported)
    if settings:

        def put_settings() -> None:
            current = authz.settings(realm, uuid)
            authz.update_settings(realm, uuid, model.settings_body(settings, current))

        writes.append(
            Change(f"{model.PATH}.{', '.join(sorted(settings))}", Verb.UPDATE, put_settings)
        )

    if wanted.scopes is not None and observed.scopes is not None:

        def create_scope(want: AuthorizationScope) -> None:
            authz.create_scope(realm, uuid, model.scope_body(want))
            names.forget("scope")

        def update_scope(want: AuthorizationScope, have: ScopeRepresentation) -> None:
            authz.update_scope(realm, uuid, have.id or "", model.scope_body(want, have))

        def delete_scope(have: ScopeRepresentation) -> None:
            with contextlib.suppress(kc_errors.NotFound):
                authz.delete_scope(realm, uuid, have.id or "")

        plan = model.SCOPES.plan(wanted.scopes, observed.scopes)
        split(model.SCOPES.changes(plan, SetOps(create_scope, delete_scope, update_scope)))

    if wanted.resources is not None and observed.resources is not None:

        def create_resource(want: AuthorizationResource) -> None:
            authz.create_resource(realm, uuid, model.resource_body(want, names))
            names.forget("resource")

        def update_resource(want: AuthorizationResource, have: ActualResource) -> None:
            authz.update_resource(realm, uuid, have.id, model.resource_body(want, names, have))

        def delete_resource(have: ActualResource) -> None:
            with contextlib.suppress(kc_errors.NotFound):
                authz.delete_resource(realm, uuid, have.id)

        plan_r = model.RESOURCES.plan(wanted.resources, observed.resources)
        split(
            model.RESOURCES.changes(
                plan_r, SetOps(create_resource, delete_resource, update_resource)
            )
        )

    def delete_policy(have: ActualPolicy) -> None:
        with contextlib.suppress(kc_errors.NotFound):
            authz.delete_policy(realm, uuid, have.id)
        names.forget("policy")

    if wanted.policies is not None and observed.policies is not None:

        def create_policy(want: AuthorizationPolicy) -> None:
            body = model.policy_body(want, names)
            authz.create_policy(realm, uuid, model.policy_type(want), body)
            names.forget("policy")

        def update_policy(want: AuthorizationPolicy, have: ActualPolicy) -> None:
            kind = model.policy_type(want)
            if have.type != kind:  # a policy's type cannot change in place
                delete_policy(have)
                create_policy(want)
                return
            authz.update_policy(realm, uuid, kind, have.id, model.policy_body(want, names, have.id))

        desired = model.creation_order(wanted.policies)
        plan_p = model.POLICIES.plan(desired, observed.policies)
        changes = model.POLICIES.changes(
            plan_p, SetOps(create_policy, delete_policy, update_policy)
        )
        # A policy whose type changes is deleted and made again, which drops it from the
        # permissions and aggregates that name it: they are planned again after it.
        replaced = {
            f"{model.POLICIES.name}[{want.name}]"
            for want, have in plan_p.update
            if have.type != model.policy_type(want)
        }
        split([replace(c, reobserve=True) if c.path in replaced else c for c in changes])

    if wanted.permissions is not None and observed.permissions is not None:

        def create_permission(want: AuthorizationPermission) -> None:
            body = model.permission_body(want, names)
            authz.create_permission(realm, uuid, kind_of(want), body)
            names.forget("policy")

        def update_permission(want: AuthorizationPermission, have: ActualPolicy) -> None:
            if have.type != want.kind():
                delete_policy(have)
                create_permission(want)
                return
            body = model.permission_body(want, names, have.id)
            authz.update_permission(realm, uuid, kind_of(want), have.id, body)

        plan_m = model.PERMISSIONS.plan(wanted.permissions, observed.permissions)
        split(
            model.PERMISSIONS.changes(
                plan_m, SetOps(create_permission, delete_policy, update_permission)
            )
        )
    return writes + deletes


def kind_of(permission: AuthorizationPermission) -> PermissionType:
    return "scope" if permission.scopes is not None else "resource"
