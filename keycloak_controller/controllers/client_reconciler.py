"""Reconciles `KeycloakClient`: the client (OIDC or SAML), its mappers, scopes, roles,
service-account roles and groups, and the credentials Secret in the client's namespace.

resolve: the KeycloakRealm (exists, grants this namespace, and allows the admin
roles and script mappers the spec asks for) and its Keycloak ->
observe: the client (one cached read per realm per wave; its representation
carries mappers, scopes and secret), the certificates its spec names (Secrets),
the flow ids of its flow overrides, its roles and service-account mappings and
groups when the spec manages them -> plan: `client_plan` and the child sets ->
the skeleton applies -> status: uuid, realm, Secret name, service account.

Child sets and their removal policies:
- protocolMappers, defaultClientScopes, optionalClientScopes: authoritative when set;
- authenticationFlowOverrides: authoritative when set;
- roles: owned-only; a role's composites: authoritative when set;
- serviceAccount realm roles: authoritative (except default-roles-<realm>);
  client roles: authoritative per listed client; groups: authoritative when set.
"""

from __future__ import annotations

import contextlib
import functools
import time
from dataclasses import dataclass, field

from keycloak_controller.api import KeycloakClient, KeycloakClientStatus
from keycloak_controller.api.client import KeycloakClientSpec, ProtocolMapper
from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.keycloak.models import (
    ClientRepresentation,
    GroupRepresentation,
    MappingsRepresentation,
    ProtocolMapperRepresentation,
)
from keycloak_controller.keycloak.resources.client_cache import CachedClient
from keycloak_controller.keycloak.secrets import Secret
from keycloak_controller.runtime.objects import KubeObject, object_key
from keycloak_controller.runtime.reconcile import Request, Result

from . import client_credentials as credentials
from . import client_plan as model
from . import client_settings as settings
from . import reasons
from .childset import SetOps
from .claims import earlier_claimant, refuse
from .client_authorization import (
    ObservedAuthorization,
    observe_authorization,
    plan_authorization,
    refuse_script_policies,
)
from .client_guards import (
    composite_admin_roles,
    group_admin_roles,
    new_roles,
    refuse_ungranted,
)
from .client_settings import ClientInputs
from .context import Context
from .group_membership import group_changes
from .kinds import CLIENTS
from .kube import controlled_by, secret_data, write_owned_secret
from .ownership import Adoption, Claimant, Ownership, adopting, claim, stamp_only
from .parents import RealmParent, realm_missing, realm_parent, require_realm_reconciled
from .plan import Change, Plan, Target, Verb
from .reasons import Problem
from .role_mappings import plan_mappings, user_subject
from .roles import ObservedRoles, RoleResolver, observe_roles, plan_roles
from .skeleton import KindReconciler, observing, owner_of


@dataclass
class ObservedClient:
    view: CachedClient
    client: ClientRepresentation | None
    byo_secret: Secret | None = None
    roles: ObservedRoles | None = None
    service_account: tuple[str, MappingsRepresentation] | None = None
    inputs: ClientInputs = field(default_factory=ClientInputs)
    service_account_groups: list[GroupRepresentation] | None = None
    idp_certificate: str | None = None
    authorization: ObservedAuthorization | None = None
    rotation: credentials.RotationPlan | None = None


