"""The realm's organizations as `spec.organizations` entries.

Each with its domains, attributes (the controller's ownership stamps left out)
and linked identity providers; a link's domain and redirect flag are read from
the provider's `kc.org.*` config keys, which the organization owns (so the
identity provider's export leaves them out). An alias equal to the name and
`enabled: true` are Keycloak's defaults and left out. A redirect URL has no
typed field: it is named for a note.
"""

from __future__ import annotations

from keycloak_controller.api.realm_organizations import (
    Organization,
    OrganizationDomain,
    OrganizationIdentityProvider,
)
from keycloak_controller.controllers.ownership import PREFIX
from keycloak_controller.controllers.realm_organization_links import (
    ORG_DOMAIN,
    REDIRECT_ON_EMAIL_MATCH,
)
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import (
    IdentityProviderRepresentation,
    OrganizationRepresentation,
)


def export_link(idp: IdentityProviderRepresentation) -> OrganizationIdentityProvider:
    config = idp.config or {}
    redirect = config.get(REDIRECT_ON_EMAIL_MATCH)
    return OrganizationIdentityProvider(
        alias=idp.alias or "",
        domain=config.get(ORG_DOMAIN) or None,
        redirect_when_email_domain_matches=(redirect == "true") if redirect else None,
    )


def export_organization(
    org: OrganizationRepresentation, links: list[IdentityProviderRepresentation]
) -> Organization:
    attributes = {k: list(v) for k, v in (org.attributes or {}).items() if not k.startswith(PREFIX)}
    return Organization(
        name=org.name or "",
        alias=org.alias if org.alias and org.alias != org.name else None,
        description=org.description or None,
        enabled=False if org.enabled is False else None,
        domains=sorted(
            (
                OrganizationDomain(name=d.name or "", verified=bool(d.verified))
                for d in org.domains or ()
            ),
            key=lambda d: d.name,
        )
        or None,
        attributes=attributes or None,
        identity_providers=sorted((export_link(i) for i in links), key=lambda i: i.alias) or None,
    )


def export_organizations(
    admin: KeycloakAdmin, realm: str, notes: list[str]
) -> list[Organization] | None:
    out = []
    for listed in admin.organizations.iter_all(realm):
        org = admin.organizations.get(realm, listed.id or "")  # the list may omit attributes
        if org.redirect_url:
            notes.append(f"organization {org.name}'s redirectUrl has no typed field; left out")
        links = admin.organizations.identity_providers(realm, org.id or "")
        out.append(export_organization(org, links))
    return sorted(out, key=lambda o: o.name) or None
