"""Reconciles `KeycloakClient`: the client, its mappers, roles, scopes, service account
roles, and the credentials Secret in the client's namespace.

observe: the CR, its KeycloakRealm (Ready, and granting this namespace), the
realm's Keycloak, the bring-your-own secret, the client in Keycloak (one
search by clientId; its representation carries mappers, scopes and secret) ->
diff: `client_model` (pure) -> act: only the differences -> report.
"""

from __future__ import annotations

import contextlib
from typing import Any

from keycloak_controller.api import AccessType, DeletionPolicy, KeycloakClient, KeycloakRealm
from keycloak_controller.api.roles import RoleMappings
from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import ClientRepresentation, RoleRepresentation
from keycloak_controller.keycloak.secrets import Secret
from keycloak_controller.runtime.objects import KubeObject
from keycloak_controller.runtime.reconcile import Request, Result
from keycloak_controller.runtime.status import StatusWriter

from . import client_model as model
from . import reasons
from .context import Context
from .deletion import finalize
from .finalizer import ensure_finalizer
from .kinds import CLIENTS
from .kube import controlled_by, parse, secret_data, write_owned_secret
from .ownership import Owner, Ownership, conflict_message
from .reasons import Problem
from .reporting import Outcome, Reporter, result_for
from .roles import RoleResolver, sync_roles


def owner_of(obj: KubeObject) -> Owner:
    return Owner("KeycloakClient", obj.namespace, obj.name, obj.uid)


