"""`spec.userFederation` as a realm section: LDAP and Kerberos user storage providers.

- Providers (per kind, by name): OWNED_ONLY. A listed provider is created, or
  corrected on the config keys the spec sets (one-sided: Keycloak fills in many
  keys of its own). One this resource created (its record names this resource,
  see realm_federation_records.py) is deleted when no longer listed; Keycloak
  then deletes its mappers and the users it imported. One made by hand is
  managed while listed and never deleted, unless this resource adopted it
  (adoptExisting: recorded in its status, see childset.Adoption).
- An LDAP provider's mappers: AUTHORITATIVE when listed (realm_federation_mappers).
- The bind credential: sent from the Secret on create, and again whenever the
  Secret's salted digest differs from the one recorded (Keycloak masks it on
  read). Before it is sent (and before the URL, bind DN or TLS settings
  change), Keycloak's LDAP connection test binds with it: a
  refused bind or an unreachable server is reported (Ready=False, naming the
  provider and the Secret) and nothing is written, so a wrong password never
  replaces a working one; the test is retried with backoff and on every change
  of the Secret.
- `syncRequest`: a changed value triggers one full sync; the digest of the
  value handled is recorded, so the same value never syncs twice.
- Records of providers deleted elsewhere are dropped from the realm's attributes.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field

from keycloak_controller.api.realm import KeycloakRealmSpec
from keycloak_controller.api.realm_federation import KerberosProvider, LdapProvider
from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.keycloak.models import ComponentRepresentation
from keycloak_controller.keycloak.resources.user_storage import LdapConnection
from keycloak_controller.keycloak.secrets import Secret

from .childset import ChildSet, Removal, SetOps
from .ownership import Adoption, current_adoption
from .plan import Change, Verb
from .realm_federation_config import (
    BIND_CREDENTIAL,
    KERBEROS,
    LDAP,
    LDAP_MAPPER,
    MASKED,
    TYPED_LDAP_KEYS,
    USER_STORAGE,
    config_differs,
    kerberos_config,
    kerberos_defaults,
    ldap_config,
    ldap_defaults,
    merged,
)
from .realm_federation_mappers import mapper_changes
from .realm_federation_records import ProviderRecord, drop_records, read_records, write_record
from .realm_section import RealmSection
from .reasons import INVALID_SPEC, Problem

PROVIDERS_REMOVAL = Removal.OWNED_ONLY
# Not stalled: the fix may be made on the LDAP server, which sends no event.
LDAP_BIND_FAILED = "LdapBindFailed"
LDAP_UNREACHABLE = "LdapUnreachable"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]


@dataclass
class ObservedFederation:
    realm_id: str
    records: dict[str, ProviderRecord]
    ldap: list[ComponentRepresentation]
    kerberos: list[ComponentRepresentation]
    # Listed LDAP providers that exist and list mappers: their current mappers.
    mappers: dict[str, list[ComponentRepresentation]] = field(default_factory=dict)
    # Listed LDAP providers with a credential: the Secret and its digest.
    credentials: dict[str, tuple[Secret, str]] = field(default_factory=dict)
    # Listed LDAP providers whose credential Keycloak could not bind with.
    bind_problems: dict[str, Problem] = field(default_factory=dict)

    def record(self, component: ComponentRepresentation) -> ProviderRecord:
        return self.records.get(component.id or "", ProviderRecord())


def connection_keys(want: LdapProvider) -> dict[str, list[str]]:
    """The spec's keys that decide whether a bind works: a change of any of them is
    tested before it is written, as a new credential is."""
    keys = ("connectionUrl", "bindDn", "authType", "startTls", "useTruststoreSpi")
    return {k: v for k, v in ldap_config(want).items() if k in keys}


def by_name(components: list[ComponentRepresentation]) -> dict[str, ComponentRepresentation]:
    # Two of one name (made by hand): the last, as ChildSet.plan picks it.
    return {c.name or "": c for c in components}


class UserFederationSection(RealmSection):
    name = "userFederation"

    @classmethod
    def managed(cls, spec: KeycloakRealmSpec) -> bool:
        return spec.user_federation is not None

    # --- observe ---------------------------------------------------------------------

    def observe(self) -> None:
        admin, realm = self.scope.admin, self.scope.realm
        fed = self.spec.user_federation
        assert fed is not None
        rep = admin.realms.get(realm)
        realm_id = rep.id or ""
        providers = admin.components.list(realm, parent=realm_id, provider_type=USER_STORAGE)
        observed = ObservedFederation(
            realm_id,
            read_records(rep.attributes),
            [c for c in providers if c.provider_id == LDAP],
            [c for c in providers if c.provider_id == KERBEROS],
        )
        existing = by_name(observed.ldap)
        for want in fed.ldap or []:
            have = existing.get(want.name)
            if have is not None and have.id and want.mappers is not None:
                observed.mappers[want.name] = admin.components.list(
                    realm, parent=have.id, provider_type=LDAP_MAPPER
                )
            ref = want.bind_credential_secret_ref
            if ref is None:
                continue
            secret = self.scope.secret(ref)
            digest = self.scope.digest(secret)
            observed.credentials[want.name] = (secret, digest)
            if (
                have is None
                or observed.record(have).bind_credential != digest
                or config_differs(connection_keys(want), have.config)
            ):
                problem = self._test_bind(want, secret, have)
                if problem is not None:
                    observed.bind_problems[want.name] = problem
        self.observed = observed

    def _test_bind(
        self, want: LdapProvider, secret: Secret, have: ComponentRepresentation | None
    ) -> Problem | None:
        """Whether Keycloak can bind to LDAP with the Secret's credential (read only)."""
        connection = LdapConnection(
            connection_url=want.connection_url,
            bind_dn=want.bind_dn,
            use_truststore_spi=None
            if want.use_truststore_spi is None
            else ("always" if want.use_truststore_spi else "never"),
            start_tls=want.start_tls,
            connection_timeout_millis=want.connection_timeout_millis,
            component_id=have.id if have is not None else None,
        )
        try:
            self.scope.admin.user_storage.test_ldap_authentication(
                self.scope.realm, connection, secret
            )
        except kc_errors.BadRequest as error:
            path = f"spec.userFederation.ldap[{want.name}]"
            ref = want.bind_credential_secret_ref
            assert ref is not None
            if "AuthenticationFailure" in error.message:
                return Problem(
                    LDAP_BIND_FAILED,
                    f"{path}.bindCredentialSecretRef: the LDAP server at {want.connection_url} "
                    f"refused the bind as {want.bind_dn!r}; put that DN's password in Secret "
                    f"{ref.name!r} key {ref.key!r} (or fix bindDn). Nothing was written; "
                    "retrying with backoff.",
                )
            return Problem(
                LDAP_UNREACHABLE,
                f"{path}: Keycloak cannot bind to the LDAP server at {want.connection_url} "
                f"({error.message}); check connectionUrl, startTls/useTruststoreSpi and that "
                "the server is up. Nothing was written; retrying with backoff.",
            )
        return None

    # --- plan ------------------------------------------------------------------------

    def plan(self) -> list[Change]:
        fed = self.spec.user_federation
        assert fed is not None
        for want in fed.ldap or []:
            typed = sorted(set(want.additional_config or {}) & TYPED_LDAP_KEYS)
            if typed:
                raise Problem(
                    INVALID_SPEC,
                    f"spec.userFederation.ldap[{want.name}].additionalConfig: {typed} are set "
                    "through their typed fields; remove them from additionalConfig",
                )
        for problem in self.observed.bind_problems.values():
            raise problem
        changes: list[Change] = []
        if fed.ldap is not None:
            changes += self._ldap_changes(fed.ldap)
        if fed.kerberos is not None:
            changes += self._kerberos_changes(fed.kerberos)
        return changes + self._stale_records()

    def _stale_records(self) -> list[Change]:
        """Records of providers deleted elsewhere: dropped, so the realm does not
        collect them (a provider made again gets a new id and a new record)."""
        existing = {c.id for c in self.observed.ldap + self.observed.kerberos}
        stale = sorted(set(self.observed.records) - existing)
        if not stale:
            return []
        admin, realm = self.scope.admin, self.scope.realm
        return [
            Change(
                "userFederation (records of deleted providers)",
                Verb.DELETE,
                lambda: drop_records(admin, realm, stale),
            )
        ]

    def _ldap_changes(self, desired: list[LdapProvider]) -> list[Change]:
        admin, realm, owner = self.scope.admin, self.scope.realm, self.scope.owner_tag
        observed = self.observed

        def credential_current(want: LdapProvider, have: ComponentRepresentation) -> bool:
            sent = observed.credentials.get(want.name)
            return sent is None or observed.record(have).bind_credential == sent[1]

        def adopted_as_is(want: LdapProvider, have: ComponentRepresentation) -> bool:
            # Adoption takes a provider this resource has no record of to hold the
            # Secret's credential (Keycloak masks it); the first write sends it.
            record = observed.record(have)
            sent = observed.credentials.get(want.name)
            path = f"userFederation.ldap[{want.name}].bindCredentialSecretRef"
            return (
                self.scope.adopt
                and record.owner != owner
                and record.bind_credential is None
                and (sent is None or (current_adoption() or Adoption()).taken(path, sent[1]))
            )

        providers: ChildSet[LdapProvider, ComponentRepresentation] = ChildSet(
            name="userFederation.ldap",
            removal=PROVIDERS_REMOVAL,
            desired_key=lambda p: p.name,
            actual_key=lambda c: c.name or "",
            equal=lambda p, c: (
                not config_differs(ldap_config(p), c.config)
                and (credential_current(p, c) or adopted_as_is(p, c))
            ),
            owned=lambda c: observed.record(c).owner == owner,
        )

        def config_with_credential(want: LdapProvider, base: dict[str, list[str]]) -> None:
            sent = observed.credentials.get(want.name)
            if sent is not None:
                base[BIND_CREDENTIAL] = [sent[0].reveal()]

        def create(want: LdapProvider) -> None:
            config = {**ldap_defaults(want), **ldap_config(want)}
            config_with_credential(want, config)
            body = ComponentRepresentation(
                name=want.name,
                provider_id=LDAP,
                provider_type=USER_STORAGE,
                parent_id=observed.realm_id,
                config=config,
            )
            new_id = admin.components.create(realm, body)
            sent = observed.credentials.get(want.name)
            record = ProviderRecord(owner=owner, bind_credential=sent[1] if sent else None)
            write_record(admin, realm, new_id, record)

        def update(want: LdapProvider, have: ComponentRepresentation) -> None:
            body = have.model_copy(deep=True)
            config = merged(have.config, ldap_config(want))
            resend = not credential_current(want, have)
            if resend:
                config_with_credential(want, config)
            elif BIND_CREDENTIAL in config:
                config[BIND_CREDENTIAL] = [MASKED]  # Keycloak keeps the stored one
            body.config = config
            admin.components.update(realm, have.id or "", body)
            if resend:
                digest = observed.credentials[want.name][1]
                record = observed.record(have).with_(bind_credential=digest)
                write_record(admin, realm, have.id or "", record)

        def delete(have: ComponentRepresentation) -> None:
            with contextlib.suppress(kc_errors.NotFound):
                admin.components.delete(realm, have.id or "")
            write_record(admin, realm, have.id or "", None)

        plan = providers.plan(desired, observed.ldap)
        changes = [
            # A new provider's mappers and sync request are planned once it exists.
            Change(c.path, c.verb, c.run, c.target, reobserve=c.verb is Verb.CREATE)
            for c in providers.changes(plan, SetOps(create, delete, update))
        ]
        existing = by_name(observed.ldap)
        for want in desired:
            have = existing.get(want.name)
            if have is None or not have.id:
                continue
            if want.mappers is not None:
                actual = observed.mappers.get(want.name, [])
                changes += mapper_changes(admin, realm, want.name, have.id, want.mappers, actual)
            changes += self._sync_request(want, have)
        return changes

    def _sync_request(self, want: LdapProvider, have: ComponentRepresentation) -> list[Change]:
        if want.sync_request is None:
            return []
        admin, realm = self.scope.admin, self.scope.realm
        digest = token_digest(want.sync_request)
        record = self.observed.record(have)
        if record.sync_request == digest:
            return []
        component_id = have.id or ""

        def sync() -> None:
            admin.user_storage.sync(realm, component_id, full=True)
            write_record(admin, realm, component_id, record.with_(sync_request=digest))

        return [Change(f"userFederation.ldap[{want.name}].syncRequest", Verb.UPDATE, sync)]

    def _kerberos_changes(self, desired: list[KerberosProvider]) -> list[Change]:
        admin, realm, owner = self.scope.admin, self.scope.realm, self.scope.owner_tag
        observed = self.observed
        providers: ChildSet[KerberosProvider, ComponentRepresentation] = ChildSet(
            name="userFederation.kerberos",
            removal=PROVIDERS_REMOVAL,
            desired_key=lambda p: p.name,
            actual_key=lambda c: c.name or "",
            equal=lambda p, c: not config_differs(kerberos_config(p), c.config),
            owned=lambda c: observed.record(c).owner == owner,
        )

        def create(want: KerberosProvider) -> None:
            body = ComponentRepresentation(
                name=want.name,
                provider_id=KERBEROS,
                provider_type=USER_STORAGE,
                parent_id=observed.realm_id,
                config={**kerberos_defaults(), **kerberos_config(want)},
            )
            new_id = admin.components.create(realm, body)
            write_record(admin, realm, new_id, ProviderRecord(owner=owner))

        def update(want: KerberosProvider, have: ComponentRepresentation) -> None:
            body = have.model_copy(deep=True)
            body.config = merged(have.config, kerberos_config(want))
            admin.components.update(realm, have.id or "", body)

        def delete(have: ComponentRepresentation) -> None:
            with contextlib.suppress(kc_errors.NotFound):
                admin.components.delete(realm, have.id or "")
            write_record(admin, realm, have.id or "", None)

        plan = providers.plan(desired, observed.kerberos)
        return providers.changes(plan, SetOps(create, delete, update))
