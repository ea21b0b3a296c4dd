"""An organization's linked identity providers (`organizations[].identityProviders`).

- Links, by alias: AUTHORITATIVE when set; unlinking leaves the provider in the realm.
  An alias the realm does not have is InvalidSpec naming it (Keycloak would answer
  a bare 400/404).
- Per link, `domain` and `redirectWhenEmailDomainMatches` are config keys of the
  provider (`kc.org.domain`, `kc.org.broker.redirect.mode.email-matches`) that
  Keycloak accepts only once it is linked, so a new link writes them right after
  linking; an existing link's are compared (listed keys only) and corrected. They
  are written through the identity providers section's `put_provider_config` (a
  fresh read, these keys, the Secret-sourced values). Keycloak removes
  `kc.org.domain` itself on unlinking.
"""

from __future__ import annotations

import contextlib

from keycloak_controller.api.realm import KeycloakRealmSpec
from keycloak_controller.api.realm_organizations import (
    Organization,
    OrganizationIdentityProvider,
)
from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.keycloak.models import IdentityProviderRepresentation

from .childset import ChildSet, Removal, SetOps, identity, names
from .plan import Change, Verb
from .realm_identity_providers import put_provider_config
from .realm_section import RealmScope
from .reasons import INVALID_SPEC, Problem

LINKED_PROVIDERS_REMOVAL = Removal.AUTHORITATIVE
ORG_DOMAIN = "kc.org.domain"
REDIRECT_ON_EMAIL_MATCH = "kc.org.broker.redirect.mode.email-matches"


def linked_set(org: str) -> ChildSet[str, str]:
    return ChildSet(
        name=f"organizations[{org}].identityProviders",
        removal=LINKED_PROVIDERS_REMOVAL,
        desired_key=identity,
        actual_key=identity,
    )


def link_config(link: OrganizationIdentityProvider) -> dict[str, str]:
    """The provider config keys this link sets."""
    config: dict[str, str] = {}
    if link.domain is not None:
        config[ORG_DOMAIN] = link.domain
    if link.redirect_when_email_domain_matches is not None:
        config[REDIRECT_ON_EMAIL_MATCH] = str(link.redirect_when_email_domain_matches).lower()
    return config


def check_link_domains(org: Organization) -> None:
    """A link's domain must be one of the organization's listed domains (when listed)."""
    if org.domains is None:
        return
    listed = {d.name for d in org.domains}
    for link in org.identity_providers or ():
        if link.domain is not None and link.domain not in listed:
            raise Problem(
                INVALID_SPEC,
                f"spec.organizations[{org.name}].identityProviders[{link.alias}].domain: "
                f"{link.domain!r} is not one of the organization's domains",
            )


def link_changes(
    scope: RealmScope,
    spec: KeycloakRealmSpec,
    want: Organization,
    org_id: str,
    linked: dict[str, IdentityProviderRepresentation],
) -> list[Change]:
    """Link the listed providers, unlink the others, then their per-link config."""
    admin, realm = scope.admin, scope.realm
    check_link_domains(want)
    links = {p.alias: p for p in want.identity_providers or ()}
    childset = linked_set(want.name)
    plan = childset.plan(names(links), linked)

    def link(alias: str) -> None:
        try:
            admin.identity_providers.get(realm, alias)
        except kc_errors.NotFound:
            raise Problem(
                INVALID_SPEC,
                f"spec.organizations[{want.name}].identityProviders[{alias}]: the realm has no "
                "identity provider with that alias; list it in spec.identityProviders",
            ) from None
        admin.organizations.link_identity_provider(realm, org_id, alias)
        # Keycloak takes the link's config keys only once linked: set them right after.
        config = link_config(links[alias])
        if config:
            put_provider_config(scope, spec, alias, config)

    def unlink(alias: str) -> None:
        with contextlib.suppress(kc_errors.NotFound):
            admin.organizations.unlink_identity_provider(realm, org_id, alias)

    changes = childset.changes(plan, SetOps(link, unlink))
    for alias, have in linked.items():
        wanted = links.get(alias)
        if wanted is None:
            continue
        config = link_config(wanted)
        current = have.config or {}
        if all(current.get(k) == v for k, v in config.items()):
            continue

        def configure(alias: str = alias, config: dict[str, str] = config) -> None:
            put_provider_config(scope, spec, alias, config)

        changes.append(
            Change(f"organizations[{want.name}].identityProviders[{alias}]", Verb.UPDATE, configure)
        )
    return changes
