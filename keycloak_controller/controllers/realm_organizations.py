"""`spec.organizationsEnabled` and `spec.organizations` as a realm section.

- The realm flag `organizationsEnabled` is written here (a partial realm PUT) before
  any organization, and re-observed: the organization endpoints answer only once it
  is on.
- Organizations: OWNED_ONLY, keyed by name; this resource's tag is the organization
  attribute `keycloak-controller.dev/organization-owner`. Listed fields are kept equal; a listed
  organization's domains are AUTHORITATIVE when set, its attributes additive.
- A listed organization's linked identity providers (`identityProviders`, by alias):
  AUTHORITATIVE when set (realm_organization_links). This section runs after the
  identity providers section, so a provider listed there is linked in the same
  reconcile. A new organization's links are planned after its create re-observes.
- Versions: 26+ fully; 25 behind its preview feature (the adapter warns, and drops
  `alias`, which 25 lacks, so it is not compared there); 24 has no organizations:
  this section plans one change that refuses (UnsupportedByVersion ->
  IncompatibleVersion) and writes nothing, unless the spec asks for none (flag false
  or unset, no organizations listed). It runs after the other sections' changes
  before it, so those still apply; the realm is not Ready until the spec stops asking
  for organizations there.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from keycloak_controller.api.realm import KeycloakRealmSpec
from keycloak_controller.api.realm_organizations import Organization
from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.keycloak.adapters import Kind
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import (
    IdentityProviderRepresentation,
    OrganizationDomainRepresentation,
    OrganizationRepresentation,
    RealmRepresentation,
)

from .childset import ChildSet, Removal, SetOps
from .ownership import PREFIX
from .plan import Change, Verb
from .realm_organization_links import link_changes
from .realm_section import RealmSection
from .reasons import INVALID_SPEC, Problem

# Not the groups' `owner` key: Keycloak 25 keeps an organization's attributes on a
# group of its own, which the groups section would otherwise take for one it made.
ORG_OWNER = PREFIX + "organization-owner"
ORGANIZATIONS_REMOVAL = Removal.OWNED_ONLY
DOMAINS_REMOVAL = Removal.AUTHORITATIVE


def _domains(org: Organization) -> list[OrganizationDomainRepresentation] | None:
    if org.domains is None:
        return None
    return [OrganizationDomainRepresentation(name=d.name, verified=d.verified) for d in org.domains]


def org_equal(compare_alias: bool) -> object:
    def equal(want: Organization, have: OrganizationRepresentation) -> bool:
        attrs = have.attributes or {}
        have_domains = {(d.name, bool(d.verified)) for d in have.domains or ()}
        return (
            (not compare_alias or want.alias is None or have.alias == want.alias)
            and (want.description is None or (have.description or "") == want.description)
            and (want.enabled is None or bool(have.enabled) == want.enabled)
            and (
                want.domains is None or have_domains == {(d.name, d.verified) for d in want.domains}
            )
            and all(attrs.get(k) == v for k, v in (want.attributes or {}).items())
        )

    return equal


def org_set(
    owner_tag: str, compare_alias: bool
) -> ChildSet[Organization, OrganizationRepresentation]:
    return ChildSet(
        name="organizations",
        removal=ORGANIZATIONS_REMOVAL,
        desired_key=lambda o: o.name,
        actual_key=lambda o: o.name or "",
        equal=org_equal(compare_alias),  # type: ignore[arg-type]
        owned=lambda o: owner_tag in ((o.attributes or {}).get(ORG_OWNER) or []),
    )


def new_org(want: Organization, owner_tag: str) -> OrganizationRepresentation:
    return OrganizationRepresentation(
        name=want.name,
        alias=want.alias,
        description=want.description,
        enabled=True if want.enabled is None else want.enabled,
        domains=_domains(want) or [],
        attributes={**(want.attributes or {}), ORG_OWNER: [owner_tag]},
    )


def updated_org(want: Organization, have: OrganizationRepresentation) -> OrganizationRepresentation:
    body = have.model_copy(deep=True)
    body.members = None
    body.identity_providers = None
    if want.alias is not None and not have.alias:
        body.alias = want.alias
    if want.description is not None:
        body.description = want.description
    if want.enabled is not None:
        body.enabled = want.enabled
    domains = _domains(want)
    if domains is not None:
        body.domains = domains
    body.attributes = {**(have.attributes or {}), **(want.attributes or {})}
    return body


def _full(
    admin: KeycloakAdmin, realm: str, org: OrganizationRepresentation
) -> OrganizationRepresentation | None:
    """26.0's list leaves attributes (the owner tag) out: read those one by one (None:
    deleted meanwhile)."""
    if org.attributes is not None or not org.id:
        return org
    try:
        return admin.organizations.get(realm, org.id)
    except kc_errors.NotFound:
        return None


@dataclass
class ObservedOrganizations:
    supported: bool
    enabled: bool = False
    actual: list[OrganizationRepresentation] = field(default_factory=list)
    # Listed organizations that exist and list identity providers: the linked ones.
    linked: dict[str, dict[str, IdentityProviderRepresentation]] = field(default_factory=dict)


class OrganizationsSection(RealmSection):
    name = "organizations"

    @classmethod
    def managed(cls, spec: KeycloakRealmSpec) -> bool:
        return spec.organizations is not None or spec.organizations_enabled is not None

    def observe(self) -> None:
        admin, realm = self.scope.admin, self.scope.realm
        if not admin.adapter.supports_organizations:
            self.observed = ObservedOrganizations(supported=False)
            return
        enabled = bool(admin.realms.get(realm).organizations_enabled)
        observed = ObservedOrganizations(True, enabled)
        if enabled and self.spec.organizations is not None:
            observed.actual = [
                full
                for o in admin.organizations.iter_all(realm)
                if (full := _full(admin, realm, o)) is not None
            ]
            by_name = {o.name: o for o in observed.actual}
            for want in self.spec.organizations:
                have = by_name.get(want.name)
                if want.identity_providers is not None and have is not None and have.id:
                    observed.linked[want.name] = {
                        p.alias or "": p
                        for p in admin.organizations.identity_providers(realm, have.id)
                    }
        self.observed = observed

    def plan(self) -> list[Change]:
        admin, realm, tag = self.scope.admin, self.scope.realm, self.scope.owner_tag
        observed = self.observed
        asks = self.spec.organizations_enabled or bool(self.spec.organizations)
        if not observed.supported and not asks:
            return []  # nothing to refuse: organizations off and none listed
        if not observed.supported:

            def refuse() -> None:
                admin.adapter.require_organizations()

            return [Change("organizations", Verb.UPDATE, refuse)]
        changes: list[Change] = []
        want_enabled = self.spec.organizations_enabled
        if want_enabled is not None and want_enabled != observed.enabled:
            body = RealmRepresentation(realm=realm, organizations_enabled=want_enabled)
            changes.append(
                Change(
                    "organizationsEnabled",
                    Verb.UPDATE,
                    lambda: admin.realms.update(realm, body),
                    reobserve=True,
                )
            )
            return changes  # organizations are planned once the flag is as wanted
        desired = self.spec.organizations
        if desired is None:
            return changes
        if not observed.enabled:
            if desired:
                raise Problem(
                    INVALID_SPEC,
                    "spec.organizations: organizations are disabled in the realm; set "
                    "spec.organizationsEnabled: true",
                )
            return changes
        names = [o.name for o in desired]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise Problem(INVALID_SPEC, f"spec.organizations: duplicate names {repeated}")
        compare_alias = "alias" not in admin.adapter.MISSING_FIELDS.get(Kind.ORGANIZATION, {})
        orgs = org_set(tag, compare_alias)
        plan = orgs.plan(desired, observed.actual)

        def create(want: Organization) -> None:
            # 25 refuses attributes in a create (400 "Can not update organization group")
            # but takes them in an update: create, then set them, on every version.
            body = new_org(want, tag)
            attributes, body.attributes = body.attributes, None
            org_id = admin.organizations.create(realm, body)
            made = admin.organizations.get(realm, org_id)
            made.attributes = {**(made.attributes or {}), **(attributes or {})}
            admin.organizations.update(realm, org_id, updated_org(want, made))

        def update(want: Organization, have: OrganizationRepresentation) -> None:
            admin.organizations.update(realm, have.id or "", updated_org(want, have))

        def delete(have: OrganizationRepresentation) -> None:
            with contextlib.suppress(kc_errors.NotFound):
                admin.organizations.delete(realm, have.id or "")

        linking = {f"organizations[{o.name}]" for o in desired if o.identity_providers}
        by_name = {o.name: o.id for o in observed.actual if o.name}
        changes += [
            Change(
                c.path,
                c.verb,
                c.run,
                c.target,
                # A new organization's links need its id: plan them on the next pass.
                reobserve=c.verb is Verb.CREATE and c.path in linking,
            )
            for c in orgs.changes(plan, SetOps(create, delete, update))
        ]
        for want in desired:
            org_id = by_name.get(want.name)
            linked = observed.linked.get(want.name)
            if org_id and linked is not None:
                changes += link_changes(self.scope, self.spec, want, org_id, linked)
        return changes
