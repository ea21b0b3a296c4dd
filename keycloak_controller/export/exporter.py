"""Read one realm through the Admin API (reads only) and build its documents.

A progress line per section goes to `progress` (stderr in the command), so a
realm with thousands of clients or users shows where it is; clients, users,
groups and roles are read page by page.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from keycloak_controller.api.common import KeycloakReference
from keycloak_controller.api.realm import KeycloakRealmSpec, Localization
from keycloak_controller.api.realm_federation import UserFederation
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.errors import UnsupportedByVersion
from keycloak_controller.keycloak.models import ClientRepresentation, RealmRepresentation

from . import bundle, clients, realm_children, realm_misc, users
from .bundle import Document, Names
from .client_policies import export_client_policies
from .federation import export_user_federation
from .flows import export_flows
from .identity_providers import export_identity_providers
from .organizations import export_organizations
from .realm_components import export_components
from .realm_settings import SecretStub, export_settings

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ExportOptions:
    namespace: str = "default"
    keycloak_name: str = "keycloak"
    include_builtin_clients: bool = False
    include_users: bool = False
    adopt: bool = False


@dataclass
class RealmExport:
    realm: str
    documents: list[Document] = field(default_factory=list)
    secrets: list[SecretStub] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def export_realm(
    admin: KeycloakAdmin,
    realm: str,
    options: ExportOptions,
    names: Names,
    progress: Progress = lambda _: None,
) -> RealmExport:
    out = RealmExport(realm)
    started = time.monotonic()

    def step(what: str, count: int | None = None) -> None:
        counted = "" if count is None else f": {count}"
        progress(f"[{realm}] {what}{counted} ({time.monotonic() - started:.1f}s)")

    realm_name = names.take("KeycloakRealm", realm)
    secret_name = bundle.object_name(realm_name, "secrets")
    representation = admin.realms.get(realm)
    settings = export_settings(representation, secret_name)
    out.secrets.extend(settings.secrets)
    step("settings")
    if settings.untyped:
        out.notes.append(
            "spec.additionalSettings holds settings with no typed field: "
            + ", ".join(settings.untyped)
        )

    all_clients = list(admin.clients.iter_all(realm))
    client_names = realm_children.ClientNames({c.id or "": c.client_id or "" for c in all_clients})
    fields = dict(settings.fields)
    fields["roles"] = realm_children.export_roles(admin, realm, client_names) or None
    fields["default_roles"] = realm_children.export_default_roles(admin, realm, client_names)
    step("roles", len(fields["roles"] or ()))
    fields["groups"] = realm_children.export_groups(admin, realm) or None
    fields["default_groups"] = realm_children.export_default_groups(admin, realm)
    step("groups", len(fields["groups"] or ()))
    scopes = list(admin.client_scopes.list(realm))
    fields["client_scopes"] = realm_children.export_client_scopes(admin, realm) or None
    fields["default_client_scopes"] = realm_children.export_realm_default_scopes(
        admin, realm, optional=False
    )
    fields["optional_client_scopes"] = realm_children.export_realm_default_scopes(
        admin, realm, optional=True
    )
    step("client scopes", len(fields["client_scopes"] or ()))
    providers, skipped = export_identity_providers(admin, realm, secret_name, out.secrets)
    fields["identity_providers"] = providers or None
    if skipped:
        out.notes.append(
            "identity providers of a type the CRD does not type, left out: " + ", ".join(skipped)
        )
    step("identity providers", len(providers))
    federation = export_user_federation(
        admin, realm, representation.id or "", secret_name, out.secrets
    )
    if federation.ldap or federation.kerberos:
        fields["user_federation"] = UserFederation(
            ldap=federation.ldap or None, kerberos=federation.kerberos or None
        )
    if federation.skipped:
        out.notes.append("user storage left out: " + ", ".join(federation.skipped))
    step("user federation", len(federation.ldap) + len(federation.kerberos))
    _export_sections(admin, realm, representation, secret_name, fields, out, step)
    spec = KeycloakRealmSpec.model_validate(
        {
            "keycloak_ref": KeycloakReference(name=options.keycloak_name),
            "realm_name": realm,
            **{k: v for k, v in fields.items() if v is not None},
        }
    )
    out.documents.append(
        bundle.realm_document(realm_name, options.namespace, spec, options.adopt, out.notes)
    )

    # A client that has exactly the realm's default scopes of its protocol leaves them unset.
    protocol_of = {s.name: s.protocol or "openid-connect" for s in scopes}
    realm_defaults = {n for n in (s.name for s in admin.client_scopes.realm_defaults(realm)) if n}
    realm_optional = {
        n for n in (s.name for s in admin.client_scopes.realm_defaults(realm, optional=True)) if n
    }

    def scope_sets(client: ClientRepresentation) -> tuple[set[str], set[str]]:
        protocol = client.protocol or "openid-connect"
        return (
            {n for n in realm_defaults if protocol_of.get(n) == protocol},
            {n for n in realm_optional if protocol_of.get(n) == protocol},
        )

    selected = [
        c for c in all_clients if options.include_builtin_clients or not clients.is_builtin(c)
    ]
    exported = 0
    for client, done in clients.export_clients(
        admin, realm, selected, realm_name, client_names, scope_sets
    ):
        out.secrets.extend(done.secrets)
        name = names.take("KeycloakClient", realm_name, client.client_id or "")
        document = bundle.client_document(name, options.namespace, done.spec, options.adopt)
        document.comments.extend(done.notes)
        out.documents.append(document)
        exported += 1
        if exported % 200 == 0:
            step("clients", exported)
    if exported % 200 or not exported:  # a multiple of 200 was just reported
        step("clients", exported)
    if options.include_users:
        count = 0
        for spec_u in users.export_users(admin, realm, realm_name):
            name = names.take("KeycloakUser", realm_name, spec_u.username)
            out.documents.append(
                bundle.user_document(name, options.namespace, spec_u, options.adopt)
            )
            count += 1
            if count % 500 == 0:
                step("users", count)
        step("users", count)
    out.documents.extend(bundle.secret_documents(options.namespace, out.secrets))
    return out


def _export_sections(
    admin: KeycloakAdmin,
    realm: str,
    representation: RealmRepresentation,
    secret_name: str,
    fields: dict[str, Any],
    out: RealmExport,
    step: Callable[..., None],
) -> None:
    """Flows, required actions, texts, user profile, components, client policies and
    organizations, into `fields` (spec fields by Python name)."""
    flows = export_flows(admin, realm)
    fields["authentication_flows"] = flows.flows or None
    if flows.changed_builtin:
        out.notes.append(
            "built-in flows changed by hand, which the spec cannot say (copy the flow and "
            "bind the copy instead): " + ", ".join(flows.changed_builtin)
        )
    if flows.not_expressible:
        out.notes.append("flows the CRD cannot hold, left out: " + ", ".join(flows.not_expressible))
    step("authentication flows", len(flows.flows))
    actions = realm_misc.export_required_actions(admin.authentication.required_actions(realm))
    fields["required_actions"] = actions
    step("required actions", len(actions or ()))
    messages = realm_misc.export_messages(admin, realm)
    if messages:
        localization = fields.get("localization") or Localization()
        fields["localization"] = localization.model_copy(update={"messages": messages})
    step("localization texts", sum(len(t) for t in (messages or {}).values()))
    untyped: list[str] = []
    fields["user_profile"] = realm_misc.export_user_profile(admin.user_profile.get(realm), untyped)
    if untyped:
        out.notes.append("user profile keys the spec cannot say, left out: " + ", ".join(untyped))
    step("user profile")
    found = export_components(
        admin.components.list(realm), representation.id or "", secret_name, out.secrets
    )
    fields["key_providers"] = found.key_providers or None
    fields["components"] = found.components or None
    if found.skipped:
        out.notes.append("components left out: " + ", ".join(found.skipped))
    step("key providers and components", len(found.key_providers) + len(found.components))
    fields["client_policies"] = export_client_policies(
        admin.realms.client_profiles(realm), admin.realms.client_policies(realm)
    )
    step("client policies")
    if representation.organizations_enabled:
        try:
            fields["organizations"] = export_organizations(admin, realm, out.notes)
        except UnsupportedByVersion as e:
            out.notes.append(f"organizations not exported: {e}")
        step("organizations", len(fields.get("organizations") or ()))
