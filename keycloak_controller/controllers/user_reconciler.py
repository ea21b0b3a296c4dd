"""Reconciles `KeycloakUser`: the profile, the password from a Secret, roles, groups and
identity-provider links.

resolve: the KeycloakRealm (exists, grants this namespace, allows admin roles
if asked for) and its Keycloak -> observe: the user (search by exact username)
and each part the spec manages -> plan: the profile diff, the password, the
child sets -> the skeleton applies -> status: userId, realm, password source.

Child sets and their removal policies:
- realmRoles: authoritative when set (except default-roles-<realm>);
  clientRoles: authoritative per listed client;
- groups (by path), federatedIdentities (by provider): authoritative when set;
- attributes: additive (listed keys kept equal, others left alone);
  requiredActions: given at creation only (Keycloak removes an action once it
  is done; enforcing the list would ask again forever).
Ownership: the owner attributes are stamped at creation, but Keycloak 24+ drops
attributes its user profile does not declare, so a user is also this
resource's when its id is the one in status.userId.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from keycloak_controller.api.roles import RoleMappingSpec
from keycloak_controller.api.user import (
    FederatedIdentity,
    KeycloakUser,
    KeycloakUserStatus,
    PasswordMode,
    PasswordStatus,
    password_digest,
    password_digest_matches,
    password_salt,
)
from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.keycloak.diff import diff
from keycloak_controller.keycloak.models import (
    CredentialRepresentation,
    FederatedIdentityRepresentation,
    GroupRepresentation,
    MappingsRepresentation,
    UserRepresentation,
)
from keycloak_controller.keycloak.secrets import Secret
from keycloak_controller.runtime.objects import object_key

from .childset import ChildSet, Removal, SetOps
from .claims import earlier_claimant, refuse
from .client_plan import admin_roles_requested
from .context import Context
from .group_membership import group_changes
from .kinds import resource_kind
from .ownership import Claimant, Ownership, claim
from .parents import RealmParent, realm_missing, realm_parent, require_realm_reconciled
from .plan import Change, Plan, Verb
from .role_mappings import plan_mappings, user_subject
from .roles import RoleResolver
from .skeleton import KindReconciler, observing, owner_of

IDENTITIES_REMOVAL = Removal.AUTHORITATIVE
IDENTITIES: ChildSet[FederatedIdentity, FederatedIdentityRepresentation] = ChildSet(
    name="federatedIdentities",
    removal=IDENTITIES_REMOVAL,
    desired_key=lambda f: f.identity_provider,
    actual_key=lambda f: f.identity_provider or "",
    equal=lambda want, have: (have.user_id, have.user_name) == (want.user_id, want.user_name),
)

USERS = resource_kind(KeycloakUser)


@dataclass
class PasswordSource:
    """The password Secret as read now (the value stays wrapped)."""

    value: Secret
    record: PasswordStatus  # what status.password becomes once it is set from here


@dataclass
class ObservedUser:
    user: UserRepresentation | None
    password: PasswordSource | None = None
    credential: CredentialRepresentation | None = None
    groups: list[GroupRepresentation] | None = None
    mappings: MappingsRepresentation | None = None
    identities: list[FederatedIdentityRepresentation] | None = None


def desired_user(user: KeycloakUser) -> UserRepresentation:
    """The profile to keep equal (requiredActions only go into the create)."""
    spec = user.spec
    return UserRepresentation(
        username=spec.username,
        email=spec.email,
        first_name=spec.first_name,
        last_name=spec.last_name,
        enabled=spec.enabled,
        email_verified=spec.email_verified,
        attributes=dict(spec.attributes) if spec.attributes is not None else None,
    )


class UserReconciler(KindReconciler[KeycloakUser, RealmParent, ObservedUser]):
    model = KeycloakUser
    noun = "user"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        # Passwords set during the current reconcile, by uid: the status that records
        # them is written only at its end, and a second pass must not set them again.
        self._just_set: dict[str, PasswordStatus] = {}
        # Users created by this process, by uid: their id, until status records it
        # (their ownership attributes may have been dropped by the user profile).
        self._created: dict[str, str] = {}

    def describe(self, cr: KeycloakUser) -> str:
        return f"User {cr.spec.username}"

    def resolve(self, cr: KeycloakUser, *, cleanup: bool = False) -> RealmParent:
        asked = RoleMappingSpec(realm_roles=cr.spec.realm_roles, client_roles=cr.spec.client_roles)
        return realm_parent(
            self.ctx,
            cr.metadata.namespace,
            cr.spec.realm_ref,
            admin_roles=admin_roles_requested(asked),
            cleanup=cleanup,
        )

    # --- observe ----------------------------------------------------------------------

    def observe(self, cr: KeycloakUser, parents: RealmParent) -> ObservedUser:
        spec, admin, realm = cr.spec, parents.admin, parents.name
        try:
            user = admin.users.find(realm, spec.username)
        except kc_errors.NotFound:
            raise realm_missing(realm) from None
        observed = ObservedUser(user, self._password_source(cr))
        if user is None or not user.id:
            return observed
        if spec.password is not None and spec.password.mode is PasswordMode.MANAGED:
            observed.credential = admin.users.password_credential(realm, user.id)
        if spec.groups is not None:
            observed.groups = list(admin.users.iter_groups(realm, user.id))
        if spec.realm_roles is not None or spec.client_roles is not None:
            observed.mappings = admin.user_role_mappings.all(realm, user.id)
        if spec.federated_identities is not None:
            observed.identities = admin.users.federated_identities(realm, user.id)
        return observed

    def _password_source(self, cr: KeycloakUser) -> PasswordSource | None:
        password = cr.spec.password
        if password is None:
            return None
        namespace, ref = cr.metadata.namespace, password.secret_ref
        value = self.ctx.reader.value(namespace, ref)
        obj = self.ctx.secrets.get(namespace, ref.name)
        version = obj.resource_version if obj is not None else ""
        known = self._recorded(cr)
        digest = known.digest if known and known.same_source(ref.name, ref.key, version) else None
        if digest is None:
            salt = password_salt(cr.metadata.uid)
            same = (
                known
                and known.digest
                and password_digest_matches(known.digest, value.reveal(), salt)
            )
            digest = known.digest if same and known else password_digest(value.reveal(), salt)
        record = PasswordStatus(
            secret_name=ref.name,
            secret_key=ref.key,
            secret_resource_version=version,
            digest=digest,
            credential_created_date=known.credential_created_date if known else None,
        )
        return PasswordSource(value, record)

    def _recorded(self, cr: KeycloakUser) -> PasswordStatus | None:
        return self._just_set.get(cr.metadata.uid) or cr.status.password

    # --- plan -------------------------------------------------------------------------

    def plan(self, cr: KeycloakUser, parents: RealmParent, observed: ObservedUser) -> Plan:
        spec, admin, realm = cr.spec, parents.admin, parents.name
        owner = owner_of(cr)
        manage = not observing(cr)
        desired = desired_user(cr)
        plan = Plan()
        user = observed.user
        if user is None:
            if manage:
                require_realm_reconciled(
                    parents.realm,
                    "the user",
                    "which gives it the realm's default groups, roles and required actions",
                )
                plan.add(
                    "user", Verb.CREATE, lambda: self._create(cr, parents, observed), reobserve=True
                )
            return plan
        uuid = user.id or ""
        if manage and not self._made_here(cr, user):
            what = f"user {spec.username!r} in realm {realm!r}"
            if claim(owner, what, _flat(user), spec.adopt_existing) is Ownership.UNOWNED:
                refuse(USERS, what, self._earlier_claimant(cr))
        changes = diff(desired, user)
        if changes:
            plan.add(
                ", ".join(sorted(changes.changes)),
                Verb.UPDATE,
                lambda: self._update(parents, uuid, desired),
            )
        if self._password_due(cr, observed):
            plan.add(
                "password", Verb.UPDATE, lambda: self._set_password(cr, parents, uuid, observed)
            )
        if observed.mappings is not None:
            wanted = RoleMappingSpec(realm_roles=spec.realm_roles, client_roles=spec.client_roles)
            plan.extend(
                plan_mappings(
                    RoleResolver(admin, realm),
                    user_subject(admin, realm, uuid, "spec"),
                    wanted,
                    observed.mappings,
                )
            )
        if spec.groups is not None and observed.groups is not None:
            plan.extend(self._group_changes(parents, uuid, spec.groups, observed.groups))
        if spec.federated_identities is not None and observed.identities is not None:
            plan.extend(
                self._identity_changes(
                    parents, uuid, spec.federated_identities, observed.identities
                )
            )
        return plan

    def _earlier_claimant(self, cr: KeycloakUser) -> Claimant | None:
        """Adoption stamps nothing: another KeycloakUser under the same KeycloakRealm
        for the same username (Keycloak's are lower case) that claimed it first keeps it."""
        meta, ref = cr.metadata, cr.spec.realm_ref
        return earlier_claimant(
            self.ctx,
            USERS,
            meta.namespace,
            meta.name,
            ("realm", object_key(ref.namespace_or(meta.namespace), ref.name)),
            lambda spec: str(spec.get("username") or "").lower() or None,
        )

    def _made_here(self, cr: KeycloakUser, user: UserRepresentation) -> bool:
        """Created by this resource: its id is the one recorded in status, or the one this
        process just created."""
        return bool(user.id) and user.id in (cr.status.user_id, self._created.get(cr.metadata.uid))

    def _password_due(self, cr: KeycloakUser, observed: ObservedUser) -> bool:
        """A Managed password is set again when the Secret's value changed, or when the
        credential in Keycloak is not the one the controller set."""
        password, source = cr.spec.password, observed.password
        if password is None or password.mode is not PasswordMode.MANAGED or source is None:
            return False
        known = self._recorded(cr)
        if known is None or known.digest != source.record.digest:
            return True
        credential = observed.credential
        return credential is None or credential.created_date != known.credential_created_date

    def _create(self, cr: KeycloakUser, parents: RealmParent, observed: ObservedUser) -> None:
        spec = cr.spec
        attributes = {k: [v] for k, v in owner_of(cr).attributes().items()}
        body = desired_user(cr).model_copy(
            update={
                "attributes": {**(spec.attributes or {}), **attributes},
                "required_actions": spec.required_actions,
            }
        )
        source = observed.password
        if spec.password is not None and source is not None:
            body.credentials = [
                CredentialRepresentation(
                    type="password", value=source.value.reveal(), temporary=spec.password.temporary
                )
            ]
        uuid = parents.admin.users.create(parents.name, body)
        self._created[cr.metadata.uid] = uuid
        if source is not None:
            self._remember_password(cr, parents, uuid, source)

    def _update(self, parents: RealmParent, uuid: str, desired: UserRepresentation) -> None:
        # Attributes are replaced, not merged (24.0.4+): build on a fresh read.
        actual = parents.admin.users.get(parents.name, uuid)
        update = diff(desired, actual)
        if update:
            parents.admin.users.update(parents.name, uuid, update.apply_to(actual))

    def _set_password(
        self, cr: KeycloakUser, parents: RealmParent, uuid: str, observed: ObservedUser
    ) -> None:
        source = observed.password
        assert source is not None and cr.spec.password is not None
        parents.admin.users.reset_password(
            parents.name, uuid, source.value, temporary=cr.spec.password.temporary
        )
        self._remember_password(cr, parents, uuid, source)

    def _remember_password(
        self, cr: KeycloakUser, parents: RealmParent, uuid: str, source: PasswordSource
    ) -> None:
        credential = parents.admin.users.password_credential(parents.name, uuid)
        created = credential.created_date if credential else None
        self._just_set[cr.metadata.uid] = source.record.model_copy(
            update={"credential_created_date": created}
        )

    @staticmethod
    def _group_changes(
        parents: RealmParent, uuid: str, paths: list[str], have: list[GroupRepresentation]
    ) -> list[Change]:
        return group_changes(parents.admin, parents.name, uuid, paths, have)

    @staticmethod
    def _identity_changes(
        parents: RealmParent,
        uuid: str,
        wanted: list[FederatedIdentity],
        have: list[FederatedIdentityRepresentation],
    ) -> list[Change]:
        admin, realm = parents.admin, parents.name

        def link(want: FederatedIdentity) -> None:
            admin.users.add_federated_identity(
                realm,
                uuid,
                FederatedIdentityRepresentation(
                    identity_provider=want.identity_provider,
                    user_id=want.user_id,
                    user_name=want.user_name,
                ),
            )

        def unlink(current: FederatedIdentityRepresentation) -> None:
            with contextlib.suppress(kc_errors.NotFound):
                admin.users.remove_federated_identity(realm, uuid, current.identity_provider or "")

        return IDENTITIES.changes(IDENTITIES.plan(wanted, have), SetOps(link, unlink))

    # --- report -----------------------------------------------------------------------

    def found(self, observed: ObservedUser) -> bool:
        return observed.user is not None

    def status(
        self, cr: KeycloakUser, parents: RealmParent, observed: ObservedUser
    ) -> KeycloakUserStatus:
        user = observed.user
        if user is not None and cr.status.user_id == user.id:
            # status.userId records it from now on. Not before: if the status write
            # that would record it fails (409), the next reconcile must still know
            # this user is ours (Keycloak 24+ drops the owner attributes the user
            # profile does not declare, so the stamp cannot tell).
            self._created.pop(cr.metadata.uid, None)
        password = self._just_set.pop(cr.metadata.uid, None) or cr.status.password
        source = observed.password
        if password is not None and source is not None and source.record.digest == password.digest:
            # Same value: remember the Secret's current version, so the slow digest is
            # not computed again until the Secret changes.
            password = source.record.model_copy(
                update={"credential_created_date": password.credential_created_date}
            )
        return KeycloakUserStatus(
            user_id=user.id if user else None, realm_name=parents.name, password=password
        )

    # --- deletion ---------------------------------------------------------------------

    def delete(self, cr: KeycloakUser, parents: RealmParent) -> str:
        name, realm = cr.spec.username, parents.name
        try:
            user = parents.admin.users.find(realm, name)
        except kc_errors.NotFound:
            return ""
        if user is None:
            return ""
        ours = self._made_here(cr, user) or owner_of(cr).decide(_flat(user)) is Ownership.OWNED
        if not ours:
            return f"user {name} is not owned by this resource and was kept"
        with contextlib.suppress(kc_errors.NotFound):
            parents.admin.users.delete(realm, user.id or "")
        return f"user {name} deleted from Keycloak"


def _flat(user: UserRepresentation) -> dict[str, str]:
    """User attributes are lists of strings; ownership reads their first values."""
    return {k: v[0] for k, v in (user.attributes or {}).items() if v}