class ClientReconciler(KindReconciler[KeycloakClient, RealmParent, ObservedClient]):
    model = KeycloakClient
    noun = "client"

    def describe(self, cr: KeycloakClient) -> str:
        return f"Client {cr.spec.client_id}"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.rotation_clock = credentials.RotationClock()

    def reconcile(self, request: Request) -> Result:
        # A scheduled secret rotation may be due before the next resync.
        result = super().reconcile(request)
        return self.rotation_clock.shorten(request, result, time.time())

    def resolve(self, cr: KeycloakClient, *, cleanup: bool = False) -> RealmParent:
        parents = realm_parent(
            self.ctx,
            cr.metadata.namespace,
            cr.spec.realm_ref,
            admin_roles=model.admin_roles_requested(cr.spec.service_account),
            cleanup=cleanup,
        )
        if not cleanup:
            refuse_ungranted(self.ctx, cr, parents, script_mappers=cr.spec.script_mappers())
            refuse_script_policies(self.ctx, cr, parents)
        return parents

    # --- observe ----------------------------------------------------------------------

    def observe(self, cr: KeycloakClient, parents: RealmParent) -> ObservedClient:
        spec = cr.spec
        view = self.ctx.client_cache.client(parents.admin, parents.name, spec.client_id)
        try:
            client = view.find()
        except kc_errors.NotFound:
            raise realm_missing(parents.name) from None
        byo = None
        if spec.credentials_secret and spec.credentials_secret.existing_secret:
            byo = self.ctx.reader.value(
                cr.metadata.namespace, spec.credentials_secret.existing_secret
            )
        admin, realm = parents.admin, parents.name
        inputs = ClientInputs(
            certificates=self._certificates(cr),
            flow_overrides=self._flow_overrides(spec, parents),
        )
        observed = ObservedClient(view, client, byo, inputs=inputs)
        if spec.protocol == "saml":
            # Keycloak signs SAML documents with the realm's active RS256 key.
            observed.idp_certificate = admin.clients.idp_signing_certificate(realm, "RS256")
        if client is None or not client.id:
            return observed
        if spec.roles is not None:
            observed.roles = observe_roles(admin, realm, spec.roles, client.id)
        # The service account exists once Keycloak has it enabled: a plan that enables it
        # observes again before planning its roles.
        if spec.service_account is not None and client.service_accounts_enabled:
            user = admin.clients.service_account_user_id(realm, client.id)
            observed.service_account = (user, admin.user_role_mappings.all(realm, user))
            if spec.service_account.groups is not None:
                observed.service_account_groups = list(admin.users.iter_groups(realm, user))
        if spec.authorization is not None and client.authorization_services_enabled:
            observed.authorization = observe_authorization(
                admin, realm, client.id, spec.authorization
            )
        if spec.uses_client_secret() and not client.secret and byo is None:
            secret = admin.clients.get_secret(realm, client.id).value
            observed.client = client.model_copy(update={"secret": secret})
        return observed

    def _certificates(self, cr: KeycloakClient) -> dict[str, str]:
        """The certificates the spec names, as Keycloak stores them (public material,
        but read from Secrets like every other input)."""
        found: dict[str, str] = {}
        for attribute, (path, ref) in settings.certificate_refs(cr.spec).items():
            value = self.ctx.reader.value(cr.metadata.namespace, ref)
            where = f"{path} (Secret {ref.name}, key {ref.key})"
            found[attribute] = settings.certificate_body(value.reveal(), where)
        return found

    @staticmethod
    def _flow_overrides(spec: KeycloakClientSpec, parents: RealmParent) -> dict[str, str] | None:
        """The flow ids of the overrides the spec names by alias (None: unmanaged)."""
        wanted = spec.authentication_flow_overrides
        if wanted is None:
            return None
        by_key = {"browser": wanted.browser, "direct_grant": wanted.direct_grant}
        aliases = {key: alias for key, alias in by_key.items() if alias is not None}
        if not aliases:
            return {}
        flows = {
            f.alias: f.id
            for f in parents.admin.authentication.flows(parents.name)
            if f.alias and f.id and f.top_level
        }
        ids: dict[str, str] = {}
        for key, alias in aliases.items():
            found = flows.get(alias)
            if found is None:
                field = settings.FLOW_OVERRIDE_KEYS[key]
                raise Problem(
                    reasons.INVALID_SPEC,
                    f"spec.authenticationFlowOverrides.{field}: no top-level authentication "
                    f"flow {alias!r} in realm {parents.name!r}; create it (e.g. in the "
                    "KeycloakRealm's spec.authenticationFlows) or fix the alias",
                )
            ids[key] = found
        return ids

    # --- plan -------------------------------------------------------------------------

    def plan(self, cr: KeycloakClient, parents: RealmParent, observed: ObservedClient) -> Plan:
        spec = cr.spec
        plan = Plan()
        client = observed.client
        owner = owner_of(cr)
        manage = not observing(cr)
        attributes = owner.attributes() if manage else {}
        desired = model.desired_client(spec, attributes, observed.byo_secret, observed.inputs)
        if client is None:
            if manage:
                require_realm_reconciled(
                    parents.realm, "the client", "which gives it the realm's default client scopes"
                )
                create = desired.model_copy(
                    update={
                        "default_client_scopes": spec.default_client_scopes,
                        "optional_client_scopes": spec.optional_client_scopes,
                    }
                )
                plan.add(
                    "client", Verb.CREATE, lambda: observed.view.create(create), reobserve=True
                )
            return plan
        decision = Ownership.OWNED
        if manage:
            what = f"client {spec.client_id!r} in realm {parents.name!r}"
            decision = claim(owner, what, client.attributes, spec.adopt_existing)
            if decision is Ownership.UNOWNED:
                refuse(CLIENTS, what, self._earlier_claimant(cr))
        uuid = client.id or ""
        fields = model.changed_fields(desired, client)
        if fields and stamp_only(decision, bool(self._changed_unstamped(spec, observed))):
            fields = []  # adopted as it is: the stamp waits for the first real write
        if fields:
            enables_account = spec.service_account is not None and observed.service_account is None
            plan.add(
                ", ".join(fields),
                Verb.UPDATE,
                lambda: self._update(observed.view, uuid, desired),
                reobserve=enables_account
                or (spec.authorization is not None and observed.authorization is None),
            )
        if spec.protocol_mappers is not None:
            plan.extend(self._mapper_changes(observed.view, uuid, spec, client))
        plan.extend(self._scope_changes(observed.view, parents, uuid, spec, client))
        if spec.roles is not None and observed.roles is not None:
            tag = f"KeycloakClient/{cr.metadata.namespace}/{cr.metadata.name}"
            # With adoptExisting an untagged role that matches is left as it is (no
            # record of it is kept: removed from the spec, it stays in Keycloak).
            adoption = Adoption(adopt=True) if manage and spec.adopt_existing else None
            with adopting(adoption):
                roles = plan_roles(
                    parents.admin, parents.name, spec.roles, observed.roles, tag, uuid
                )
            plan.extend(roles)
        if spec.service_account is not None and observed.service_account is not None:
            user, have = observed.service_account
            subject = user_subject(parents.admin, parents.name, user, "serviceAccount")
            resolver = RoleResolver(parents.admin, parents.name)
            added = new_roles(resolver, spec.service_account, have)
            through = composite_admin_roles(parents.admin, parents.name, added)
            if through:
                refuse_ungranted(self.ctx, cr, parents, admin_roles=through)
            plan.extend(plan_mappings(resolver, subject, spec.service_account, have))
            paths = spec.service_account.groups
            if paths is not None and observed.service_account_groups is not None:
                self._check_group_roles(cr, parents, paths, observed.service_account_groups)
                plan.extend(
                    group_changes(
                        parents.admin,
                        parents.name,
                        user,
                        paths,
                        observed.service_account_groups,
                        field="spec.serviceAccount.groups",
                    )
                )
        if spec.authorization is not None and observed.authorization is not None:
            authz = plan_authorization(
                parents.admin, parents.name, spec.authorization, observed.authorization
            )
            plan.extend(authz)
        self._secret_change(plan, cr, parents, observed)
        return plan

    @staticmethod
    def _changed_unstamped(spec: KeycloakClientSpec, observed: ObservedClient) -> list[str]:
        """The fields an adopted client differs in, leaving out the ownership stamp."""
        assert observed.client is not None
        bare = model.desired_client(spec, {}, observed.byo_secret, observed.inputs)
        return model.changed_fields(bare, observed.client)

    def _earlier_claimant(self, cr: KeycloakClient) -> Claimant | None:
        """Nothing is stamped at adoption: another KeycloakClient under the same
        KeycloakRealm for the same clientId that claimed it first keeps it."""
        meta, ref = cr.metadata, cr.spec.realm_ref
        return earlier_claimant(
            self.ctx,
            CLIENTS,
            meta.namespace,
            meta.name,
            ("realm", object_key(ref.namespace_or(meta.namespace), ref.name)),
            lambda spec: spec.get("clientId"),
        )

    def _check_group_roles(
        self,
        cr: KeycloakClient,
        parents: RealmParent,
        paths: list[str],
        have: list[GroupRepresentation],
    ) -> None:
        """Joining a group that holds admin roles is asking for them: gate it the same way."""
        current = {g.path for g in have}
        joining = [p for p in sorted(set(paths)) if p not in current]
        found = group_admin_roles(parents.admin, parents.name, joining)
        if found:
            refuse_ungranted(self.ctx, cr, parents, admin_roles=found)

    @staticmethod
    def _update(view: CachedClient, uuid: str, desired: ClientRepresentation) -> None:
        """PUT on a fresh read, not the cached one: a field someone edited in Keycloak
        since the cache was filled must not be overwritten with an older value."""
        update = model.client_update(desired, view.read(uuid))
        if update is not None:
            view.update(uuid, update)

    @staticmethod
    def _mapper_changes(
        view: CachedClient, uuid: str, spec: KeycloakClientSpec, client: ClientRepresentation
    ) -> list[Change]:
        protocol = spec.protocol

        def update(want: ProtocolMapper, have: ProtocolMapperRepresentation) -> None:
            body = model.desired_mapper(want, protocol)
            if have.protocol_mapper != want.protocol_mapper:
                delete(have)  # the type of a mapper cannot change in place
                view.create_mapper(uuid, body)
                return
            body.id = have.id
            body.config = {**(have.config or {}), **want.config}
            view.update_mapper(uuid, body)

        def delete(have: ProtocolMapperRepresentation) -> None:
            with contextlib.suppress(kc_errors.NotFound):
                view.delete_mapper(uuid, have.id or "")

        def create(want: ProtocolMapper) -> None:
            view.create_mapper(uuid, model.desired_mapper(want, protocol))

        plan = model.MAPPERS.plan(spec.protocol_mappers or [], client.protocol_mappers or [])
        return model.MAPPERS.changes(plan, SetOps(create, delete, update))

    @staticmethod
    def _scope_changes(
        view: CachedClient,
        parents: RealmParent,
        uuid: str,
        spec: KeycloakClientSpec,
        client: ClientRepresentation,
    ) -> list[Change]:
        realm = parents.name

        @functools.cache
        def scope_ids() -> dict[str, str]:
            return {
                s.name: s.id for s in parents.admin.client_scopes.list(realm) if s.name and s.id
            }

        def scope_id(name: str) -> str:
            found = scope_ids().get(name)
            if found is None:
                raise reasons.unresolved(
                    f"unknown client scope {name!r} in realm {realm!r}; create it or remove it "
                    "from the spec",
                )
            return found

        changes: list[Change] = []
        wanted = {False: spec.default_client_scopes, True: spec.optional_client_scopes}
        have = {False: client.default_client_scopes, True: client.optional_client_scopes}
        for optional, names in wanted.items():
            if names is None:
                continue
            scopes = model.scope_set(optional)
            plan = scopes.plan(sorted(set(names)), have[optional] or [])

            def attach(name: str, optional: bool = optional) -> None:
                view.add_scope(uuid, scope_id(name), optional=optional)

            def detach(name: str, optional: bool = optional) -> None:
                if name in scope_ids():
                    view.remove_scope(uuid, scope_ids()[name], optional=optional)

            changes += scopes.changes(plan, SetOps(attach, detach))
        return changes

    def _secret_change(
        self, plan: Plan, cr: KeycloakClient, parents: RealmParent, observed: ObservedClient
    ) -> None:
        """The credentials Secret in the client's namespace (a Kubernetes write, so it is
        kept in Observe mode too)."""
        spec = cr.spec
        client = observed.client
        secret: Secret | None = None
        if spec.uses_client_secret():
            value = observed.byo_secret or Secret((client.secret if client else None) or "")
            secret = value
        data = model.credentials_data(
            spec.client_id,
            secret,
            parents.base_url,
            parents.name,
            saml=spec.protocol == "saml",
            idp_certificate=observed.idp_certificate,
        )
        namespace, name = cr.metadata.namespace, spec.credentials_secret_name(cr.metadata.name)
        existing = self.ctx.secrets.get(namespace, name)
        if existing is not None and not controlled_by(existing, cr.metadata.uid):
            raise Problem(
                reasons.OWNERSHIP_CONFLICT,
                f"Secret {namespace}/{name} exists and is not owned by this KeycloakClient; "
                "delete it or set spec.credentialsSecret.name to another name",
            )
        rotation = self._rotation(cr, observed, existing)
        labels, annotations = credentials.secret_metadata(
            spec.credentials_secret, rotation.annotations
        )
        obj = self.ctx.informer(CLIENTS).get(namespace, cr.metadata.name)
        if obj is None:
            return

        def write(value: Secret | None, notes: dict[str, str]) -> None:
            body = model.credentials_data(
                spec.client_id,
                value,
                parents.base_url,
                parents.name,
                saml=spec.protocol == "saml",
                idp_certificate=observed.idp_certificate,
            )
            _, notes = credentials.secret_metadata(spec.credentials_secret, notes)
            write_owned_secret(
                self.ctx.api, namespace, name, body, obj, existing, labels=labels, annotations=notes
            )

        uuid = client.id if client else None
        if rotation.reason and uuid and not observing(cr):
            # Regenerate and write the Secret in one change (a Keycloak write, so never
            # in Observe mode; counted as a Secret write, not as drift). No second pass
            # (the Secret cache is behind the write): status reports the client as the
            # rotation read it back.
            admin, realm = parents.admin, parents.name

            def rotate() -> None:
                observed.client = credentials.rotate(
                    admin,
                    realm,
                    uuid,
                    lambda: self.ctx.client_cache.invalidate(admin, realm, spec.client_id),
                    write,
                    rotation.annotations,
                    credentials.requested_rotation(cr.metadata.annotations),
                )
                observed.rotation = credentials.rescheduled(
                    spec.credentials_secret, observed.client
                )
                self.rotation_clock.set(namespace, cr.metadata.name, observed.rotation.next_due)

            plan.add(
                f"Secret {name} (client secret rotation: {rotation.reason})",
                Verb.UPDATE,
                rotate,
                target=Target.KUBERNETES,
            )
            return
        if secret_data(existing) == data and credentials.metadata_matches(
            existing, labels, annotations
        ):
            return
        plan.add(
            f"Secret {name}",
            Verb.UPDATE if existing else Verb.CREATE,
            lambda: write(secret, rotation.annotations),
            target=Target.KUBERNETES,
        )

    def _rotation(
        self, cr: KeycloakClient, observed: ObservedClient, existing: KubeObject | None
    ) -> credentials.RotationPlan:
        spec = cr.spec
        generated = spec.uses_client_secret() and observed.byo_secret is None
        rotation = credentials.plan_rotation(
            spec.credentials_secret,
            credentials.requested_rotation(cr.metadata.annotations),
            credentials.SecretRecord.of(existing),
            credentials.KeycloakSecretTimes.of(observed.client),
            time.time(),
            generated=generated,
        )
        observed.rotation = rotation
        self.rotation_clock.set(cr.metadata.namespace, cr.metadata.name, rotation.next_due)
        return rotation

    # --- report -----------------------------------------------------------------------

    def found(self, observed: ObservedClient) -> bool:
        return observed.client is not None

    def status(
        self, cr: KeycloakClient, parents: RealmParent, observed: ObservedClient
    ) -> KeycloakClientStatus:
        client = observed.client
        account = observed.service_account
        return KeycloakClientStatus(
            client_uuid=client.id if client else None,
            realm_name=parents.name,
            credentials_secret_name=cr.spec.credentials_secret_name(cr.metadata.name),
            service_account_user_id=account[0] if account else None,
            credentials=credentials.credentials_status(
                observed.rotation or credentials.RotationPlan(None, {}),
                credentials.KeycloakSecretTimes.of(client),
                generated=cr.spec.uses_client_secret() and observed.byo_secret is None,
            ),
        )

    # --- deletion ---------------------------------------------------------------------

    def delete(self, cr: KeycloakClient, parents: RealmParent) -> str:
        # The credentials Secret goes with its ownerReference (garbage collection).
        client_id = cr.spec.client_id
        view = self.ctx.client_cache.client(parents.admin, parents.name, client_id)
        try:
            actual = parents.admin.clients.find(parents.name, client_id)
        except kc_errors.NotFound:
            return ""  # the realm itself is gone
        if actual is None:
            return ""
        decision = owner_of(cr).decide(actual.attributes)
        # Adopted and not written since (so not stamped): still this resource's, unless
        # another resource claimed it first.
        adopted = (
            decision is Ownership.UNOWNED
            and cr.spec.adopt_existing
            and self._earlier_claimant(cr) is None
        )
        if decision is not Ownership.OWNED and not adopted:
            return f"client {client_id} is not owned by this resource; kept"
        with contextlib.suppress(kc_errors.NotFound):
            view.delete(actual.id or "")
        return f"client {client_id} deleted from Keycloak"