class ClientReconciler:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.reporter = Reporter(StatusWriter(ctx.api, CLIENTS), ctx.events)
        self.backoff = ctx.new_backoff()

    def reconcile(self, request: Request) -> Result:
        obj = self.ctx.clients.get(request.namespace, request.name)
        if obj is None:
            return Result()
        if obj.deletion_timestamp:
            return self.finalize(obj)
        obj = ensure_finalizer(self.ctx.api, CLIENTS, obj)
        fields: dict[str, Any] = {}
        client: KeycloakClient | None = None
        admin: KeycloakAdmin | None = None
        realm_name = ""
        try:
            client = parse(KeycloakClient, obj)
            realm = self.realm_of(client, require_ready=True)
            realm_name = realm.spec.realm_name
            _, keycloak = self.ctx.keycloak_of(realm)
            admin = self.ctx.admin(keycloak)
            base_url = keycloak.spec.external.url if keycloak.spec.external else ""
            fields = self.sync(obj, client, realm_name, admin, base_url)
            outcome = Outcome(True, reasons.SUCCEEDED, f"Client {client.spec.client_id} is in sync")
        except Problem as problem:
            outcome = Outcome.from_problem(problem)
        except kc_errors.KeycloakError as error:
            # Whatever we knew about this client may be why it failed (deleted in
            # Keycloak since the list was read): the retry reads it directly.
            if admin is not None and client is not None:
                self.ctx.client_cache.invalidate(admin, realm_name, client.spec.client_id)
            outcome = Outcome.from_problem(
                reasons.problem_from_keycloak(error, "syncing the client")
            )
        self.reporter.report(obj, outcome, fields)
        return result_for(outcome, request.key, self.ctx.timing, self.backoff)

    # --- observe ----------------------------------------------------------------------

    def realm_of(self, client: KeycloakClient, *, require_ready: bool) -> KeycloakRealm:
        ref = client.spec.realm_ref
        own = client.metadata.namespace
        namespace = ref.namespace_or(own)
        obj = self.ctx.realms.get(namespace, ref.name)
        if obj is None:
            raise Problem(
                reasons.DEPENDENCY_NOT_READY,
                f"KeycloakRealm {namespace}/{ref.name} not found; create it or fix spec.realmRef",
            )
        realm = parse(KeycloakRealm, obj)
        grants = realm.spec.client_authorization_grants or []
        requested = model.admin_roles_requested(client.spec.service_account)
        # A client in the realm's own namespace needs no grant to attach, but an
        # admin-role grant may still select that namespace by label.
        needs_labels = any(g.needs_labels for g in grants) and (namespace != own or bool(requested))
        labels = self.ctx.labels_if(needs_labels, own)
        if not realm.spec.allows_client(own, labels, namespace):
            raise Problem(
                reasons.NOT_GRANTED,
                f"KeycloakRealm {namespace}/{ref.name} does not grant namespace {own}; add it "
                "to the realm's spec.clientAuthorizationGrants",
            )
        if requested and not realm.spec.allows_admin_roles(own, labels):
            raise Problem(
                reasons.NOT_GRANTED,
                f"the service account asks for administrative roles ({', '.join(requested)}); "
                f"KeycloakRealm {namespace}/{ref.name} must grant namespace {own} with "
                "allowAdminRoles: true",
            )
        if require_ready and not realm.status.is_ready(realm.metadata.generation):
            raise Problem(
                reasons.DEPENDENCY_NOT_READY,
                f"KeycloakRealm {namespace}/{ref.name} is not Ready; waiting for it",
            )
        return realm

    # --- act --------------------------------------------------------------------------

    def sync(
        self,
        obj: KubeObject,
        client: KeycloakClient,
        realm: str,
        admin: KeycloakAdmin,
        base_url: str,
    ) -> dict[str, Any]:
        spec = client.spec
        owner = owner_of(obj)
        byo: Secret | None = None
        if spec.credentials_secret and spec.credentials_secret.existing_secret:
            byo = self.ctx.reader.value(obj.namespace, spec.credentials_secret.existing_secret)
        desired = model.desired_client(spec, owner.attributes(), byo)
        cache = self.ctx.client_cache
        # One list per realm per wave instead of one search per client (client_cache).
        actual = cache.find(admin, realm, spec.client_id)
        created = False
        if actual is None:
            create = desired.model_copy(
                update={
                    "default_client_scopes": spec.default_client_scopes,
                    "optional_client_scopes": spec.optional_client_scopes,
                }
            )
            cache.invalidate(admin, realm, spec.client_id)
            try:
                uuid = admin.clients.create(realm, create)
            except kc_errors.Conflict:
                # It exists after all (made since the cached list was read): read it
                # and decide on what is really there, as if it had been found.
                actual = admin.clients.find(realm, spec.client_id)
                if actual is None:
                    raise
            else:
                read_started = cache.now()
                actual = admin.clients.get(realm, uuid)  # server defaults, secret, scopes
                cache.store(admin, realm, actual, read_started)
                created = True
        if not created:
            decision = owner.decide(actual.attributes)
            if decision is Ownership.FOREIGN or (
                decision is Ownership.UNOWNED and not spec.adopt_existing
            ):
                raise Problem(
                    reasons.OWNERSHIP_CONFLICT,
                    conflict_message(
                        owner,
                        f"client {spec.client_id!r} in realm {realm!r}",
                        decision,
                        actual.attributes,
                    ),
                )
            update = model.client_update(desired, actual)
            if update is not None:
                cache.invalidate(admin, realm, spec.client_id)
                admin.clients.update(realm, actual.id or "", update)
                # The PUT's result is known: keep the mappers and scopes we read.
                actual = update.model_copy(
                    update={
                        "protocol_mappers": actual.protocol_mappers,
                        "default_client_scopes": actual.default_client_scopes,
                        "optional_client_scopes": actual.optional_client_scopes,
                    }
                )
        uuid = actual.id or ""
        self.sync_mappers(admin, realm, uuid, client, actual)
        self.sync_scopes(admin, realm, uuid, client, actual)
        if spec.roles is not None:
            sync_roles(admin, realm, spec.roles, f"KeycloakClient/{obj.namespace}/{obj.name}", uuid)
        sa_user = None
        if spec.service_account is not None and spec.effective_flows().service_accounts:
            sa_user = self.sync_service_account(admin, realm, uuid, spec.service_account)
        secret_name = spec.credentials_secret_name(obj.name)
        self.sync_credentials_secret(obj, client, actual, admin, realm, base_url, secret_name)
        return {
            "clientUuid": uuid,
            "realmName": realm,
            "credentialsSecretName": secret_name,
            "serviceAccountUserId": sa_user,
        }

    def sync_mappers(
        self,
        admin: KeycloakAdmin,
        realm: str,
        uuid: str,
        client: KeycloakClient,
        actual: ClientRepresentation,
    ) -> None:
        if client.spec.protocol_mappers is None:
            return
        plan = model.plan_mappers(client.spec.protocol_mappers, actual.protocol_mappers or [])
        if plan.delete or plan.create or plan.update:
            self.ctx.client_cache.invalidate(admin, realm, client.spec.client_id)
        mappers = admin.client_protocol_mappers
        for mapper_id in plan.delete:
            with contextlib.suppress(kc_errors.NotFound):
                mappers.delete(realm, uuid, mapper_id)
        for mapper in plan.create:
            mappers.create(realm, uuid, mapper)
        for mapper in plan.update:
            mappers.update(realm, uuid, mapper.id or "", mapper)

    def sync_scopes(
        self,
        admin: KeycloakAdmin,
        realm: str,
        uuid: str,
        client: KeycloakClient,
        actual: ClientRepresentation,
    ) -> None:
        spec = client.spec
        plans = {
            False: model.plan_scopes(spec.default_client_scopes, actual.default_client_scopes),
            True: model.plan_scopes(spec.optional_client_scopes, actual.optional_client_scopes),
        }
        if not any(plans.values()):
            return
        self.ctx.client_cache.invalidate(admin, realm, spec.client_id)
        ids = {s.name: s.id for s in admin.client_scopes.list(realm) if s.name and s.id}
        for optional, plan in plans.items():
            for name in plan.detach:
                if name in ids:
                    admin.clients.remove_scope(realm, uuid, ids[name], optional=optional)
            for name in plan.attach:
                if name not in ids:
                    raise Problem(
                        reasons.INVALID_SPEC,
                        f"unknown client scope {name!r} in realm {realm!r}; create it or remove "
                        "it from the spec",
                    )
                admin.clients.add_scope(realm, uuid, ids[name], optional=optional)

    def sync_service_account(
        self, admin: KeycloakAdmin, realm: str, uuid: str, wanted: RoleMappings
    ) -> str:
        user = admin.clients.service_account_user_id(realm, uuid)
        resolver = RoleResolver(admin, realm)
        mappings = admin.user_role_mappings.all(realm, user)
        default_role = f"default-roles-{realm}".lower()
        if wanted.realm_roles is not None:
            have = {r.name: r for r in mappings.realm_mappings or [] if r.name}
            want = set(wanted.realm_roles)
            add = [resolver.role(n) for n in sorted(want - set(have))]
            remove = [r for n, r in have.items() if n not in want and n != default_role]
            _apply_mappings(admin, realm, user, add, remove, None)
        for client_id, names in (wanted.client_roles or {}).items():
            current = (mappings.client_mappings or {}).get(client_id)
            have = {r.name: r for r in (current.mappings if current else None) or [] if r.name}
            add = [resolver.role(n, client_id) for n in sorted(set(names) - set(have))]
            remove = [r for n, r in have.items() if n not in set(names)]
            if add or remove:
                _apply_mappings(admin, realm, user, add, remove, resolver.client_uuid(client_id))
        return user

    def sync_credentials_secret(
        self,
        obj: KubeObject,
        client: KeycloakClient,
        actual: ClientRepresentation,
        admin: KeycloakAdmin,
        realm: str,
        base_url: str,
        name: str,
    ) -> None:
        secret: Secret | None = None
        if client.spec.access_type is AccessType.CONFIDENTIAL:
            value = actual.secret
            if not value:
                value = admin.clients.get_secret(realm, actual.id or "").value
            secret = Secret(value or "")
        data = model.credentials_data(client.spec.client_id, secret, base_url, realm)
        existing = self.ctx.secrets.get(obj.namespace, name)
        if existing is not None and not controlled_by(existing, obj.uid):
            raise Problem(
                reasons.OWNERSHIP_CONFLICT,
                f"Secret {obj.namespace}/{name} exists and is not owned by this KeycloakClient; "
                "delete it or set spec.credentialsSecret.name to another name",
            )
        if secret_data(existing) != data:
            write_owned_secret(self.ctx.api, obj.namespace, name, data, obj, existing)

    # --- deletion ---------------------------------------------------------------------

    def finalize(self, obj: KubeObject) -> Result:
        # The credentials Secret goes with its ownerReference (garbage collection).
        return finalize(
            obj,
            CLIENTS,
            "client",
            self.cleanup,
            ctx=self.ctx,
            reporter=self.reporter,
            backoff=self.backoff,
        )

    def cleanup(self, obj: KubeObject) -> tuple[bool, str]:
        try:
            client = parse(KeycloakClient, obj)
        except Problem:
            return True, "the object is invalid; nothing was deleted in Keycloak"
        if client.spec.deletion_policy is DeletionPolicy.RETAIN:
            return True, f"deletionPolicy Retain: client {client.spec.client_id} was kept"
        try:
            realm = self.realm_of(client, require_ready=False)
            _, keycloak = self.ctx.keycloak_of(realm)
        except Problem as problem:
            return True, f"{problem.message}; nothing was deleted in Keycloak"
        admin = self.ctx.admin_for_cleanup(keycloak)
        if admin is None:
            return True, "the Keycloak credentials are gone; nothing was deleted in Keycloak"
        realm_name = realm.spec.realm_name
        try:
            actual = admin.clients.find(realm_name, client.spec.client_id)
        except kc_errors.NotFound:
            return True, ""  # the realm itself is gone
        if actual is None:
            return True, ""
        if owner_of(obj).decide(actual.attributes) is not Ownership.OWNED:
            return True, f"client {client.spec.client_id} is not owned by this resource; kept"
        self.ctx.client_cache.invalidate(admin, realm_name, client.spec.client_id)
        with contextlib.suppress(kc_errors.NotFound):
            admin.clients.delete(realm_name, actual.id or "")
        return True, f"client {client.spec.client_id} deleted from Keycloak"


def _apply_mappings(
    admin: KeycloakAdmin,
    realm: str,
    user: str,
    add: list[RoleRepresentation],
    remove: list[RoleRepresentation],
    client_uuid: str | None,
) -> None:
    if add:
        admin.user_role_mappings.add(realm, user, add, client_uuid)
    if remove:
        admin.user_role_mappings.remove(realm, user, remove, client_uuid)
